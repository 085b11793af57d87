import type { FilterDto, RoleDto, UserDto } from '@common/users';
import { auditContext, type AuditService } from '../audit/audit.service';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { hasPermission, parseFilterSearch, permissionById, permissionByName, PERMISSIONS, requirePermission, type FilterConditions, type PermissionInfo } from './abilities';
import { tokenView, type AuthService, type TokenView } from './auth.service';
import type { CurrentUser, Permission } from './current-user';
import { createGrantChecks } from './grant-checks';
import type { RoleEntity } from './role.entity';
import type { UserEntity } from './user.entity';
import type { StoredFilter, UserRepository, UserStore } from './user.repository';
import { requireLoginFree } from './login-uniqueness';

type Page<T> = { total: number; subtotal: number; results: T[] };

/** A user as the API shows it (Foreman's field names); never the password hash. */
export type UserView = UserDto;

export type RoleView = RoleDto;

export type FilterView = FilterDto;

export interface UserInput {
  login?: string;
  password?: string;
  /** Required when users change their own password. */
  current_password?: string;
  admin?: boolean;
  mail?: string | null;
  firstname?: string | null;
  lastname?: string | null;
  disabled?: boolean;
  role_ids?: number[];
  organization_ids?: number[];
  location_ids?: number[];
}

export interface FilterInput {
  role_id?: number;
  permission_ids?: number[];
  permissions?: string[];
  search?: string | null;
}

const iso = (d: Date) => d.toISOString();

function invalid(field: string, rule: string, message: string): AppError {
  return new AppError('INVALID_ARGUMENT', `${field}: ${message}`, { details: { fields: [{ field, rule }] } });
}

/** Fields a user may change on their own account without manage_users. */
const SELF_FIELDS: ReadonlyArray<keyof UserInput> = ['password', 'current_password', 'mail', 'firstname', 'lastname'];

/**
 * Users, roles, filters and personal access tokens through the API, with Foreman's rules: managing
 * others needs manage_users; only administrators grant or touch the admin flag or an administrator's
 * account; a non-administrator grants only what it holds and manages only users and roles it covers
 * (rules 1-3 in abilities.ts); built-in roles are locked; users change their own password only with
 * the current one. Every change is audited.
 */
export function createUserManagementService(deps: { users: UserStore; auth: AuthService; audit: AuditService; clock: () => Date; logger: Logger }) {
  const { users, auth, audit, clock } = deps;
  const { requireManageable, requireGrantable, requireFiltersCovered, requireRoleCovered } = createGrantChecks(users);

  async function viewsOf(rows: UserEntity[], repo: UserRepository = users): Promise<UserView[]> {
    const ids = rows.map((u) => u.id);
    const [roles, orgs, locs] = await Promise.all([repo.rolesOfUsers(ids), repo.taxonomiesOfUsers('organization', ids), repo.taxonomiesOfUsers('location', ids)]);
    return rows.map((u) => ({
      id: u.id,
      login: u.login,
      firstname: u.firstname,
      lastname: u.lastname,
      mail: u.mail,
      admin: u.admin,
      disabled: u.disabled,
      roles: roles.get(u.id) ?? [],
      organizations: orgs.get(u.id) ?? [],
      locations: locs.get(u.id) ?? [],
      created_at: iso(u.createdAt),
      updated_at: iso(u.updatedAt),
    }));
  }

  async function roleViews(rows: RoleEntity[]): Promise<RoleView[]> {
    const ids = rows.map((r) => r.id);
    const [filters, counts] = await Promise.all([users.filtersOfRoles(ids), users.userCountsOfRoles(ids)]);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      builtin: r.builtin,
      locked: r.builtin,
      cloned_from_id: r.clonedFromId,
      filters: filters.filter((f) => f.roleId === r.id).map((f) => ({ id: f.id, search: f.search, permissions: f.permissions })),
      users_count: counts.get(r.id) ?? 0,
      created_at: iso(r.createdAt),
      updated_at: iso(r.updatedAt),
    }));
  }

  async function filterView(f: StoredFilter): Promise<FilterView> {
    const role = await users.findRole(f.roleId);
    return {
      id: f.id,
      search: f.search,
      unlimited: (f.search ?? '').trim() === '',
      role: { id: f.roleId, name: role?.name ?? '' },
      permissions: f.permissions.map((name) => permissionByName(name)).filter((p): p is PermissionInfo => p !== undefined).map((p) => ({ id: p.id, name: p.name, resource_type: p.resource_type })),
      created_at: iso(f.createdAt),
      updated_at: iso(f.updatedAt),
    };
  }

  async function findUser(idOrLogin: string | number): Promise<UserEntity> {
    const user = typeof idOrLogin === 'number' || /^\d+$/.test(idOrLogin) ? await users.findById(Number(idOrLogin)) : await users.findByLogin(idOrLogin);
    if (!user) throw new AppError('NOT_FOUND', `user not found by id or login '${idOrLogin}'`);
    return user;
  }

  async function findRole(idOrName: string | number): Promise<RoleEntity> {
    const role = await users.findRole(idOrName);
    if (!role) throw new AppError('NOT_FOUND', `role not found by id or name '${idOrName}'`);
    return role;
  }

  function unlocked(role: RoleEntity): void {
    if (role.builtin) throw new AppError('FAILED_PRECONDITION', `role ${role.name} is built in and locked; clone it (POST /api/v2/roles/${role.id}/clone) and change the clone`);
  }

  async function checkAssignments(repo: UserRepository, input: UserInput): Promise<void> {
    if (input.role_ids) {
      const found = new Set((await repo.findRolesByIds(input.role_ids)).map((r) => r.id));
      const missing = input.role_ids.filter((id) => !found.has(id));
      if (missing.length > 0) throw invalid('role_ids', 'existing role ids', `no role with id ${missing.join(', ')}`);
    }
    for (const [kind, field] of [['organization', 'organization_ids'], ['location', 'location_ids']] as const) {
      const ids = input[field];
      if (!ids) continue;
      const found = new Set(await repo.existingTaxonomyIds(kind, ids));
      const missing = ids.filter((id) => !found.has(id));
      if (missing.length > 0) throw invalid(field, `existing ${kind} ids`, `no ${kind} with id ${missing.join(', ')}`);
    }
  }

  async function writeAssignments(repo: UserRepository, userId: number, input: UserInput): Promise<void> {
    if (input.role_ids) await repo.setRoles(userId, input.role_ids);
    if (input.organization_ids) await repo.setTaxonomies('organization', userId, input.organization_ids);
    if (input.location_ids) await repo.setTaxonomies('location', userId, input.location_ids);
  }

  /** What a change set says, for the audit: field names and new values, the password only as changed. */
  function changesOf(input: UserInput): Record<string, unknown> {
    const { password, current_password: _current, ...rest } = input;
    return { ...rest, ...(password !== undefined ? { password: 'changed' } : {}) };
  }

  /** Permission names from ids or names; INVALID_ARGUMENT naming the unknown ones. */
  function permissionsOf(input: FilterInput): Permission[] | undefined {
    if (input.permission_ids === undefined && input.permissions === undefined) return undefined;
    const names: Permission[] = [];
    for (const id of input.permission_ids ?? []) {
      const p = permissionById(id);
      if (!p) throw invalid('permission_ids', 'known permission ids', `no permission with id ${id}; GET /api/v2/permissions lists them`);
      names.push(p.name);
    }
    for (const name of input.permissions ?? []) {
      const p = permissionByName(name);
      if (!p) throw invalid('permissions', 'known permission names', `unknown permission '${name}'; valid are ${PERMISSIONS.map((x) => x.name).join(', ')}`);
      names.push(p.name);
    }
    const unique = [...new Set(names)];
    if (unique.length === 0) throw invalid('permissions', 'at least one permission', 'a filter needs at least one permission');
    return unique;
  }

  /** Parses a filter search and checks that every name in it exists now. */
  async function checkSearch(search: string | null, permissions: Permission[]): Promise<void> {
    const conditions: FilterConditions = parseFilterSearch(search, permissions);
    if (!conditions.hostgroups && !conditions.organizations && !conditions.locations) return;
    const lookup = await users.taxonomyLookup();
    const check = (refs: Array<{ id: number } | { name: string } | { title: string }> | undefined, rows: ReadonlyArray<{ id: number; name?: string; title?: string }>, what: string) => {
      for (const ref of refs ?? []) {
        const ok = 'id' in ref ? rows.some((r) => r.id === ref.id) : rows.some((r) => (r.name ?? r.title ?? '').toLowerCase() === ('name' in ref ? ref.name : ref.title).toLowerCase());
        if (!ok) throw invalid('search', `existing ${what}`, `no ${what} ${'id' in ref ? `with id ${ref.id}` : `'${'name' in ref ? ref.name : ref.title}'`}`);
      }
    };
    check(conditions.hostgroups, lookup.hostgroups, 'hostgroup');
    check(conditions.organizations, lookup.organizations, 'organization');
    check(conditions.locations, lookup.locations, 'location');
  }

  async function auditChange(actor: CurrentUser, action: string, object: { type: string; id: number; name: string }, changes?: Record<string, unknown>): Promise<void> {
    await audit.record({ user: actor, action, object, changes, ...auditContext(actor) });
  }

  return {
    permissions(): Array<Pick<PermissionInfo, 'id' | 'name' | 'resource_type' | 'description'>> {
      return PERMISSIONS.map((p) => ({ id: p.id, name: p.name, resource_type: p.resource_type, description: p.description }));
    },

    /** The caller, with the permissions they hold (any conditions), for the UI to show what is possible. */
    async currentUser(actor: CurrentUser): Promise<UserView & { permissions: string[] }> {
      const [view] = await viewsOf([await findUser(actor.id)]);
      return { ...view, permissions: PERMISSIONS.filter((p) => hasPermission(actor, p.name)).map((p) => p.name) };
    },

    // Users -------------------------------------------------------------------------------------

    async listUsers(actor: CurrentUser, params: { search: string; page: number; perPage: number }): Promise<Page<UserView>> {
      requirePermission(actor, 'manage_users', 'listing users');
      const page = await users.searchUsers(params);
      return { total: page.total, subtotal: page.subtotal, results: await viewsOf(page.results) };
    },

    async getUser(actor: CurrentUser, idOrLogin: string): Promise<UserView> {
      const user = await findUser(idOrLogin);
      if (user.id !== actor.id) requirePermission(actor, 'manage_users', 'showing another user');
      return (await viewsOf([user]))[0];
    },

    async createUser(actor: CurrentUser, input: UserInput & { login: string; password: string }): Promise<UserView> {
      requirePermission(actor, 'manage_users', 'creating users');
      if (input.admin && !actor.admin) throw new AppError('PERMISSION_DENIED', 'access denied: only administrators may create administrators', { details: { missing_permissions: ['admin'] } });
      await requireLoginFree(users, input.login);
      const passwordHash = await auth.hashPassword(input.password);
      const created = await users.transaction(async (repo) => {
        await checkAssignments(repo, input);
        await requireGrantable(actor, repo, null, input);
        const user = await repo.create({ login: input.login, passwordHash, admin: input.admin ?? false, mail: input.mail, firstname: input.firstname, lastname: input.lastname, disabled: input.disabled, now: clock() });
        await writeAssignments(repo, user.id, input);
        return (await viewsOf([user], repo))[0];
      });
      await auditChange(actor, 'create', { type: 'User', id: created.id, name: created.login }, changesOf(input));
      return created;
    },

    async updateUser(actor: CurrentUser, idOrLogin: string, input: UserInput): Promise<UserView> {
      const user = await findUser(idOrLogin);
      const self = user.id === actor.id;
      const onlySelfFields = (Object.keys(input) as Array<keyof UserInput>).every((k) => SELF_FIELDS.includes(k));
      if (!(self && onlySelfFields)) requirePermission(actor, 'manage_users', self ? 'changing your own roles, taxonomies, login or state' : 'changing another user');
      if ((user.admin || input.admin !== undefined) && !actor.admin) {
        throw new AppError('PERMISSION_DENIED', 'access denied: only administrators may change administrators or the admin flag', { details: { missing_permissions: ['admin'] } });
      }
      await requireManageable(actor, user, 'change');
      if (self && input.password !== undefined) {
        if (!input.current_password) throw invalid('current_password', 'required', 'is required to change your own password');
        // Throttled and audited like a login from the caller's address (429 once that limit is spent).
        if (!(await auth.passwordMatches(user.id, input.current_password, actor))) throw invalid('current_password', 'matches', 'does not match your current password');
      }
      if (self && (input.admin === false || input.disabled === true)) throw new AppError('FAILED_PRECONDITION', 'you cannot remove your own admin flag or disable yourself; ask another administrator');
      if (input.login !== undefined && input.login !== user.login) await requireLoginFree(users, input.login, user.id);
      const passwordHash = input.password !== undefined ? await auth.hashPassword(input.password) : undefined;
      const updated = await users.transaction(async (repo) => {
        await checkAssignments(repo, input);
        await requireGrantable(actor, repo, user.id, input);
        await repo.update(user.id, {
          ...(input.login !== undefined ? { login: input.login } : {}),
          ...(passwordHash !== undefined ? { passwordHash } : {}),
          ...(input.admin !== undefined ? { admin: input.admin } : {}),
          ...(input.mail !== undefined ? { mail: input.mail } : {}),
          ...(input.firstname !== undefined ? { firstname: input.firstname } : {}),
          ...(input.lastname !== undefined ? { lastname: input.lastname } : {}),
          ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
        }, clock());
        await writeAssignments(repo, user.id, input);
        return (await viewsOf([(await repo.findById(user.id))!], repo))[0];
      });
      auth.forgetUser(user.id);
      // A new password ends every session opened with the old one; users keep the one they changed it in.
      if (passwordHash !== undefined) await auth.passwordChanged(user.id, self ? actor.sessionId : undefined);
      await auditChange(actor, 'update', { type: 'User', id: user.id, name: updated.login }, changesOf(input));
      return updated;
    },

    async deleteUser(actor: CurrentUser, idOrLogin: string): Promise<UserView> {
      requirePermission(actor, 'manage_users', 'deleting users');
      const user = await findUser(idOrLogin);
      if (user.id === actor.id) throw new AppError('FAILED_PRECONDITION', 'you cannot delete yourself');
      if (user.admin && !actor.admin) throw new AppError('PERMISSION_DENIED', 'access denied: only administrators may delete administrators', { details: { missing_permissions: ['admin'] } });
      await requireManageable(actor, user, 'delete');
      const [view] = await viewsOf([user]);
      await users.delete(user.id);
      auth.forgetUser(user.id);
      await auditChange(actor, 'destroy', { type: 'User', id: user.id, name: user.login });
      return view;
    },

    // Roles -------------------------------------------------------------------------------------

    async listRoles(actor: CurrentUser, params: { search: string; page: number; perPage: number }): Promise<Page<RoleView>> {
      requirePermission(actor, 'manage_users', 'listing roles');
      const page = await users.searchRoles(params);
      return { total: page.total, subtotal: page.subtotal, results: await roleViews(page.results) };
    },

    async getRole(actor: CurrentUser, idOrName: string): Promise<RoleView> {
      requirePermission(actor, 'manage_users', 'showing roles');
      return (await roleViews([await findRole(idOrName)]))[0];
    },

    async createRole(actor: CurrentUser, input: { name: string; description?: string | null }): Promise<RoleView> {
      requirePermission(actor, 'manage_users', 'creating roles');
      if (await users.findRole(input.name)) throw new AppError('ALREADY_EXISTS', `name: a role named '${input.name}' exists`, { details: { fields: [{ field: 'name', rule: 'unique' }] } });
      const role = await users.createRole({ name: input.name, description: input.description ?? null, builtin: false, now: clock() });
      await auditChange(actor, 'create', { type: 'Role', id: role.id, name: role.name }, { ...input });
      return (await roleViews([role]))[0];
    },

    async updateRole(actor: CurrentUser, idOrName: string, input: { name?: string; description?: string | null }): Promise<RoleView> {
      requirePermission(actor, 'manage_users', 'changing roles');
      const role = await findRole(idOrName);
      unlocked(role);
      await requireRoleCovered(actor, role, 'changing');
      if (input.name !== undefined && input.name !== role.name && (await users.findRole(input.name))) {
        throw new AppError('ALREADY_EXISTS', `name: a role named '${input.name}' exists`, { details: { fields: [{ field: 'name', rule: 'unique' }] } });
      }
      await users.updateRole(role.id, { ...(input.name !== undefined ? { name: input.name } : {}), ...(input.description !== undefined ? { description: input.description } : {}) }, clock());
      await auditChange(actor, 'update', { type: 'Role', id: role.id, name: input.name ?? role.name }, { ...input });
      return (await roleViews([(await users.findRole(role.id))!]))[0];
    },

    async deleteRole(actor: CurrentUser, idOrName: string): Promise<RoleView> {
      requirePermission(actor, 'manage_users', 'deleting roles');
      const role = await findRole(idOrName);
      unlocked(role);
      await requireRoleCovered(actor, role, 'deleting');
      const [view] = await roleViews([role]);
      await users.deleteRole(role.id);
      await auditChange(actor, 'destroy', { type: 'Role', id: role.id, name: role.name });
      return view;
    },

    /** A new, unlocked role with copies of another role's filters (the way to narrow a built-in one). */
    async cloneRole(actor: CurrentUser, idOrName: string, input: { name: string; description?: string | null }): Promise<RoleView> {
      requirePermission(actor, 'manage_users', 'cloning roles');
      const source = await findRole(idOrName);
      await requireRoleCovered(actor, source, 'cloning');
      if (await users.findRole(input.name)) throw new AppError('ALREADY_EXISTS', `name: a role named '${input.name}' exists`, { details: { fields: [{ field: 'name', rule: 'unique' }] } });
      const role = await users.transaction(async (repo) => {
        const now = clock();
        const created = await repo.createRole({ name: input.name, description: input.description ?? source.description, builtin: false, clonedFromId: source.id, now });
        for (const f of await repo.filtersOfRoles([source.id])) await repo.createFilter({ roleId: created.id, permissions: f.permissions, search: f.search, now });
        return created;
      });
      await auditChange(actor, 'create', { type: 'Role', id: role.id, name: role.name }, { cloned_from: source.name });
      return (await roleViews([role]))[0];
    },

    // Filters -----------------------------------------------------------------------------------

    async listFilters(actor: CurrentUser, params: { search: string; page: number; perPage: number; roleId?: number }): Promise<Page<FilterView>> {
      requirePermission(actor, 'manage_users', 'listing filters');
      if (params.roleId !== undefined) await findRole(params.roleId);
      const page = await users.searchFilters(params);
      return { total: page.total, subtotal: page.subtotal, results: await Promise.all(page.results.map(filterView)) };
    },

    async getFilter(actor: CurrentUser, id: number): Promise<FilterView> {
      requirePermission(actor, 'manage_users', 'showing filters');
      const filter = await users.findFilter(id);
      if (!filter) throw new AppError('NOT_FOUND', `filter ${id} not found`);
      return filterView(filter);
    },

    async createFilter(actor: CurrentUser, input: FilterInput & { role_id: number }): Promise<FilterView> {
      requirePermission(actor, 'manage_users', 'creating filters');
      const role = await users.findRole(input.role_id);
      if (!role) throw invalid('role_id', 'existing role id', `no role with id ${input.role_id}`);
      unlocked(role);
      const permissions = permissionsOf(input);
      if (!permissions) throw invalid('permissions', 'required', 'give permission_ids or permissions');
      const search = (input.search ?? '').trim() === '' ? null : (input.search as string).trim();
      await checkSearch(search, permissions);
      await requireFiltersCovered(actor, [{ permissions, search }], `the new filter on role ${role.name}`);
      const filter = await users.createFilter({ roleId: role.id, permissions, search, now: clock() });
      await auditChange(actor, 'create', { type: 'Filter', id: filter.id, name: role.name }, { role: role.name, permissions, search });
      return filterView(filter);
    },

    async updateFilter(actor: CurrentUser, id: number, input: FilterInput): Promise<FilterView> {
      requirePermission(actor, 'manage_users', 'changing filters');
      const filter = await users.findFilter(id);
      if (!filter) throw new AppError('NOT_FOUND', `filter ${id} not found`);
      const role = (await users.findRole(filter.roleId))!;
      unlocked(role);
      if (input.role_id !== undefined && input.role_id !== filter.roleId) throw invalid('role_id', 'unchanged', 'a filter cannot move to another role; create a new one');
      const permissions = permissionsOf(input) ?? filter.permissions;
      const search = input.search === undefined ? filter.search : (input.search ?? '').trim() === '' ? null : (input.search as string).trim();
      await checkSearch(search, permissions);
      await requireFiltersCovered(actor, [filter], `filter ${id} on role ${role.name}`);
      await requireFiltersCovered(actor, [{ permissions, search }], `the changed filter ${id} on role ${role.name}`);
      await users.updateFilter(id, { permissions, search }, clock());
      await auditChange(actor, 'update', { type: 'Filter', id, name: role.name }, { permissions, search });
      return filterView((await users.findFilter(id))!);
    },

    async deleteFilter(actor: CurrentUser, id: number): Promise<FilterView> {
      requirePermission(actor, 'manage_users', 'deleting filters');
      const filter = await users.findFilter(id);
      if (!filter) throw new AppError('NOT_FOUND', `filter ${id} not found`);
      const role = (await users.findRole(filter.roleId))!;
      unlocked(role);
      await requireFiltersCovered(actor, [filter], `filter ${id} on role ${role.name}`);
      const view = await filterView(filter);
      await users.deleteFilter(id);
      await auditChange(actor, 'destroy', { type: 'Filter', id, name: role.name }, { permissions: filter.permissions, search: filter.search });
      return view;
    },

    // Personal access tokens ------------------------------------------------------------------

    async listTokens(actor: CurrentUser, userIdOrLogin: string): Promise<Page<TokenView>> {
      const user = await findUser(userIdOrLogin);
      if (user.id !== actor.id) requirePermission(actor, 'manage_users', "listing another user's tokens");
      await requireManageable(actor, user, 'list the tokens of');
      const now = clock();
      const rows = (await users.tokensOfUser(user.id)).map((t) => tokenView(t, now));
      return { total: rows.length, subtotal: rows.length, results: rows };
    },

    async getToken(actor: CurrentUser, userIdOrLogin: string, id: number): Promise<TokenView> {
      const user = await findUser(userIdOrLogin);
      if (user.id !== actor.id) requirePermission(actor, 'manage_users', "showing another user's tokens");
      await requireManageable(actor, user, 'show the tokens of');
      const token = await users.findToken(user.id, id);
      if (!token) throw new AppError('NOT_FOUND', `personal access token ${id} of user ${user.login} not found`);
      return tokenView(token, clock());
    },

    /** Creates a token; the answer carries `token_value`, the only time the secret is ever shown. */
    async createToken(actor: CurrentUser, userIdOrLogin: string, input: { name: string; expires_at?: Date | null }): Promise<TokenView> {
      const user = await findUser(userIdOrLogin);
      if (user.id !== actor.id) requirePermission(actor, 'manage_users', 'creating a token for another user');
      await requireManageable(actor, user, 'create a token for');
      const now = clock();
      if (input.expires_at && input.expires_at.getTime() <= now.getTime()) throw invalid('expires_at', 'in the future', 'must be in the future');
      const { secret, hash } = auth.newTokenSecret();
      const token = await users.createToken({ userId: user.id, name: input.name, tokenHash: hash, expiresAt: input.expires_at ?? null, now });
      await auditChange(actor, 'create', { type: 'PersonalAccessToken', id: token.id, name: `${user.login}/${token.name}` }, { name: token.name, expires_at: token.expiresAt?.toISOString() ?? null });
      return { ...tokenView(token, now), token_value: secret };
    },

    /** Revokes a token (Foreman's DELETE): it stops working at once on this instance. */
    async revokeToken(actor: CurrentUser, userIdOrLogin: string, id: number): Promise<TokenView> {
      const user = await findUser(userIdOrLogin);
      if (user.id !== actor.id) requirePermission(actor, 'manage_users', "revoking another user's tokens");
      await requireManageable(actor, user, 'revoke the tokens of');
      const token = await users.findToken(user.id, id);
      if (!token) throw new AppError('NOT_FOUND', `personal access token ${id} of user ${user.login} not found`);
      const now = clock();
      if (!token.revoked) {
        await users.revokeToken(token.id, now);
        auth.forgetToken(token.id);
        await auditChange(actor, 'revoke', { type: 'PersonalAccessToken', id: token.id, name: `${user.login}/${token.name}` });
      }
      return tokenView((await users.findToken(user.id, id))!, now);
    },
  };
}

export type UserManagementService = ReturnType<typeof createUserManagementService>;

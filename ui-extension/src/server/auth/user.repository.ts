import { DataSource, type EntityManager } from 'typeorm';
import { findEntityById } from '../entity-rows';
import { compileSearch, jsonListField, type SearchDefinition } from '../search/compiler';
import { dialectOf, placeholders } from '../inventory/sql';
import type { Permission } from './current-user';
import { PersonalAccessTokenEntity } from './personal-access-token.entity';
import { FilterEntity, RoleEntity } from './role.entity';
import { UserEntity } from './user.entity';

export type TaxonomyKind = 'organization' | 'location';

/** `GET /api/v2/users?search=`, over `users u`. */
export const USER_SEARCH: SearchDefinition = {
  idColumn: 'u.id',
  fields: {
    id: { kind: 'column', column: 'u.id', type: 'number' },
    login: { kind: 'column', column: 'u.login', type: 'string' },
    mail: { kind: 'column', column: 'u.mail', type: 'string', nullable: true },
    firstname: { kind: 'column', column: 'u.firstname', type: 'string', nullable: true },
    lastname: { kind: 'column', column: 'u.lastname', type: 'string', nullable: true },
  },
  freeText: ['login'],
};

/** `GET /api/v2/roles?search=`, over `roles r`. */
export const ROLE_SEARCH: SearchDefinition = {
  idColumn: 'r.id',
  fields: {
    id: { kind: 'column', column: 'r.id', type: 'number' },
    name: { kind: 'column', column: 'r.name', type: 'string' },
    description: { kind: 'column', column: 'r.description', type: 'string', nullable: true },
  },
  freeText: ['name'],
};

/** `GET /api/v2/filters?search=` and `/roles/:id/filters`, over `filters f`. */
export const FILTER_SEARCH: SearchDefinition = {
  idColumn: 'f.id',
  fields: {
    id: { kind: 'column', column: 'f.id', type: 'number' },
    role_id: { kind: 'column', column: 'f.role_id', type: 'number' },
    role: { kind: 'lookup', column: 'f.role_id', table: 'roles', idColumn: 'id', match: 'name' },
    // Permissions are stored as a JSON list: `permission = create_jobs` holds it, `~` a substring.
    permission: jsonListField('f.permissions'),
    search: { kind: 'column', column: 'f.search', type: 'string', nullable: true },
  },
  freeText: ['search'],
};

export interface NewUser {
  login: string;
  passwordHash: string;
  admin: boolean;
  mail?: string | null;
  firstname?: string | null;
  lastname?: string | null;
  disabled?: boolean;
  now: Date;
}

export interface StoredFilter {
  id: number;
  roleId: number;
  permissions: Permission[];
  search: string | null;
  createdAt: Date;
  updatedAt: Date;
}

type Page<T> = { total: number; subtotal: number; results: T[] };

const toFilter = (e: FilterEntity): StoredFilter => ({ id: e.id, roleId: e.roleId, permissions: JSON.parse(e.permissions) as Permission[], search: e.search, createdAt: e.createdAt, updatedAt: e.updatedAt });

/**
 * Users, roles, filters, user assignments and personal access tokens: the only code that touches
 * their tables (STYLE.md §2). Bound to a manager so a service can run several calls in one transaction.
 */
export function createUserRepository(source: EntityManager | DataSource) {
  const db: EntityManager = source instanceof DataSource ? source.manager : source;
  const users = db.getRepository(UserEntity);
  const roles = db.getRepository(RoleEntity);
  const filters = db.getRepository(FilterEntity);
  const tokens = db.getRepository(PersonalAccessTokenEntity);
  const dialect = dialectOf(db);
  const count = async (sql: string, params: unknown[]): Promise<number> => Number(((await db.query(sql, params)) as Array<{ n: unknown }>)[0].n);

  /** One page of a table by a search, in `order`; `load` reads the page's rows by id. */
  async function page<E>(table: string, alias: string, definition: SearchDefinition, order: string, load: (ids: number[]) => Promise<E[]>, params: { search: string; page: number; perPage: number; extra?: { sql: string; params: unknown[] } }): Promise<Page<E>> {
    const where = compileSearch(params.search, definition, { dialect, now: new Date() });
    const extra = params.extra ?? { sql: '1=1', params: [] };
    const total = await count(`SELECT COUNT(*) AS n FROM ${table} ${alias} WHERE ${extra.sql}`, extra.params);
    const subtotal = await count(`SELECT COUNT(*) AS n FROM ${table} ${alias} WHERE ${where.sql} AND ${extra.sql}`, [...where.params, ...extra.params]);
    const ids = ((await db.query(`SELECT ${alias}.id FROM ${table} ${alias} WHERE ${where.sql} AND ${extra.sql} ORDER BY ${order} LIMIT ? OFFSET ?`, [...where.params, ...extra.params, params.perPage, (params.page - 1) * params.perPage])) as Array<{ id: unknown }>).map((r) => Number(r.id));
    const rows = ids.length === 0 ? [] : await load(ids);
    const byId = new Map(rows.map((r) => [(r as { id: number }).id, r]));
    return { total, subtotal, results: ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])) };
  }

  return {
    findByLogin: (login: string) => users.findOne({ where: { login } }),
    /**
     * A user whose login equals this one but for case. MariaDB's collation compares logins without
     * case and SQLite's index with it, so `ADMIN` beside `admin` was refused on one and taken on the
     * other (a look-alike owner in audits and lists); logins are unique without case on both, as in Foreman.
     */
    findByLoginIgnoringCase: (login: string) => users.createQueryBuilder('u').where('LOWER(u.login) = LOWER(:login)', { login }).getOne(),
    // Every authenticated request reads its user by id (credential-check.ts): one plain SELECT (entity-rows.ts).
    findById: (id: number) => findEntityById(db, UserEntity, id),
    count: () => users.count(),
    countAdmins: () => users.count({ where: { admin: true, disabled: false } }),

    async create(user: NewUser): Promise<UserEntity> {
      const entity = users.create({
        login: user.login,
        passwordHash: user.passwordHash,
        admin: user.admin,
        mail: user.mail ?? null,
        firstname: user.firstname ?? null,
        lastname: user.lastname ?? null,
        disabled: user.disabled ?? false,
        createdAt: user.now,
        updatedAt: user.now,
      });
      return users.save(entity);
    },

    async update(id: number, fields: Partial<Pick<UserEntity, 'login' | 'passwordHash' | 'admin' | 'mail' | 'firstname' | 'lastname' | 'disabled'>>, now: Date): Promise<void> {
      await users.update({ id }, { ...fields, updatedAt: now });
    },

    async delete(id: number): Promise<void> {
      await users.delete({ id });
    },

    searchUsers: (params: { search: string; page: number; perPage: number }) => page<UserEntity>('users', 'u', USER_SEARCH, 'u.login', (ids) => users.createQueryBuilder('u').where('u.id IN (:...ids)', { ids }).getMany(), params),

    /** Roles of each user, by name. */
    async rolesOfUsers(userIds: number[]): Promise<Map<number, Array<{ id: number; name: string }>>> {
      const out = new Map<number, Array<{ id: number; name: string }>>(userIds.map((id) => [id, []]));
      if (userIds.length === 0) return out;
      const rows = (await db.query(`SELECT ur.user_id, r.id, r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id IN (${placeholders(userIds.length)}) ORDER BY r.name`, userIds)) as Array<{ user_id: unknown; id: unknown; name: string }>;
      for (const r of rows) out.get(Number(r.user_id))?.push({ id: Number(r.id), name: String(r.name) });
      return out;
    },

    async setRoles(userId: number, roleIds: number[]): Promise<void> {
      await db.query('DELETE FROM user_roles WHERE user_id = ?', [userId]);
      const unique = [...new Set(roleIds)];
      if (unique.length > 0) await db.query(`INSERT INTO user_roles (user_id, role_id) VALUES ${unique.map(() => '(?, ?)').join(', ')}`, unique.flatMap((r) => [userId, r]));
    },

    /** Organizations or locations of each user; an empty list means unrestricted. */
    async taxonomiesOfUsers(kind: TaxonomyKind, userIds: number[]): Promise<Map<number, Array<{ id: number; name: string }>>> {
      const out = new Map<number, Array<{ id: number; name: string }>>(userIds.map((id) => [id, []]));
      if (userIds.length === 0) return out;
      const [table, column, target] = kind === 'organization' ? ['user_organizations', 'organization_id', 'organizations'] : ['user_locations', 'location_id', 'locations'];
      const rows = (await db.query(`SELECT ut.user_id, t.id, t.name FROM ${table} ut JOIN ${target} t ON t.id = ut.${column} WHERE ut.user_id IN (${placeholders(userIds.length)}) ORDER BY t.name`, userIds)) as Array<{ user_id: unknown; id: unknown; name: string }>;
      for (const r of rows) out.get(Number(r.user_id))?.push({ id: Number(r.id), name: String(r.name) });
      return out;
    },

    async setTaxonomies(kind: TaxonomyKind, userId: number, ids: number[]): Promise<void> {
      const [table, column] = kind === 'organization' ? ['user_organizations', 'organization_id'] : ['user_locations', 'location_id'];
      await db.query(`DELETE FROM ${table} WHERE user_id = ?`, [userId]);
      const unique = [...new Set(ids)];
      if (unique.length > 0) await db.query(`INSERT INTO ${table} (user_id, ${column}) VALUES ${unique.map(() => '(?, ?)').join(', ')}`, unique.flatMap((t) => [userId, t]));
    },

    /** Ids among `ids` that exist in the taxonomy table; for validating assignments. */
    async existingTaxonomyIds(kind: TaxonomyKind, ids: number[]): Promise<number[]> {
      if (ids.length === 0) return [];
      const table = kind === 'organization' ? 'organizations' : 'locations';
      return ((await db.query(`SELECT id FROM ${table} WHERE id IN (${placeholders(ids.length)})`, ids)) as Array<{ id: unknown }>).map((r) => Number(r.id));
    },

    /** Every filter of every role the user has. */
    async filtersOfUser(userId: number): Promise<Array<{ permissions: Permission[]; search: string | null }>> {
      const rows = (await db.query('SELECT f.permissions, f.search FROM filters f JOIN user_roles ur ON ur.role_id = f.role_id WHERE ur.user_id = ? ORDER BY f.id', [userId])) as Array<{ permissions: string; search: string | null }>;
      return rows.map((r) => ({ permissions: JSON.parse(r.permissions) as Permission[], search: r.search }));
    },

    /** Hostgroups, organizations and locations with the names a filter may use. */
    async taxonomyLookup(): Promise<{ hostgroups: Array<{ id: number; title: string }>; organizations: Array<{ id: number; name: string }>; locations: Array<{ id: number; name: string }> }> {
      const [hostgroups, organizations, locations] = await Promise.all([
        db.query('SELECT id, title FROM hostgroups') as Promise<Array<{ id: unknown; title: string }>>,
        db.query('SELECT id, name FROM organizations') as Promise<Array<{ id: unknown; name: string }>>,
        db.query('SELECT id, name FROM locations') as Promise<Array<{ id: unknown; name: string }>>,
      ]);
      return {
        hostgroups: hostgroups.map((g) => ({ id: Number(g.id), title: String(g.title) })),
        organizations: organizations.map((o) => ({ id: Number(o.id), name: String(o.name) })),
        locations: locations.map((l) => ({ id: Number(l.id), name: String(l.name) })),
      };
    },

    // Roles -------------------------------------------------------------------------------------

    searchRoles: (params: { search: string; page: number; perPage: number }) => page<RoleEntity>('roles', 'r', ROLE_SEARCH, 'r.name', (ids) => roles.createQueryBuilder('r').where('r.id IN (:...ids)', { ids }).getMany(), params),

    async findRole(idOrName: string | number): Promise<RoleEntity | null> {
      if (typeof idOrName === 'number' || /^\d+$/.test(idOrName)) return roles.findOne({ where: { id: Number(idOrName) } });
      return roles.findOne({ where: { name: idOrName } });
    },

    async findRolesByIds(ids: number[]): Promise<RoleEntity[]> {
      if (ids.length === 0) return [];
      return roles.createQueryBuilder('r').where('r.id IN (:...ids)', { ids }).getMany();
    },

    async createRole(role: { name: string; description: string | null; builtin: boolean; clonedFromId?: number | null; now: Date }): Promise<RoleEntity> {
      return roles.save(roles.create({ name: role.name, description: role.description, builtin: role.builtin, clonedFromId: role.clonedFromId ?? null, createdAt: role.now, updatedAt: role.now }));
    },

    async updateRole(id: number, fields: Partial<Pick<RoleEntity, 'name' | 'description' | 'builtin'>>, now: Date): Promise<void> {
      await roles.update({ id }, { ...fields, updatedAt: now });
    },

    async deleteRole(id: number): Promise<void> {
      await roles.delete({ id });
    },

    /** Users holding each role, counted. */
    async userCountsOfRoles(roleIds: number[]): Promise<Map<number, number>> {
      if (roleIds.length === 0) return new Map();
      const rows = (await db.query(`SELECT role_id, COUNT(*) AS n FROM user_roles WHERE role_id IN (${placeholders(roleIds.length)}) GROUP BY role_id`, roleIds)) as Array<{ role_id: unknown; n: unknown }>;
      return new Map(rows.map((r) => [Number(r.role_id), Number(r.n)]));
    },

    // Filters -----------------------------------------------------------------------------------

    searchFilters: async (params: { search: string; page: number; perPage: number; roleId?: number }): Promise<Page<StoredFilter>> => {
      const extra = params.roleId !== undefined ? { sql: 'f.role_id = ?', params: [params.roleId] } : undefined;
      const found = await page<FilterEntity>('filters', 'f', FILTER_SEARCH, 'f.id', (ids) => filters.createQueryBuilder('f').where('f.id IN (:...ids)', { ids }).getMany(), { ...params, extra });
      return { ...found, results: found.results.map(toFilter) };
    },

    async filtersOfRoles(roleIds: number[]): Promise<StoredFilter[]> {
      if (roleIds.length === 0) return [];
      return (await filters.createQueryBuilder('f').where('f.role_id IN (:...roleIds)', { roleIds }).orderBy('f.id').getMany()).map(toFilter);
    },

    async findFilter(id: number): Promise<StoredFilter | null> {
      const e = await filters.findOne({ where: { id } });
      return e ? toFilter(e) : null;
    },

    async createFilter(filter: { roleId: number; permissions: Permission[]; search: string | null; now: Date }): Promise<StoredFilter> {
      return toFilter(await filters.save(filters.create({ roleId: filter.roleId, permissions: JSON.stringify(filter.permissions), search: filter.search, createdAt: filter.now, updatedAt: filter.now })));
    },

    async updateFilter(id: number, fields: { permissions?: Permission[]; search?: string | null }, now: Date): Promise<void> {
      await filters.update({ id }, { ...(fields.permissions ? { permissions: JSON.stringify(fields.permissions) } : {}), ...(fields.search !== undefined ? { search: fields.search } : {}), updatedAt: now });
    },

    async deleteFilter(id: number): Promise<void> {
      await filters.delete({ id });
    },

    async deleteFiltersOfRole(roleId: number): Promise<void> {
      await filters.delete({ roleId });
    },

    // Personal access tokens --------------------------------------------------------------------

    async createToken(token: { userId: number; name: string; tokenHash: string; expiresAt: Date | null; now: Date }): Promise<PersonalAccessTokenEntity> {
      return tokens.save(tokens.create({ userId: token.userId, name: token.name, tokenHash: token.tokenHash, expiresAt: token.expiresAt, lastUsedAt: null, revoked: false, createdAt: token.now, updatedAt: token.now }));
    },

    tokensOfUser: (userId: number) => tokens.find({ where: { userId }, order: { id: 'ASC' } }),
    findToken: (userId: number, id: number) => tokens.findOne({ where: { userId, id } }),
    findTokenByHash: (tokenHash: string) => tokens.findOne({ where: { tokenHash } }),

    async revokeToken(id: number, now: Date): Promise<void> {
      await tokens.update({ id }, { revoked: true, updatedAt: now });
    },

    async touchToken(id: number, now: Date): Promise<void> {
      await tokens.update({ id }, { lastUsedAt: now });
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;

/** The user repository, plus a transaction that hands out one bound to it. */
export function createUserStore(dataSource: DataSource) {
  return {
    ...createUserRepository(dataSource.manager),
    transaction: <T>(fn: (repo: UserRepository) => Promise<T>): Promise<T> => dataSource.transaction((m) => fn(createUserRepository(m))),
  };
}

export type UserStore = ReturnType<typeof createUserStore>;

import { AppError } from '../errors';
import { describeRule, rulesFromFilters, uncoveredRules, type PermissionRule } from './abilities';
import type { CurrentUser, Permission } from './current-user';
import type { RoleEntity } from './role.entity';
import type { UserEntity } from './user.entity';
import type { UserRepository } from './user.repository';

/** A user's roles and taxonomies: everything its rules are built from besides the filters. */
export interface Assignment {
  roleIds: number[];
  organizationIds: number[];
  locationIds: number[];
}

/** The part of a user change that can widen what the user may do. */
export interface AssignmentChange {
  role_ids?: number[];
  organization_ids?: number[];
  location_ids?: number[];
}

function onlyAdmins(doing: string): AppError {
  return new AppError('PERMISSION_DENIED', `access denied: only administrators may ${doing}`, { details: { missing_permissions: ['admin'] } });
}

function beyondYou(uncovered: PermissionRule[], message: string): AppError {
  const shown = uncovered.slice(0, 5).map(describeRule).join('; ');
  return new AppError('PERMISSION_DENIED', `access denied: ${message} (${shown}${uncovered.length > 5 ? '; ...' : ''}); you may grant and manage only what you hold yourself, an administrator anything`, {
    details: { missing_permissions: [...new Set(uncovered.map((r) => r.permission))] },
  });
}

/**
 * Rules 1-3 of abilities.ts for the user-management service: administrators only for
 * administrators, grant only what you hold, manage only users and roles you cover. Each check
 * throws PERMISSION_DENIED naming (up to five of) the rules that reach beyond the actor.
 */
export function createGrantChecks(users: UserRepository) {
  /** The rules a user with these roles and taxonomies has, built as `loadCurrentUser` builds them. */
  async function rulesOfAssignment(repo: UserRepository, a: Assignment): Promise<PermissionRule[]> {
    const filters = await repo.filtersOfRoles(a.roleIds);
    return rulesFromFilters(filters, await repo.taxonomyLookup(), { organizationIds: a.organizationIds, locationIds: a.locationIds });
  }

  async function assignmentOf(repo: UserRepository, userId: number): Promise<Assignment> {
    const [roles, orgs, locs] = await Promise.all([repo.rolesOfUsers([userId]), repo.taxonomiesOfUsers('organization', [userId]), repo.taxonomiesOfUsers('location', [userId])]);
    const ids = (rows: Array<{ id: number }> | undefined) => (rows ?? []).map((r) => r.id);
    return { roleIds: ids(roles.get(userId)), organizationIds: ids(orgs.get(userId)), locationIds: ids(locs.get(userId)) };
  }

  async function requireFiltersCovered(actor: CurrentUser, filters: ReadonlyArray<{ permissions: Permission[]; search: string | null }>, what: string): Promise<void> {
    if (actor.admin || filters.length === 0) return;
    // Read as for a user without taxonomies: the widest the filter can reach whoever holds it.
    const uncovered = uncoveredRules(actor, rulesFromFilters(filters, await users.taxonomyLookup(), { organizationIds: [], locationIds: [] }));
    if (uncovered.length > 0) throw beyondYou(uncovered, `${what} reaches beyond your permissions`);
  }

  return {
    /**
     * Rules 1 and 3: another user's account (its password, state, roles, deletion, tokens) is the
     * actor's to manage only when the actor is an administrator, or the user is no administrator and
     * every rule of the user lies inside the actor's. `doing` reads "<doing> <login>", e.g. "delete".
     */
    async requireManageable(actor: CurrentUser, user: UserEntity, doing: string): Promise<void> {
      if (actor.admin || user.id === actor.id) return;
      if (user.admin) throw onlyAdmins(`${doing} an administrator`);
      const uncovered = uncoveredRules(actor, await rulesOfAssignment(users, await assignmentOf(users, user.id)));
      if (uncovered.length > 0) throw beyondYou(uncovered, `you may not ${doing} ${user.login}: that user holds permissions you do not`);
    },

    /**
     * Rule 2 for users: with roles or taxonomies changed, the user's rules (as they will be) lie
     * inside the actor's. `userId` null is a new user. Run inside the change's transaction.
     */
    async requireGrantable(actor: CurrentUser, repo: UserRepository, userId: number | null, change: AssignmentChange): Promise<void> {
      if (actor.admin || (!change.role_ids && !change.organization_ids && !change.location_ids)) return;
      const now: Assignment = userId === null ? { roleIds: [], organizationIds: [], locationIds: [] } : await assignmentOf(repo, userId);
      const after: Assignment = {
        roleIds: change.role_ids ?? now.roleIds,
        organizationIds: change.organization_ids ?? now.organizationIds,
        locationIds: change.location_ids ?? now.locationIds,
      };
      const uncovered = uncoveredRules(actor, await rulesOfAssignment(repo, after));
      if (uncovered.length > 0) throw beyondYou(uncovered, 'these roles and taxonomies would grant permissions you do not hold');
    },

    /** Rule 2 for filters: what the filters grant to a user without taxonomies lies inside the actor's rules. */
    requireFiltersCovered,

    /** Rule 3 for roles: the actor covers every filter of the role it renames, deletes or clones. */
    async requireRoleCovered(actor: CurrentUser, role: RoleEntity, doing: string): Promise<void> {
      if (actor.admin) return;
      await requireFiltersCovered(actor, await users.filtersOfRoles([role.id]), `${doing} role ${role.name}`);
    },
  };
}

/** A permission name, as Foreman spells them (`view_hosts`); the full list is in abilities.ts. */
export type Permission =
  | 'view_hosts'
  | 'view_jobs'
  | 'create_jobs'
  | 'cancel_jobs'
  | 'manage_schedules'
  | 'manage_others_schedules'
  | 'view_smart_proxies'
  | 'manage_users'
  | 'view_audit_logs'
  | 'manage_inventory'
  | 'run_job_templates';

/**
 * One permission a user holds through one filter of one of their roles, with the filter's
 * conditions resolved to ids. An absent list means "any"; an empty list means "none" (a name that
 * no longer resolves, or a filter outside the user's organizations), so a stale filter never widens.
 */
export interface PermissionRule {
  permission: Permission;
  /** Agents (namespaces) the rule covers. */
  namespaces?: readonly string[];
  /** Actions the rule covers, by action name (`status`), in any of `namespaces`. */
  actions?: readonly string[];
  /** Job templates the rule covers, by exact name (run_job_templates). */
  templates?: readonly string[];
  /** Hostgroups the rule covers, every descendant included. */
  hostgroupIds?: readonly number[];
  organizationIds?: readonly number[];
  locationIds?: readonly number[];
}

/**
 * The caller of a service method: who, and everything the permission checks need. Build it with
 * `auth.loadCurrentUser(id)`; the HTTP layer adds `source`. Plain data, so it can be kept in a
 * session or a scheduled job and reloaded by id.
 */
export interface CurrentUser {
  id: number;
  login: string;
  /** Administrators pass every check, whatever their roles and taxonomies. */
  admin: boolean;
  /** What the user's roles allow; absent means nothing (only `admin` then counts). */
  rules?: readonly PermissionRule[];
  /** Where the request came from (the client address); absent for background work such as a scheduled run. */
  source?: string;
  /** The request id, for the audit trail. */
  requestId?: string;
  /** The browser session the request came with (its id, the SHA-256 of the cookie token); absent for HTTP Basic. */
  sessionId?: string;
}

/**
 * Authorization scopes (abilities.ts) as SQL conditions that repositories append to the queries
 * they already build, so a listing or a search never reads a row the caller may not see. Pure
 * string building: identifiers come from the callers (code), every id and name is a `?` parameter.
 *
 * Every condition is two-valued: a NULL column (a host without hostgroup, a job host whose host was
 * deleted) fails a condition instead of turning it into SQL NULL, which `NOT (...)` would let through.
 */
import type { ActionScope, ActionScopeRule, HostCondition, HostScope } from './abilities';

export interface Sql {
  sql: string;
  params: unknown[];
}

export interface HostColumns {
  hostgroup: string;
  organization: string;
  location: string;
}

/** `h.hostgroup_id`, `h.organization_id`, `h.location_id` for a host table aliased `alias`. */
export const hostColumns = (alias: string): HostColumns => ({ hostgroup: `${alias}.hostgroup_id`, organization: `${alias}.organization_id`, location: `${alias}.location_id` });

const TRUE: Sql = { sql: '1=1', params: [] };
const FALSE: Sql = { sql: '1=0', params: [] };

function inList(column: string, values: readonly unknown[]): Sql {
  if (values.length === 0) return FALSE;
  return { sql: `(${column} IS NOT NULL AND ${column} IN (${values.map(() => '?').join(', ')}))`, params: [...values] };
}

function and(parts: Sql[]): Sql {
  const real = parts.filter((p) => p !== TRUE);
  if (real.length === 0) return TRUE;
  if (real.includes(FALSE)) return FALSE;
  return real.length === 1 ? real[0] : { sql: `(${real.map((p) => p.sql).join(' AND ')})`, params: real.flatMap((p) => p.params) };
}

function or(parts: Sql[]): Sql {
  const real = parts.filter((p) => p !== FALSE);
  if (real.length === 0) return FALSE;
  if (real.includes(TRUE)) return TRUE;
  return real.length === 1 ? real[0] : { sql: `(${real.map((p) => p.sql).join(' OR ')})`, params: real.flatMap((p) => p.params) };
}

function hostConditionSql(c: HostCondition | 'all', columns: HostColumns): Sql {
  if (c === 'all') return TRUE;
  return and([
    c.hostgroupIds ? inList(columns.hostgroup, c.hostgroupIds) : TRUE,
    c.organizationIds ? inList(columns.organization, c.organizationIds) : TRUE,
    c.locationIds ? inList(columns.location, c.locationIds) : TRUE,
  ]);
}

/** The hosts of a scope, as a condition on the given host columns; `1=1` for all, `1=0` for none. */
export function hostScopeSql(scope: HostScope, columns: HostColumns): Sql {
  if (scope.all) return TRUE;
  return or(scope.anyOf.map((c) => hostConditionSql(c, columns)));
}

/** The host column that refers to each kind of reference a host has. */
const REFERENCE_COLUMN = { hostgroup: 'hostgroup_id', organization: 'organization_id', location: 'location_id' } as const;
const RULE_IDS = { hostgroup: 'hostgroupIds', organization: 'organizationIds', location: 'locationIds' } as const;

/**
 * Hostgroups, organizations or locations a host scope reaches (rule 5 in abilities.ts), as a
 * condition on their id column: those a rule of the scope names (a hostgroup rule includes every
 * descendant), and those holding a host inside the scope (an EXISTS probe on the hosts' index of
 * that column).
 */
export function referenceScopeSql(scope: HostScope, kind: keyof typeof REFERENCE_COLUMN, idColumn: string): Sql {
  if (scope.all) return TRUE;
  const named = [...new Set(scope.anyOf.flatMap((c) => c[RULE_IDS[kind]] ?? []))];
  const inside = hostScopeSql(scope, hostColumns('rh'));
  const holding: Sql = inside === FALSE ? FALSE : { sql: `EXISTS (SELECT 1 FROM hosts rh WHERE rh.${REFERENCE_COLUMN[kind]} = ${idColumn} AND ${inside.sql})`, params: inside.params };
  return or([named.length > 0 ? inList(idColumn, named) : FALSE, holding]);
}

export function isEverything(sql: Sql): boolean {
  return sql === TRUE;
}

/**
 * Jobs the scope reaches (rule 4 in abilities.ts): one of its rules covers the job's agent and
 * action, and either
 *  - the job has host rows and none lies outside the hosts those rules reach (hosts as they are
 *    now; a job host whose host was deleted counts as outside), or
 *  - one rule covering its action reaches every host (no host condition), or
 *  - the job has no host rows and is the caller's own (`ownerId`, the caller's user id).
 * A job without host rows (scheduled and not yet launched, purged by retention, or matching no
 * host) therefore reaches only its owner and unrestricted rules, never everyone through the vacuous
 * absence of rows. One condition on the job row, for listings (one query) and single jobs alike;
 * the row checks are EXISTS probes on the job's own index range. `job` is the job row alias and
 * `ra` its remote action's.
 */
export function jobScopeSql(scope: ActionScope, aliases: { job: string; action: string }, ownerId: number | null): Sql {
  if (scope.all) return TRUE;
  const covers = (r: ActionScopeRule): Sql => and([
    r.namespaces ? inList(`${aliases.action}.namespace`, r.namespaces) : TRUE,
    r.actions ? inList(`${aliases.action}.action`, r.actions) : TRUE,
  ]);
  const anyRule = or(scope.anyOf.map(covers));
  if (anyRule === FALSE) return FALSE;
  // Without host conditions the rule that admits the job's agent admits every host of it.
  if (scope.anyOf.every((r) => r.host === 'all')) return anyRule;
  const reach = or(scope.anyOf.map((r) => and([covers(r), hostConditionSql(r.host, hostColumns('sh'))])));
  if (reach === TRUE) return anyRule;
  const everywhere = or(scope.anyOf.filter((r) => r.host === 'all').map(covers));
  const rows = `SELECT 1 FROM job_invocation_hosts ajh WHERE ajh.job_invocation_id = ${aliases.job}.id`;
  const noneOutside: Sql = {
    sql: `NOT EXISTS (SELECT 1 FROM job_invocation_hosts sjh LEFT JOIN hosts sh ON sh.id = sjh.host_id WHERE sjh.job_invocation_id = ${aliases.job}.id AND NOT ${reach.sql})`,
    params: reach.params,
  };
  const byHosts = and([{ sql: `EXISTS (${rows})`, params: [] }, noneOutside]);
  const byOwner: Sql = ownerId === null ? FALSE : { sql: `(NOT EXISTS (${rows}) AND ${aliases.job}.owner_id = ?)`, params: [ownerId] };
  return and([anyRule, or([everywhere, byHosts, byOwner])]);
}

/** Rewrites `?` placeholders to TypeORM named parameters (`:prefix0`, ...), for query builders. */
export function named(sql: Sql, prefix: string): { sql: string; params: Record<string, unknown> } {
  let i = 0;
  const params: Record<string, unknown> = {};
  const text = sql.sql.replace(/\?/g, () => {
    const name = `${prefix}${i}`;
    params[name] = sql.params[i];
    i += 1;
    return `:${name}`;
  });
  return { sql: text, params };
}

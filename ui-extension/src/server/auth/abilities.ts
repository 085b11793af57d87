/**
 * Every authorization rule of the ui-extension, in one place (STYLE.md §1): the permissions, the
 * built-in roles, what a filter's search may say, and how a user's filters become CASL rules.
 * Services ask the helpers at the bottom; repositories turn the scopes into SQL (auth/scope-sql.ts).
 * docs/SECURITY.md states the same rules for operators, with the matrix of who may call what.
 *
 * Foreman's model (app/models/role.rb, filter.rb): a user has roles; a role has filters; a filter
 * grants permissions, narrowed by a search. Here the search may name the agent (`namespace`), the
 * `action`, the hostgroup (always with every descendant), the organization and the location, e.g.
 * `namespace = package and action = status and hostgroup = web`; a run_job_templates filter names
 * the job template (`name = restart-web and hostgroup = web`). A user's own organizations and
 * locations narrow every host-scoped rule further, as Foreman's taxonomies do. Administrators pass
 * every check.
 *
 * The rules the services enforce on top of the permissions:
 *
 * 1. Administrators only for administrators. Only an administrator creates an administrator,
 *    sets the admin flag, or touches an administrator's account in any way: its password, roles,
 *    taxonomies, state, login, deletion and its personal access tokens (list, show, create, revoke).
 *
 * 2. Grant only what you hold (Foreman's `escalate_roles`, without the permission that lifts it:
 *    whoever held it could give itself everything, which is what the admin flag already means).
 *    A non-administrator with manage_users may give a user (itself included) roles and taxonomies
 *    only when every rule the user then has lies inside one rule the giver has (`uncoveredRules`):
 *    the same permission, and for each condition (agents, actions, hostgroups, organizations,
 *    locations) the giver's rule has none or a list that holds all of the granted one's. Taking an
 *    organization away from a user widens its rules, so it is checked the same way. A filter written
 *    on any role (created, changed, or copied by a clone) must lie inside the writer's rules, read
 *    as it would apply to a user without taxonomies (the widest it can reach).
 *
 * 3. Manage only users and roles you cover. A non-administrator changes, deletes or resets the
 *    password of another user, or lists, shows, creates or revokes its tokens, only when that user's
 *    rules all lie inside its own: logging in as that user, or acting as it through a token, gains
 *    nothing. It renames, deletes or removes filters from a role only when it covers every filter of
 *    that role. Reading users, roles and filters needs manage_users alone: they hold no secret.
 *
 * 4. Jobs and schedules follow their whole targeting and their owner. A job with host rows is
 *    reached by a permission's rules for its agent and action when they reach every one of its hosts
 *    (`jobScopeSql`); a job without any (scheduled and not yet launched, purged by retention, or
 *    matching no host) only by its owner and by rules for its action without host conditions. A
 *    schedule is read by its owner, or by view_jobs rules for its action reaching every host its runs
 *    reach (its targeting through the owner's view; never in full, which made a fact oracle). Changing,
 *    enabling, disabling or deleting one needs create_jobs and manage_schedules for its action with
 *    every host its runs reach inside their scopes (an outside host refuses, it is never dropped),
 *    and ownership or manage_others_schedules for its action and hosts likewise. An owner may always
 *    disable or delete its own schedule with manage_schedules for its action: stopping reaches no host.
 *    A targeting matching no host now proves no scope (another user's such schedule is reached only
 *    by rules without host conditions), and someone else re-targets a schedule only as a static
 *    query: a dynamic one is resolved again at every run, as the owner (scheduler/schedule-access.ts).
 *
 * 5. Reference lists follow the hosts. Hostgroups, organizations and locations are listed, shown
 *    and completed when the caller's view_hosts rules name them or reach a host in them; fact names
 *    when a host the caller sees has the fact.
 *
 * 6. A template is a narrower grant than its action (Foreman's JobTemplate filter). run_job_templates
 *    for a template's name lets a user run that template without create_jobs for its action: the
 *    template fixes the agent, the action, the non-input arguments and the inputs' types, so what
 *    the user chooses is only what the template lets it choose. The run is checked as any job
 *    (`asTemplateRunner`): the hosts must be visible (view_hosts) and inside the host conditions of
 *    that run_job_templates filter (or of a create_jobs filter for the action). The raw action
 *    stays out of reach, and so does every other template.
 */
import { AbilityBuilder, createMongoAbility, subject as asSubject, type MongoAbility, type MongoQuery } from '@casl/ability';
import { AppError } from '../errors';
import { parseSearch, type SearchNode } from '../search/parser';
import type { CurrentUser, Permission, PermissionRule } from './current-user';

export type { CurrentUser, Permission, PermissionRule } from './current-user';

/** The condition keys a filter search may use; `host` keys narrow hosts, `action` keys narrow what runs. */
type ConditionKind = 'host' | 'action' | 'template';

export interface PermissionInfo {
  /** Stable, as Foreman's `permission_ids` refer to them; never renumber. */
  id: number;
  name: Permission;
  resource_type: string;
  description: string;
  /** Which kinds of conditions a filter with this permission may carry. */
  conditions: readonly ConditionKind[];
}

export const PERMISSIONS: readonly PermissionInfo[] = [
  { id: 1, name: 'view_hosts', resource_type: 'Host', description: 'See hosts, their facts, and search them', conditions: ['host'] },
  { id: 2, name: 'view_jobs', resource_type: 'JobInvocation', description: 'See jobs whose every host is in scope, with their results', conditions: ['host', 'action'] },
  { id: 3, name: 'create_jobs', resource_type: 'JobInvocation', description: 'Run (and replay) an action on hosts', conditions: ['host', 'action'] },
  { id: 4, name: 'cancel_jobs', resource_type: 'JobInvocation', description: 'Cancel a running job', conditions: ['host', 'action'] },
  { id: 5, name: 'manage_schedules', resource_type: 'Schedule', description: 'Create, change and delete schedules', conditions: ['host', 'action'] },
  { id: 6, name: 'view_smart_proxies', resource_type: 'SmartProxy', description: 'See smart proxies (with a host condition: those serving a host in scope)', conditions: ['host'] },
  { id: 7, name: 'manage_users', resource_type: 'User', description: 'Manage users, roles and filters, and other users\' tokens', conditions: [] },
  { id: 8, name: 'view_audit_logs', resource_type: 'Audit', description: 'See every audit entry (without it, only one\'s own)', conditions: [] },
  { id: 9, name: 'manage_inventory', resource_type: 'Inventory', description: 'Import inventories and refresh smart proxies', conditions: [] },
  { id: 10, name: 'manage_others_schedules', resource_type: 'Schedule', description: 'Change and delete schedules other users own (with manage_schedules and create_jobs for their action and hosts)', conditions: ['host', 'action'] },
  { id: 11, name: 'run_job_templates', resource_type: 'JobTemplate', description: 'Run job templates (narrowed by name) on hosts in scope, without create_jobs for their action', conditions: ['template', 'host'] },
];

const PERMISSION_BY_NAME = new Map(PERMISSIONS.map((p) => [p.name, p]));
const PERMISSION_BY_ID = new Map(PERMISSIONS.map((p) => [p.id, p]));

export function permissionByName(name: string): PermissionInfo | undefined {
  return PERMISSION_BY_NAME.get(name as Permission);
}

export function permissionById(id: number): PermissionInfo | undefined {
  return PERMISSION_BY_ID.get(id);
}

export interface BuiltinRole {
  name: string;
  description: string;
  filters: ReadonlyArray<{ permissions: readonly Permission[]; search: string | null }>;
}

const VIEW: Permission[] = ['view_hosts', 'view_jobs', 'view_smart_proxies'];
const OPERATE: Permission[] = [...VIEW, 'create_jobs', 'cancel_jobs', 'run_job_templates'];

/**
 * The built-in roles, written to the database at every start (auth.service `ensureBuiltinRoles`)
 * and locked there: to narrow one, clone it and edit the clone's filters. Manager is the Operator
 * plus its own schedules; only Admin (and the admin flag) manages users and others' schedules, sees
 * every audit entry and changes the inventory, because those reach beyond any organization.
 */
export const BUILTIN_ROLES: readonly BuiltinRole[] = [
  { name: 'Viewer', description: 'Sees hosts, jobs and smart proxies', filters: [{ permissions: VIEW, search: null }] },
  { name: 'Operator', description: 'Viewer, and runs and cancels jobs', filters: [{ permissions: OPERATE, search: null }] },
  { name: 'Manager', description: 'Operator, and manages schedules', filters: [{ permissions: [...OPERATE, 'manage_schedules'], search: null }] },
  { name: 'Admin', description: 'Every permission (the admin flag also ignores taxonomies)', filters: [{ permissions: PERMISSIONS.map((p) => p.name), search: null }] },
];

// ---------------------------------------------------------------------------------------------
// Filter searches

/** What a filter search says, before names are resolved to ids. */
export interface FilterConditions {
  namespaces?: string[];
  actions?: string[];
  templates?: string[];
  hostgroups?: Array<{ title: string } | { id: number }>;
  organizations?: Array<{ name: string } | { id: number }>;
  locations?: Array<{ name: string } | { id: number }>;
}

type ConditionKey = keyof FilterConditions;

/** Filter search keys -> condition, kind and whether the value is an id. Hostgroups always include descendants. */
const FILTER_KEYS: Record<string, { key: ConditionKey; kind: ConditionKind; id: boolean }> = {
  namespace: { key: 'namespaces', kind: 'action', id: false },
  agent: { key: 'namespaces', kind: 'action', id: false },
  action: { key: 'actions', kind: 'action', id: false },
  name: { key: 'templates', kind: 'template', id: false },
  job_template: { key: 'templates', kind: 'template', id: false },
  hostgroup: { key: 'hostgroups', kind: 'host', id: false },
  hostgroup_title: { key: 'hostgroups', kind: 'host', id: false },
  hostgroup_fullname: { key: 'hostgroups', kind: 'host', id: false },
  parent_hostgroup: { key: 'hostgroups', kind: 'host', id: false },
  hostgroup_id: { key: 'hostgroups', kind: 'host', id: true },
  organization: { key: 'organizations', kind: 'host', id: false },
  organization_id: { key: 'organizations', kind: 'host', id: true },
  location: { key: 'locations', kind: 'host', id: false },
  location_id: { key: 'locations', kind: 'host', id: true },
};

export const FILTER_SEARCH_KEYS = Object.keys(FILTER_KEYS);

function filterError(message: string, rule: string): AppError {
  return new AppError('INVALID_ARGUMENT', `search: ${message}`, { details: { fields: [{ field: 'search', rule }] } });
}

function conjuncts(node: SearchNode): SearchNode[] {
  return node.type === 'and' ? [...conjuncts(node.left), ...conjuncts(node.right)] : [node];
}

/**
 * Parses a filter's search: terms `key = value` or `key ^ (a, b)` joined by `and`, each key once.
 * `or`, `not` and other operators are refused, because a filter that cannot be read exactly must
 * not grant anything. Throws INVALID_ARGUMENT naming the term and the rule.
 */
export function parseFilterSearch(search: string | null | undefined, permissions: readonly Permission[]): FilterConditions {
  const text = (search ?? '').trim();
  if (text === '') return {};
  const ast = parseSearch(text);
  if (!ast) return {};
  const out: FilterConditions = {};
  const seen = new Set<ConditionKey>();
  for (const term of conjuncts(ast)) {
    if (term.type !== 'condition' && term.type !== 'list') {
      throw filterError(`a filter is a list of 'key = value' or 'key ^ (a, b)' terms joined by 'and'; got ${term.type === 'text' ? `'${term.value}'` : `'${term.type}'`}`, 'key = value terms joined by and');
    }
    const spec = FILTER_KEYS[term.key.toLowerCase()];
    if (!spec) throw filterError(`unknown key '${term.key}'; a filter may use ${FILTER_SEARCH_KEYS.join(', ')}`, `one of ${FILTER_SEARCH_KEYS.join(', ')}`);
    if (term.operator !== '=' && term.operator !== '^') throw filterError(`operator '${term.operator}' cannot be used in a filter (${term.key}); use = or ^`, 'operator = or ^');
    for (const p of permissions) {
      if (!permissionByName(p)?.conditions.includes(spec.kind)) {
        throw filterError(`'${term.key}' does not apply to ${p}; ${p} takes ${permissionByName(p)?.conditions.length ? `${permissionByName(p)!.conditions.join(' and ')} conditions` : 'no conditions'}`, `${term.key} applies to ${p}`);
      }
    }
    if (seen.has(spec.key)) throw filterError(`'${term.key}' is given twice; name several values once with ^ (a, b)`, 'each key once');
    seen.add(spec.key);
    const values = (term.type === 'condition' ? [term.value] : term.values).map((v) => v.trim());
    if (values.some((v) => v === '')) throw filterError(`'${term.key}' has an empty value`, 'non-empty values');
    if (spec.id) {
      const ids = values.map(Number);
      if (ids.some((n) => !Number.isInteger(n) || n <= 0)) throw filterError(`'${term.key}' takes ids (whole numbers), got ${values.join(', ')}`, `${term.key} is an id`);
      (out as Record<string, unknown>)[spec.key] = ids.map((id) => ({ id }));
    } else if (spec.key === 'hostgroups') {
      out.hostgroups = values.map((title) => ({ title }));
    } else if (spec.key === 'organizations' || spec.key === 'locations') {
      out[spec.key] = values.map((name) => ({ name }));
    } else {
      out[spec.key] = values;
    }
  }
  return out;
}

/** Names and titles resolved by the loader; looked up case-insensitively like the database does. */
export interface TaxonomyLookup {
  hostgroups: ReadonlyArray<{ id: number; title: string }>;
  organizations: ReadonlyArray<{ id: number; name: string }>;
  locations: ReadonlyArray<{ id: number; name: string }>;
}

/** A hostgroup and all below it, by title prefix (titles are full paths such as `web/eu`). */
export function hostgroupSubtreeIds(roots: ReadonlyArray<{ id: number; title: string }>, all: ReadonlyArray<{ id: number; title: string }>): number[] {
  const out = new Set<number>();
  for (const root of roots) {
    const prefix = `${root.title.toLowerCase()}/`;
    for (const g of all) if (g.id === root.id || g.title.toLowerCase().startsWith(prefix)) out.add(g.id);
  }
  return [...out].sort((a, b) => a - b);
}

function intersect(a: readonly number[] | undefined, b: readonly number[] | undefined): readonly number[] | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const set = new Set(b);
  return a.filter((x) => set.has(x));
}

/**
 * A user's filters as rules. Names that no longer resolve resolve to nothing (the rule then
 * covers no host), and the user's own organizations/locations (empty: unrestricted) narrow every
 * host-scoped rule.
 */
export function rulesFromFilters(
  filters: ReadonlyArray<{ permissions: readonly Permission[]; search: string | null }>,
  lookup: TaxonomyLookup,
  user: { organizationIds: readonly number[]; locationIds: readonly number[] },
): PermissionRule[] {
  const lower = (s: string) => s.toLowerCase();
  const byTitle = new Map(lookup.hostgroups.map((g) => [lower(g.title), g]));
  const byId = new Map(lookup.hostgroups.map((g) => [g.id, g]));
  const named = (rows: ReadonlyArray<{ id: number; name: string }>, refs: Array<{ name: string } | { id: number }>): number[] => {
    const names = new Map(rows.map((r) => [lower(r.name), r.id]));
    const ids = new Set(rows.map((r) => r.id));
    return refs.flatMap((ref) => ('id' in ref ? (ids.has(ref.id) ? [ref.id] : []) : names.has(lower(ref.name)) ? [names.get(lower(ref.name))!] : []));
  };
  const userOrgs = user.organizationIds.length > 0 ? user.organizationIds : undefined;
  const userLocs = user.locationIds.length > 0 ? user.locationIds : undefined;
  const rules: PermissionRule[] = [];
  for (const filter of filters) {
    let conditions: FilterConditions;
    try {
      conditions = parseFilterSearch(filter.search, filter.permissions);
    } catch {
      // Stored before a rule change made it invalid: it grants nothing rather than too much.
      continue;
    }
    const hostgroupIds = conditions.hostgroups
      ? hostgroupSubtreeIds(conditions.hostgroups.flatMap((ref) => {
        const g = 'id' in ref ? byId.get(ref.id) : byTitle.get(lower(ref.title));
        return g ? [g] : [];
      }), lookup.hostgroups)
      : undefined;
    const organizationIds = conditions.organizations ? named(lookup.organizations, conditions.organizations) : undefined;
    const locationIds = conditions.locations ? named(lookup.locations, conditions.locations) : undefined;
    for (const permission of filter.permissions) {
      const info = permissionByName(permission);
      if (!info) continue;
      const rule: PermissionRule = { permission };
      if (info.conditions.includes('action')) {
        if (conditions.namespaces) rule.namespaces = conditions.namespaces;
        if (conditions.actions) rule.actions = conditions.actions;
      }
      if (info.conditions.includes('template') && conditions.templates) rule.templates = conditions.templates;
      if (info.conditions.includes('host')) {
        if (hostgroupIds) rule.hostgroupIds = hostgroupIds;
        const orgs = intersect(organizationIds, userOrgs);
        const locs = intersect(locationIds, userLocs);
        if (orgs) rule.organizationIds = orgs;
        if (locs) rule.locationIds = locs;
      }
      rules.push(rule);
    }
  }
  return rules;
}

// ---------------------------------------------------------------------------------------------
// CASL

export type AbilityAction = 'view' | 'create' | 'cancel' | 'manage' | 'run';
// `manage` is CASL's wildcard action (any action on the subject), so each permission that uses it
// needs a subject of its own: manage_others_schedules reads as ('manage', 'OthersSchedule').
export type AbilitySubject = 'Host' | 'Job' | 'SmartProxy' | 'Schedule' | 'OthersSchedule' | 'User' | 'Role' | 'Audit' | 'Inventory' | 'JobTemplate';
export type AppAbility = MongoAbility<[AbilityAction, AbilitySubject]>;

/** How each permission reads as CASL `can(action, subject, conditions)`. */
export const PERMISSION_ABILITIES: Record<Permission, ReadonlyArray<[AbilityAction, AbilitySubject]>> = {
  view_hosts: [['view', 'Host']],
  view_jobs: [['view', 'Job']],
  create_jobs: [['create', 'Job']],
  cancel_jobs: [['cancel', 'Job']],
  manage_schedules: [['manage', 'Schedule']],
  manage_others_schedules: [['manage', 'OthersSchedule']],
  view_smart_proxies: [['view', 'SmartProxy']],
  manage_users: [['manage', 'User'], ['manage', 'Role']],
  view_audit_logs: [['view', 'Audit']],
  manage_inventory: [['manage', 'Inventory']],
  run_job_templates: [['run', 'JobTemplate']],
};

/** The attributes CASL conditions test; a host row, optionally with the action it would run. */
export interface AbilityAttributes {
  namespace?: string;
  action?: string;
  template?: string;
  hostgroup_id?: number | null;
  organization_id?: number | null;
  location_id?: number | null;
}

function conditionsOf(rule: PermissionRule): MongoQuery<AbilityAttributes> | undefined {
  const c: Record<string, unknown> = {};
  if (rule.namespaces) c.namespace = { $in: [...rule.namespaces] };
  if (rule.actions) c.action = { $in: [...rule.actions] };
  if (rule.templates) c.template = { $in: [...rule.templates] };
  if (rule.hostgroupIds) c.hostgroup_id = { $in: [...rule.hostgroupIds] };
  if (rule.organizationIds) c.organization_id = { $in: [...rule.organizationIds] };
  if (rule.locationIds) c.location_id = { $in: [...rule.locationIds] };
  return Object.keys(c).length > 0 ? (c as MongoQuery<AbilityAttributes>) : undefined;
}

const abilities = new WeakMap<CurrentUser, AppAbility>();

/** The user's CASL ability (memoized per user object). Only `can` rules: nothing is granted by absence of a `cannot`. */
export function abilityFor(user: CurrentUser): AppAbility {
  const cached = abilities.get(user);
  if (cached) return cached;
  const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  if (user.admin) {
    for (const pairs of Object.values(PERMISSION_ABILITIES)) for (const [action, subject] of pairs) can(action, subject);
  } else {
    for (const rule of user.rules ?? []) {
      const conditions = conditionsOf(rule);
      for (const [action, subject] of PERMISSION_ABILITIES[rule.permission] ?? []) {
        if (conditions) can(action, subject, conditions as never);
        else can(action, subject);
      }
    }
  }
  const ability = build();
  abilities.set(user, ability);
  return ability;
}

// ---------------------------------------------------------------------------------------------
// Questions the services ask

/** Host conditions of one rule; every listed condition must hold. No field means any. */
export interface HostCondition {
  hostgroupIds?: readonly number[];
  organizationIds?: readonly number[];
  locationIds?: readonly number[];
}

/** The hosts a permission reaches: all of them, or those matching any of the conditions (none when empty). */
export type HostScope = { all: true } | { all: false; anyOf: HostCondition[] };

/** Per rule: the agents/actions it covers and the hosts it reaches, for scopes that vary by job. */
export interface ActionScopeRule {
  namespaces?: readonly string[];
  actions?: readonly string[];
  host: HostCondition | 'all';
}
export type ActionScope = { all: true } | { all: false; anyOf: ActionScopeRule[] };

function abilityPair(permission: Permission): [AbilityAction, AbilitySubject] {
  return PERMISSION_ABILITIES[permission][0];
}

/** The rules CASL holds for a permission, read back as plain conditions. */
function rulesOf(user: CurrentUser, permission: Permission): Array<{ conditions: AbilityAttributesQuery | undefined }> {
  const [action, subject] = abilityPair(permission);
  return abilityFor(user).rulesFor(action, subject).map((rule) => {
    // abilities.ts never writes `cannot`; an inverted rule would need subtraction the scopes do not do.
    if (rule.inverted) throw new Error(`inverted rule for ${permission}: scopes only handle can rules`);
    return { conditions: rule.conditions as AbilityAttributesQuery | undefined };
  });
}

type InList = { $in: Array<string | number> };
type AbilityAttributesQuery = Partial<Record<keyof AbilityAttributes, InList>>;

const listOf = <T extends string | number>(q: InList | undefined): T[] | undefined => (q ? (q.$in as T[]) : undefined);

function hostConditionOf(c: AbilityAttributesQuery | undefined): HostCondition | 'all' {
  const condition: HostCondition = {};
  const hg = listOf<number>(c?.hostgroup_id);
  const org = listOf<number>(c?.organization_id);
  const loc = listOf<number>(c?.location_id);
  if (hg) condition.hostgroupIds = hg;
  if (org) condition.organizationIds = org;
  if (loc) condition.locationIds = loc;
  return Object.keys(condition).length === 0 ? 'all' : condition;
}

function matchesAction(c: AbilityAttributesQuery | undefined, target: { namespace?: string; action?: string }): boolean {
  const ns = listOf<string>(c?.namespace);
  const ac = listOf<string>(c?.action);
  if (ns && (target.namespace === undefined || !ns.includes(target.namespace))) return false;
  if (ac && (target.action === undefined || !ac.includes(target.action))) return false;
  return true;
}

/** Whether the user holds the permission at all (under any conditions). */
export function hasPermission(user: CurrentUser, permission: Permission): boolean {
  const [action, subject] = abilityPair(permission);
  return abilityFor(user).can(action, subject);
}

/**
 * The hosts a permission reaches, for one agent/action when the permission has action conditions
 * (rules for other actions are left out). Administrators and rules without host conditions reach all.
 */
export function hostScope(user: CurrentUser, permission: Permission, target: { namespace?: string; action?: string } = {}): HostScope {
  if (user.admin) return { all: true };
  const anyOf: HostCondition[] = [];
  for (const rule of rulesOf(user, permission)) {
    if (!matchesAction(rule.conditions, target)) continue;
    const host = hostConditionOf(rule.conditions);
    if (host === 'all') return { all: true };
    anyOf.push(host);
  }
  return { all: false, anyOf };
}

/** A permission's rules with their agent/action and host conditions, for listings across many jobs. */
export function actionScope(user: CurrentUser, permission: Permission): ActionScope {
  if (user.admin) return { all: true };
  const anyOf: ActionScopeRule[] = [];
  for (const rule of rulesOf(user, permission)) {
    const entry: ActionScopeRule = { host: hostConditionOf(rule.conditions) };
    const ns = listOf<string>(rule.conditions?.namespace);
    const ac = listOf<string>(rule.conditions?.action);
    if (ns) entry.namespaces = ns;
    if (ac) entry.actions = ac;
    if (!ns && !ac && entry.host === 'all') return { all: true };
    anyOf.push(entry);
  }
  return { all: false, anyOf };
}

/** Whether any rule of the permission covers this agent/action (on some hosts). */
export function coversAction(user: CurrentUser, permission: Permission, namespace: string, action?: string): boolean {
  if (user.admin) return true;
  return rulesOf(user, permission).some((rule) => {
    const ns = listOf<string>(rule.conditions?.namespace);
    const ac = listOf<string>(rule.conditions?.action);
    return (!ns || ns.includes(namespace)) && (action === undefined || !ac || ac.includes(action));
  });
}

/** Whether the user may do `permission` on one host (a row with its ids), CASL evaluating the conditions. */
export function allowsHost(user: CurrentUser, permission: Permission, host: AbilityAttributes): boolean {
  const [action, subject] = abilityPair(permission);
  // CASL's subject helper tags the object with its type; a copy keeps the caller's row untouched.
  return abilityFor(user).can(action, asSubject(subject, { ...host }) as never);
}

/** Whether a run_job_templates rule names this template (or names none). */
export function coversTemplate(user: CurrentUser, name: string): boolean {
  if (user.admin) return true;
  return (user.rules ?? []).some((r) => r.permission === 'run_job_templates' && (!r.templates || r.templates.includes(name)));
}

/**
 * The user as it runs one template (rule 6 of the header): its own rules, plus, for each
 * run_job_templates rule naming the template, a create_jobs rule for the template's agent and action
 * only, with that rule's host conditions. The job is then created and checked as any job; names
 * match exactly, so a filter never reaches a template it does not spell.
 */
export function asTemplateRunner(user: CurrentUser, template: { name: string; namespace: string; action: string }): CurrentUser {
  if (user.admin) return user;
  const granted: PermissionRule[] = (user.rules ?? [])
    .filter((r) => r.permission === 'run_job_templates' && (!r.templates || r.templates.includes(template.name)))
    .map((r) => {
      const rule: PermissionRule = { permission: 'create_jobs', namespaces: [template.namespace], actions: [template.action] };
      if (r.hostgroupIds) rule.hostgroupIds = r.hostgroupIds;
      if (r.organizationIds) rule.organizationIds = r.organizationIds;
      if (r.locationIds) rule.locationIds = r.locationIds;
      return rule;
    });
  return granted.length === 0 ? user : { ...user, rules: [...(user.rules ?? []), ...granted] };
}

/** Throws PERMISSION_DENIED naming the missing permission unless the user holds it. */
export function requirePermission(user: CurrentUser, permission: Permission, doing: string): void {
  if (!hasPermission(user, permission)) {
    throw new AppError('PERMISSION_DENIED', `access denied: ${doing} needs the ${permission} permission`, { details: { missing_permissions: [permission] } });
  }
}

// ---------------------------------------------------------------------------------------------
// Granting (rule 2 of the header)

const within = <T>(inner: readonly T[] | undefined, outer: readonly T[] | undefined): boolean =>
  outer === undefined || (inner !== undefined && inner.every((x) => outer.includes(x)));

/** Whether `inner` reaches nothing `outer` does not: same permission, each condition no wider. */
export function ruleWithin(inner: PermissionRule, outer: PermissionRule): boolean {
  return inner.permission === outer.permission
    && within(inner.namespaces, outer.namespaces)
    && within(inner.actions, outer.actions)
    && within(inner.templates, outer.templates)
    && within(inner.hostgroupIds, outer.hostgroupIds)
    && within(inner.organizationIds, outer.organizationIds)
    && within(inner.locationIds, outer.locationIds);
}

/**
 * The granted rules that lie inside none of the actor's rules (none for an administrator). Each
 * granted rule must fit in one rule of the actor: a grant spread over two of the actor's rules is
 * refused, which can only err towards refusing.
 */
export function uncoveredRules(actor: CurrentUser, granted: readonly PermissionRule[]): PermissionRule[] {
  if (actor.admin) return [];
  const own = actor.rules ?? [];
  return granted.filter((g) => !own.some((a) => ruleWithin(g, a)));
}

/** `view_hosts on hostgroups 3, 4`: how a refusal names what was not covered. */
export function describeRule(rule: PermissionRule): string {
  const parts: string[] = [];
  if (rule.namespaces) parts.push(`namespaces ${rule.namespaces.join(', ')}`);
  if (rule.actions) parts.push(`actions ${rule.actions.join(', ')}`);
  if (rule.templates) parts.push(`job templates ${rule.templates.join(', ')}`);
  if (rule.hostgroupIds) parts.push(`hostgroup ids ${rule.hostgroupIds.join(', ') || '(none)'}`);
  if (rule.organizationIds) parts.push(`organization ids ${rule.organizationIds.join(', ') || '(none)'}`);
  if (rule.locationIds) parts.push(`location ids ${rule.locationIds.join(', ') || '(none)'}`);
  return parts.length === 0 ? `${rule.permission} everywhere` : `${rule.permission} on ${parts.join(' and ')}`;
}

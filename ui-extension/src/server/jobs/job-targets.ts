import type { HostCounts, HostState, Targeting } from '@common/jobs';
import { coversAction, hostScope, requirePermission, type CurrentUser, type HostScope } from '../auth/abilities';
import { AppError } from '../errors';
import { REMOTE_EXECUTION_CAPABILITY } from '../namespaces/namespace.service';
import { emptyCounts } from './host-states';
import type { JobServiceDeps, RunTargets, TargetHost } from './job-context';
import type { SmartProxyRef } from './job-dispatcher';
import type { NewJobHost } from './job-invocation.repository';
import { emptyTargetingError } from './job-preview';

export interface HostPlan {
  hosts: NewJobHost[];
  proxyIds: number[];
  counts: HostCounts;
}

/** Why a PQL certname the inventory does not know is skipped (docs/USAGE.md). */
export const NOT_IN_INVENTORY = 'not in the inventory';

/**
 * The hosts a job runs on: a targeting resolved (search, host ids, hostgroup or PuppetDB query),
 * checked against what the user may run, and grouped by smart proxy, with the hosts that cannot
 * run skipped and the reason.
 */
export function createJobTargets(deps: JobServiceDeps) {
  const { clock, logger } = deps;

  /** One job's hosts are written in one transaction and streamed in one go: their number is capped. */
  function refuseOverHostLimit(hosts: number): void {
    const limit = deps.config.max_hosts_per_job;
    if (hosts <= limit) return;
    throw new AppError('INVALID_ARGUMENT', `targeting: matches ${hosts} hosts, more than the ${limit} one job may target (jobs.max_hosts_per_job); split the job or narrow the targeting`, {
      httpStatus: 422,
      details: { fields: [{ field: 'targeting', rule: `at most ${limit} hosts` }], limit, hosts },
    });
  }

  /**
   * The hosts a targeting names that the user may see (view_hosts), checked against what the user
   * may run (create_jobs for this agent and action, with its host conditions). Throws
   * PERMISSION_DENIED naming how many hosts are refused and why; resolves the hosts otherwise.
   * A targeting of which the user sees no host is refused with 422 (job-preview.ts), or, for a
   * preview (`allowEmpty`), answers no host. Replays, scheduled runs and previews come through here
   * too, with the owner's permissions of that moment. PQL certnames the inventory does not know come
   * back beside the hosts (RunTargets); they do not make a targeting non-empty.
   */
  async function authorizeRun(user: CurrentUser, namespace: string, action: string, targeting: Targeting, options: { allowEmpty?: boolean } = {}): Promise<RunTargets> {
    const what = `${namespace}.${action}`;
    requirePermission(user, 'create_jobs', `running ${what}`);
    if (!coversAction(user, 'create_jobs', namespace, action)) {
      throw new AppError('PERMISSION_DENIED', `access denied: none of your create_jobs filters allows ${what}`, { details: { missing_permissions: ['create_jobs'], namespace, action } });
    }
    if (targeting.host_ids) refuseOverHostLimit(new Set(targeting.host_ids).size);
    if (targeting.pql !== undefined) refusePqlUnlessAdmin(user);
    const resolved = await resolveTargets(targeting, hostScope(user, 'view_hosts'));
    const targets = resolved.hosts;
    // No host exists or none is visible: one answer for both, so it reveals nothing (job-preview.ts).
    // Certnames outside the inventory run nowhere: a PQL matching only them is empty too.
    if (targets.length === 0) {
      if (options.allowEmpty) return resolved;
      throw emptyTargetingError(targeting, what);
    }
    refuseOverHostLimit(targets.length + resolved.notInInventory.length);
    const unseen = targeting.host_ids ? new Set(targeting.host_ids).size - targets.length : 0;
    const runScope = hostScope(user, 'create_jobs', { namespace, action });
    let refused: TargetHost[] = [];
    if (!runScope.all && targets.length > 0) {
      const allowed = new Set((await deps.inventory.findTargets({ hostIds: targets.map((t) => t.id) }, clock(), runScope)).map((t) => t.id));
      refused = targets.filter((t) => !allowed.has(t.id));
    }
    // A user who sees every host named ids of no host: a typo, not a refusal (a scoped user gets the
    // 403 below either way, so that an id outside its view and an id of no host answer alike).
    if (unseen > 0 && refused.length === 0 && hostScope(user, 'view_hosts').all) {
      const found = new Set(targets.map((t) => t.id));
      const missing = [...new Set(targeting.host_ids)].filter((id) => !found.has(id));
      throw new AppError('INVALID_ARGUMENT', `targeting.host_ids: ${missing.length} of ${new Set(targeting.host_ids).size} ids name no host (${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''})`, {
        httpStatus: 422,
        details: { fields: [{ field: 'targeting.host_ids', rule: 'must name existing hosts' }], unknown_host_ids: missing.slice(0, 100) },
      });
    }
    if (unseen > 0 || refused.length > 0) {
      const total = targets.length + unseen;
      const reasons: string[] = [];
      if (refused.length > 0) {
        const names = refused.slice(0, 10).map((t) => t.name).join(', ');
        reasons.push(`${refused.length} ${refused.length === 1 ? 'is' : 'are'} outside the hostgroups, organizations and locations your create_jobs filters allow for ${what} (${names}${refused.length > 10 ? ', ...' : ''})`);
      }
      if (unseen > 0) reasons.push(`${unseen} ${unseen === 1 ? 'does' : 'do'} not exist or ${unseen === 1 ? 'is' : 'are'} not visible to you`);
      throw new AppError('PERMISSION_DENIED', `access denied: you may not run ${what} on ${refused.length + unseen} of ${total} target hosts: ${reasons.join('; ')}`, {
        details: { missing_permissions: ['create_jobs'], namespace, action, hosts_refused: refused.length + unseen, hosts_total: total, refused_hosts: refused.slice(0, 10).map((t) => t.name) },
      });
    }
    return resolved;
  }

  async function resolveTargets(targeting: Targeting, scope: HostScope): Promise<RunTargets> {
    if (targeting.pql !== undefined) return resolvePql(targeting.pql, scope);
    const hosts = targeting.host_ids ? await deps.inventory.findTargets({ hostIds: targeting.host_ids }, clock(), scope)
      : targeting.hostgroup_id !== undefined ? await deps.inventory.findTargets({ hostgroupId: targeting.hostgroup_id }, clock(), scope)
        : await deps.inventory.findTargets({ search: targeting.search ?? '' }, clock(), scope);
    return { hosts, notInInventory: [] };
  }

  /**
   * PuppetDB answers a PQL query over every node, with its facts, catalogs and reports, under the
   * ui-extension's certificate, and only the certnames it returns are narrowed to the caller's scope:
   * the query itself (a subquery on catalog parameters, say) could ask about hosts and secrets the
   * caller may not see, and whether the job matched anything answers it. Until PQL is parsed and
   * held to the inventory, nodes and facts entities, only administrators (who pass every check and
   * could read PuppetDB anyway) may target by PQL; others target by search (`facts.<name> = value`).
   */
  function refusePqlUnlessAdmin(user: CurrentUser): void {
    if (user.admin) return;
    throw new AppError('PERMISSION_DENIED', 'access denied: targeting.pql is for administrators: PuppetDB answers a query over every node, its facts, catalogs and reports, so its answer could reveal what your scope hides; target with a search such as facts.os::family = Debian instead', {
      details: { missing_permissions: ['admin'], fields: [{ field: 'targeting.pql', rule: 'administrators only' }] },
    });
  }

  async function resolvePql(pql: string, scope: HostScope): Promise<RunTargets> {
    if (!deps.puppetdb || !deps.inventory.findByNames) {
      throw new AppError('FAILED_PRECONDITION', 'pql targeting needs PuppetDB; set puppetdb.url (UI_EXTENSION_PUPPETDB_URL)', { details: { fields: [{ field: 'targeting.pql', rule: 'PuppetDB configured' }] } });
    }
    const certnames = await deps.puppetdb.certnames(pql);
    // Certnames are host names (matched case-insensitively). Hosts outside the user's scope are left
    // out, as a search leaves them out. Certnames the inventory does not know are kept by name: the
    // job records them skipped, "not in the inventory" (they are PuppetDB's nodes, not inventory
    // hosts, so no host scope applies to them, and any user who may run PQL can list them anyway).
    const known = await deps.inventory.findByNames(certnames);
    const knownNames = new Set(known.map((h) => h.name.toLowerCase()));
    const notInInventory = certnames.filter((c) => !knownNames.has(c.toLowerCase()));
    if (notInInventory.length > 0) logger.info({ certnames: certnames.length, notInInventory: notInInventory.length }, 'pql matched nodes the inventory does not know');
    const hosts = known.length > 0 ? await deps.inventory.findTargets({ hostIds: known.map((h) => h.id) }, clock(), scope) : [];
    return { hosts, notInInventory };
  }

  /** create_jobs for this agent and action, before any host is looked at. */
  function requireCreate(user: CurrentUser, namespace: string, action: string): void {
    requirePermission(user, 'create_jobs', `running ${namespace}.${action}`);
    if (!coversAction(user, 'create_jobs', namespace, action)) {
      throw new AppError('PERMISSION_DENIED', `access denied: none of your create_jobs filters allows ${namespace}.${action}`, { details: { missing_permissions: ['create_jobs'], namespace, action } });
    }
  }

  /** Groups target hosts by proxy; hosts that cannot run are skipped with the reason. */
  async function planHosts(targets: RunTargets): Promise<HostPlan> {
    const proxyIds = [...new Set(targets.hosts.map((t) => t.smart_proxy_id).filter((id): id is number => id !== null))];
    return planHostsWith(targets, new Map((await deps.smartProxies.findByIds(proxyIds)).map((p) => [p.id, p])));
  }

  function planHostsWith(resolved: RunTargets, proxies: Map<number, SmartProxyRef>): HostPlan {
    const targets = resolved.hosts;
    const now = clock();
    const counts = emptyCounts();
    const used = new Set<number>();
    const hosts = targets.map((t): NewJobHost => {
      const proxy = t.smart_proxy_id === null ? undefined : proxies.get(t.smart_proxy_id);
      let reason: string | null = null;
      if (t.smart_proxy_id === null) reason = 'host has no smart proxy';
      else if (!proxy) reason = `smart proxy ${t.smart_proxy_id} is not registered`;
      else if (!proxy.capabilities.includes(REMOTE_EXECUTION_CAPABILITY)) reason = `smart proxy ${proxy.name} has no ${REMOTE_EXECUTION_CAPABILITY} capability`;
      const state: HostState = reason ? 'skipped' : 'pending';
      counts[state] += 1;
      if (!reason) used.add(t.smart_proxy_id!);
      return { hostId: t.id, hostName: t.name, smartProxyId: t.smart_proxy_id, hostgroupId: t.hostgroup_id, state, reason, finishedAt: reason ? now : null };
    });
    for (const name of resolved.notInInventory) {
      counts.skipped += 1;
      hosts.push({ hostId: null, hostName: name, smartProxyId: null, hostgroupId: null, state: 'skipped', reason: NOT_IN_INVENTORY, finishedAt: now });
    }
    return { hosts, proxyIds: [...used].sort((a, b) => a - b), counts };
  }

  return {
    authorizeRun,
    resolveTargets,
    requireCreate,
    planHosts,
    planHostsWith,

    /**
     * Every host a targeting names inside `scope` (`{ all: true }`: in full), for the schedule checks
     * that must refuse a host instead of leaving it out (scheduler/schedule-access.ts). Host ids that
     * name no host inside the scope are counted in `unknown`, as ids of no host at all are.
     */
    async resolveWithin(targeting: Targeting, scope: HostScope): Promise<{ hosts: TargetHost[]; unknown: number }> {
      const { hosts } = await resolveTargets(targeting, scope);
      return { hosts, unknown: targeting.host_ids ? new Set(targeting.host_ids).size - hosts.length : 0 };
    },

    /** The ids among `ids` of hosts inside `scope`. */
    async hostIdsInside(ids: number[], scope: HostScope): Promise<Set<number>> {
      if (scope.all) return new Set(ids);
      if (ids.length === 0) return new Set();
      return new Set((await deps.inventory.findTargets({ hostIds: ids }, clock(), scope)).map((t) => t.id));
    },
  };
}

import type { Targeting, TargetingType } from '@common/jobs';
import { coversAction, hostScope, requirePermission, type CurrentUser, type HostScope, type Permission } from '../auth/abilities';
import { AppError } from '../errors';
import type { JobInvocationService, TargetHost } from '../jobs/job-invocation.service';

/** A schedule as its access rules see it: whose it is, what it runs, on which targeting. */
export interface ScheduleSubject {
  id: number;
  ownerId: number;
  owner: string;
  namespace: string;
  action: string;
  /** The targeting its runs use (a static query's fixed hosts). */
  targeting: Targeting;
}

/** `change` makes a schedule run (update, enable); `stop` only keeps it from running (disable, delete). */
export type ScheduleManagement = 'change' | 'stop';

export interface ScheduleAccessDeps {
  jobs: Pick<JobInvocationService, 'resolveWithin' | 'hostIdsInside'>;
  /** A schedule's owner as they are now (auth.service.ts `loadCurrentUser`); null when gone. */
  users: { loadCurrentUser(userId: number): Promise<CurrentUser | null> };
}

function denied(message: string, details: Record<string, unknown>): AppError {
  return new AppError('PERMISSION_DENIED', `access denied: ${message}`, { details });
}

/**
 * Who may read and manage a schedule (rule 4 in auth/abilities.ts). A schedule fires as its owner,
 * so whoever changes it must be allowed everything its creation needs, on every host its runs
 * reach: a host outside the caller's scope refuses the change, it is never silently left out (the
 * owner's run would still reach it).
 *
 * What the runs reach is the targeting resolved through the owner's view (a run resolves it with
 * the owner's view_hosts, job-targets.ts authorizeRun), never in full: a targeting is a query
 * someone wrote, and whether it matches hosts its owner cannot see must change no answer. Resolved
 * in full, `name = web1 or (name = db9 and facts.processorcount > 8)` refused or not by db9's facts,
 * a host the writer cannot see (a fact oracle, found by a review). A targeting the caller writes
 * is resolved through the caller's own view: on their own schedule they are the owner, on another
 * user's it is a static query (unless their rules reach every host), run on exactly the hosts found now.
 */
export function createScheduleAccess(deps: ScheduleAccessDeps) {
  /** The view the runs of `s` resolve its targeting through; `written`: a targeting the caller writes now. */
  async function runView(user: CurrentUser, s: Pick<ScheduleSubject, 'ownerId'>, written: boolean): Promise<HostScope> {
    if (written || s.ownerId === user.id) return hostScope(user, 'view_hosts');
    const owner = await deps.users.loadCurrentUser(s.ownerId);
    // An owner deleted or disabled has no view, and the schedule does not fire while it is so (fire-due-schedules.ts
    // refuses it); it is checked in full, as before, so that scoped managers can still read, disable or delete it.
    return owner ? hostScope(owner, 'view_hosts') : { all: true };
  }

  /** The hosts of a resolved targeting that lie outside any of the scopes (unknown host ids count as outside). */
  async function outsideOf({ hosts, unknown }: { hosts: TargetHost[]; unknown: number }, scopes: HostScope[]): Promise<{ total: number; outside: TargetHost[]; unknown: number }> {
    let inside = new Set(hosts.map((h) => h.id));
    for (const scope of scopes) {
      if (scope.all) continue;
      const allowed = await deps.jobs.hostIdsInside([...inside], scope);
      inside = new Set([...inside].filter((id) => allowed.has(id)));
    }
    return { total: hosts.length + unknown, outside: hosts.filter((h) => !inside.has(h.id)), unknown };
  }

  function requireAction(user: CurrentUser, permission: Permission, s: Pick<ScheduleSubject, 'namespace' | 'action'>, doing: string): void {
    requirePermission(user, permission, doing);
    if (!coversAction(user, permission, s.namespace, s.action)) {
      throw denied(`none of your ${permission} filters allows ${s.namespace}.${s.action}`, { missing_permissions: [permission], namespace: s.namespace, action: s.action });
    }
  }

  /**
   * Every host the runs of `targeting` reach (runView) inside the scopes of `permissions` for the
   * action; PERMISSION_DENIED otherwise, naming how many and, of those the user may see, which.
   * Resolves the hosts.
   */
  async function requireTargetingInScope(user: CurrentUser, permissions: Permission[], s: Pick<ScheduleSubject, 'namespace' | 'action' | 'ownerId'> & { id?: number }, targeting: Targeting, what: string, current = false): Promise<TargetHost[]> {
    const scopes = permissions.map((p) => hostScope(user, p, { namespace: s.namespace, action: s.action }));
    const resolved = await deps.jobs.resolveWithin(targeting, await runView(user, s, !current));
    if (scopes.every((scope) => scope.all)) return resolved.hosts;
    const { total, outside, unknown } = await outsideOf(resolved, scopes);
    // A current targeting that matches nothing now reaches, at its owner's runs, whatever it matches
    // then: as for a job without host rows, only its owner (whose runs stay in its own scope) may
    // keep it running. (A new one is static on another user's schedule, so matching nothing is nothing.)
    if (current && total === 0 && s.ownerId !== user.id) {
      throw denied(`${what} matches no host now, and its runs reach whatever matches then: only its owner, or a user whose ${permissions.join(', ')} filters reach every host, may change it`, { missing_permissions: permissions, namespace: s.namespace, action: s.action, hosts_total: 0 });
    }
    if (outside.length + unknown === 0) return resolved.hosts;
    // Only hosts the user may see are named; the others are counted.
    const seen = await deps.jobs.hostIdsInside(outside.map((h) => h.id), hostScope(user, 'view_hosts'));
    const named = outside.filter((h) => seen.has(h.id)).slice(0, 10).map((h) => h.name);
    throw denied(
      `${outside.length + unknown} of ${total} hosts of ${what} (as its runs resolve it, through ${s.ownerId === user.id || !current ? 'your' : "its owner's"} view) are outside what your ${permissions.join(', ')} filters allow for ${s.namespace}.${s.action}${named.length > 0 ? ` (${named.join(', ')}${outside.length > named.length ? ', ...' : ''})` : ''}`,
      { missing_permissions: permissions, namespace: s.namespace, action: s.action, hosts_refused: outside.length + unknown, hosts_total: total, refused_hosts: named },
    );
  }

  /** What a user needs to make a schedule of this action run on hosts: create_jobs and manage_schedules, and manage_others_schedules when it is not theirs. */
  function changePermissions(user: CurrentUser, ownerId: number): Permission[] {
    return user.id === ownerId ? ['create_jobs', 'manage_schedules'] : ['create_jobs', 'manage_schedules', 'manage_others_schedules'];
  }

  return {
    /**
     * Whether the user may read the schedule: view_jobs for its action, and it is the user's own or
     * those rules reach every host its runs reach (runView). A failed resolution (PuppetDB down)
     * reads as not reached.
     */
    async canRead(user: CurrentUser, s: ScheduleSubject): Promise<boolean> {
      if (!coversAction(user, 'view_jobs', s.namespace, s.action)) return false;
      if (user.admin || s.ownerId === user.id) return true;
      const scope = hostScope(user, 'view_jobs', { namespace: s.namespace, action: s.action });
      if (scope.all) return true;
      try {
        const { total, outside, unknown } = await outsideOf(await deps.jobs.resolveWithin(s.targeting, await runView(user, s, false)), [scope]);
        // Matching no host now is no proof of scope: later runs reach whatever matches then.
        return total > 0 && outside.length + unknown === 0;
      } catch {
        return false;
      }
    },

    /**
     * Throws PERMISSION_DENIED unless the user may change (`change`) or stop (`stop`) the schedule:
     * its owner stops it with manage_schedules for its action alone; anything else needs
     * create_jobs, manage_schedules and, on another user's schedule, manage_others_schedules for
     * its action, each reaching every host its runs reach (runView).
     */
    async requireManage(user: CurrentUser, s: ScheduleSubject, how: ScheduleManagement): Promise<void> {
      requireAction(user, 'manage_schedules', s, 'changing schedules');
      if (how === 'stop' && s.ownerId === user.id) return;
      requireAction(user, 'create_jobs', s, 'changing schedules');
      if (s.ownerId !== user.id) {
        requirePermission(user, 'manage_others_schedules', `changing schedule ${s.id} of ${s.owner}`);
        requireAction(user, 'manage_others_schedules', s, `changing schedule ${s.id} of ${s.owner}`);
      }
      await requireTargetingInScope(user, changePermissions(user, s.ownerId), s, s.targeting, `the targeting of schedule ${s.id}`, true);
    },

    /**
     * A new targeting (a schedule made, or re-targeted) checked as `requireManage` checks the
     * current one, resolved through the caller's view (a static query's fixed hosts: those the
     * caller sees). On another user's schedule it must be a static query unless the caller's filters
     * reach every host, and that is refused before anything is resolved: the check holds for the
     * hosts matched now, while a dynamic query is resolved again at every run with the owner's
     * permissions (`last_seen > "<tomorrow>"` matches nothing today and the fleet tomorrow).
     */
    async requireNewTargeting(user: CurrentUser, s: Omit<ScheduleSubject, 'targeting' | 'id'> & { id?: number }, targeting: Targeting, type: TargetingType): Promise<TargetHost[]> {
      const permissions = changePermissions(user, s.ownerId);
      // Everywhere includes seeing every host: a caller whose runs reach everything but whose view does not would
      // otherwise plant a query resolved at each run through the owner's wider view (reach and an oracle again).
      const everywhere = hostScope(user, 'view_hosts').all && permissions.every((p) => hostScope(user, p, { namespace: s.namespace, action: s.action }).all);
      if (type === 'dynamic_query' && s.ownerId !== user.id && !everywhere) {
        throw new AppError('PERMISSION_DENIED', `access denied: schedule ${s.id} of ${s.owner} runs as ${s.owner}; a dynamic query set by anyone else would be resolved again at every run with ${s.owner}'s permissions, beyond the hosts checked now: re-target it with targeting_type static_query (it then runs on exactly the hosts checked now)`, {
          details: { missing_permissions: permissions, fields: [{ field: 'targeting_type', rule: "static_query on another user's schedule" }] },
        });
      }
      const hosts = await requireTargetingInScope(user, permissions, s, targeting, 'the targeting');
      if (s.ownerId !== user.id) await requireOwnerRuns(s, hosts);
      return hosts;
    },
  };

  /**
   * The hosts another user's re-targeting sets must be ones the owner's runs may run on (seen and
   * inside its create_jobs filters for the action), or every run would be refused; the caller sees
   * them all, so naming them tells it only what the owner may not do. A deleted or disabled owner's
   * schedule does not fire, whatever its hosts.
   */
  async function requireOwnerRuns(s: Omit<ScheduleSubject, 'targeting' | 'id'> & { id?: number }, hosts: TargetHost[]): Promise<void> {
    const owner = await deps.users.loadCurrentUser(s.ownerId);
    if (!owner || hosts.length === 0) return;
    const { outside } = await outsideOf({ hosts, unknown: 0 }, [hostScope(owner, 'view_hosts'), hostScope(owner, 'create_jobs', { namespace: s.namespace, action: s.action })]);
    if (outside.length === 0) return;
    const names = outside.slice(0, 10).map((h) => h.name).join(', ');
    throw new AppError('INVALID_ARGUMENT', `targeting: ${outside.length} of ${hosts.length} hosts are outside what ${s.owner} may run ${s.namespace}.${s.action} on (${names}${outside.length > 10 ? ', ...' : ''}); schedule ${s.id} runs as ${s.owner}, so every run would refuse them`, {
      httpStatus: 422,
      details: { fields: [{ field: 'targeting', rule: `hosts ${s.owner} may run ${s.namespace}.${s.action} on` }], hosts_refused: outside.length, hosts_total: hosts.length, refused_hosts: outside.slice(0, 10).map((h) => h.name) },
    });
  }
}

export type ScheduleAccess = ReturnType<typeof createScheduleAccess>;

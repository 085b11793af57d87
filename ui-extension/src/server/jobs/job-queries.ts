import type { HostState, Job, JobEvent, JobEventsPage, JobHost, JobStatus, PuppetRunOutcomeFilter, RemoteAction } from '@common/jobs';
import { FINAL_JOB_STATES } from '@common/jobs';
import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import { parseExact } from '@protos/json-numbers';
import { actionScope, requirePermission, type CurrentUser } from '../auth/abilities';
import { jobScopeSql } from '../auth/scope-sql';
import { AppError } from '../errors';
import { compileSearch } from '../search/compiler';
import type { JobContext, JobListParams } from './job-context';
import { historyScope } from './job-history';
import type { JobInvocationEntity } from './job-invocation.entity';
import { countsOf } from './job-invocation.repository';
import { ACTION_SEARCH, JOB_HOST_SEARCH, jobHostFilter, jobSearchDefinition } from './job-search';
import { iso, toJob, toJobHost } from './job-views';

const MAX_EVENTS = 1000;
const MAX_NAMES = 1000;
/**
 * The hosts `failed_hosts` names: those whose outcome counts against the job (its state is failed
 * when any is there). Cancelled hosts were stopped by someone, or never asked: `cancelled_hosts`.
 */
const FAILED_STATES: HostState[] = ['failed', 'no_response', 'skipped'];

/**
 * Reading jobs: one job (long polling on its version), its hosts, its events feed, the job list
 * and histories, and the stored remote actions. Everything answers only what the user may see.
 */
export function createJobQueries(ctx: JobContext) {
  const { deps, repo, clock, dialect } = ctx;

  /**
   * Holds until `changed` holds for the job's row (or it is final, or time runs out). Resolves the whole
   * row when the last look read it: after a wake-up by this instance's writer the row is read whole at
   * once, since the answer needs it, which saves the wake-up a round trip to the database.
   */
  async function waitFor(jobId: number, changed: (row: { version: number; lastEventSeq: number; state: string }) => boolean, waitS: number, signal?: AbortSignal, first?: JobInvocationEntity): Promise<JobInvocationEntity | undefined> {
    // The whole row the caller just read: when it has changed already (a poll that comes back while
    // results keep coming), it is the answer, without a version read and the row again (issue #20).
    if (first && (changed(first) || FINAL_JOB_STATES.includes(first.state))) return first;
    const deadline = Date.now() + Math.min(waitS, deps.config.long_poll_max_s) * 1000;
    let woken = false;
    for (;;) {
      const whole = woken ? await repo.findJob(jobId) : undefined;
      const row = whole ?? (woken ? undefined : await repo.jobVersion(jobId));
      if (!row) throw new AppError('NOT_FOUND', `job ${jobId} not found`);
      if (changed(row) || FINAL_JOB_STATES.includes(row.state)) return whole ?? undefined;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return whole ?? undefined;
      // Woken at once by this instance's writer; the re-check interval catches other instances' writes.
      woken = await ctx.waiters.wait(jobId, Math.min(ctx.recheckMs, left), signal);
    }
  }

  return {
    actionVisible: ctx.actionVisible,

    /** The job; with `wait`, held until its version passes `since` (or it is final, or time runs out). */
    async get(user: CurrentUser, id: number, poll: { since?: number; wait?: number; signal?: AbortSignal } = {}): Promise<JobStatus> {
      const visible = await ctx.loadVisibleJob(user, id);
      const waits = poll.wait !== undefined && poll.wait > 0;
      const read = waits ? await waitFor(id, (row) => row.version > (poll.since ?? 0), poll.wait!, poll.signal, visible.job) : undefined;
      // The row again only after a wait (its remote action never changes): without one, the row just read is the answer.
      const job = waits ? read ?? (await repo.findJob(id)) : visible.job;
      if (!job) throw new AppError('NOT_FOUND', `job ${id} not found`);
      const { action } = visible;
      // A state the row counts no host in has no names to read (the writer commits the counts with the
      // host rows, so the names then match the counts and version of this answer): a running job's
      // failed states are mostly empty, and each poll skips their selects (issue #20).
      const counts = countsOf(job);
      const named = (states: HostState[]) => states.filter((state) => counts[state] > 0);
      const [succeeded, failed, cancelled] = await Promise.all([repo.hostNames(id, named(['succeeded']), MAX_NAMES), repo.hostNames(id, named(FAILED_STATES), MAX_NAMES), repo.hostNames(id, named(['cancelled']), MAX_NAMES)]);
      return { ...toJob(job, action), succeeded_hosts: succeeded, failed_hosts: failed, cancelled_hosts: cancelled };
    },

    async hosts(user: CurrentUser, id: number, query: { states?: HostState[]; outcomes?: PuppetRunOutcomeFilter[]; search?: string; page: number; perPage: number }): Promise<{ total: number; subtotal: number; results: JobHost[] }> {
      const { job } = await ctx.loadVisibleJob(user, id);
      const ddl = JSON.parse(job.ddl) as DdlAction__Output;
      const filter = jobHostFilter(query.search, query.outcomes);
      const search = filter ? compileSearch(filter, JOB_HOST_SEARCH, { dialect: dialect(), now: clock() }) : undefined;
      // The row's total and counts stand for counting the rows, unless retention deleted the rows.
      const known = job.hostsPurgedAt ? undefined : { total: job.totalHosts, counts: countsOf(job) };
      const page = await repo.listHosts(id, { states: query.states, search, page: query.page, perPage: query.perPage }, known);
      return { total: page.total, subtotal: page.subtotal, results: page.results.map((r) => toJobHost(r, ddl)) };
    },

    /** Per-host events after a cursor; with `wait`, held until there is one. */
    async events(user: CurrentUser, id: number, query: { after: number; wait?: number; limit?: number; signal?: AbortSignal }): Promise<JobEventsPage> {
      await ctx.loadVisibleJob(user, id);
      if (query.wait && query.wait > 0) await waitFor(id, (row) => row.lastEventSeq > query.after, query.wait, query.signal);
      const { job } = await ctx.loadJob(id);
      const ddl = JSON.parse(job.ddl) as DdlAction__Output;
      const rows = await repo.eventsAfter(id, query.after, Math.min(query.limit ?? MAX_EVENTS, MAX_EVENTS));
      const events: JobEvent[] = rows.map((r) => ({ ...toJobHost(r, ddl), sequence: r.eventSeq }));
      return { job_id: id, job_state: job.state, last_sequence: events.length > 0 ? events[events.length - 1].sequence : query.after, events };
    },

    async list(user: CurrentUser, params: JobListParams): Promise<{ total: number; subtotal: number; results: Job[] }> {
      requirePermission(user, 'view_jobs', 'listing jobs');
      const visibility = jobScopeSql(actionScope(user, 'view_jobs'), { job: 'job', action: 'ra' }, user.id);
      const options = { dialect: dialect(), now: clock() };
      const definition = jobSearchDefinition(deps.config.recorded_facts ?? []);
      const search = params.search.trim() !== '' ? compileSearch(params.search, definition, options) : undefined;
      const history = params.of ? await historyScope(user, params.of, { definition, options, subjects: deps.subjects }) : undefined;
      const page = await repo.listJobs({ search, scope: history?.scope, from: params.from, to: params.to, page: params.page, perPage: params.perPage, visibility });
      // Nothing of that name to see and no job of it visible: the same 404 as for a name that does not exist.
      if (history && !history.visible && page.total === 0) throw new AppError('NOT_FOUND', history.notFound);
      return { total: page.total, subtotal: page.subtotal, results: page.results.map((r) => toJob(r.job, r.action)) };
    },

    /** Stored remote actions with at least one job the user may see; counts cover only those jobs. */
    async actions(user: CurrentUser, query: { page: number; perPage: number; namespace?: string; action?: string; search?: string }): Promise<{ total: number; subtotal: number; results: RemoteAction[] }> {
      requirePermission(user, 'view_jobs', 'listing remote actions');
      const visibility = jobScopeSql(actionScope(user, 'view_jobs'), { job: 'job', action: 'ra' }, user.id);
      const search = query.search && query.search.trim() !== '' ? compileSearch(query.search, ACTION_SEARCH, { dialect: dialect(), now: clock() }) : undefined;
      const page = await repo.listActions(query.page, query.perPage, { namespace: query.namespace, action: query.action, search }, visibility);
      return {
        total: page.total,
        subtotal: page.subtotal,
        results: page.results.map((r) => ({
          id: r.action.id,
          namespace: r.action.namespace,
          action: r.action.action,
          arguments: parseExact(r.action.arguments) as Record<string, unknown>,
          run_count: r.runCount,
          last_run_at: iso(r.lastRunAt),
          created_at: r.action.createdAt.toISOString(),
        })),
      };
    },
  };
}

/**
 * REST types of remote actions and jobs (`/api/v2/remote_execution/...`), shared by the server and
 * the web UI. Field names are snake_case, as Foreman's API.
 */

export const HOST_STATES = ['pending', 'running', 'succeeded', 'failed', 'no_response', 'skipped', 'cancelled'] as const;
export type HostState = (typeof HOST_STATES)[number];
/** A host in one of these states never changes again. */
export const FINAL_HOST_STATES: readonly HostState[] = ['succeeded', 'failed', 'no_response', 'skipped', 'cancelled'];

/** A job is `scheduled` while it stands for a future occurrence of a schedule, `queued` once it is due. */
export const JOB_STATES = ['scheduled', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const FINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export type HostCounts = Record<HostState, number>;

/** The targeting as the user wrote it. Exactly one of search, host_ids, hostgroup_id, pql. */
export interface Targeting {
  search?: string;
  host_ids?: number[];
  hostgroup_id?: number;
  /**
   * A PuppetDB query (PQL) returning certnames, e.g. `inventory[certname] { facts.os.family = "Debian" }`,
   * or just its condition (`facts.os.family = "Debian"`), which is asked of `inventory`. Needs
   * PuppetDB in the ui-extension's config; certnames match host names.
   */
  pql?: string;
}

export interface StoredTargeting {
  search: string | null;
  host_ids: number[] | null;
  hostgroup_id: number | null;
  pql: string | null;
  /** Fact names the search used (`facts.<name>`), for the per-fact history. */
  fact_names: string[];
}

/** One future run (Foreman's `scheduling`): not before `start_at`; missed if it cannot start by `start_before`. */
export interface Scheduling {
  start_at: string;
  start_before?: string;
}

/** A recurring run (Foreman's `recurrence`): a five-field cron line read in an IANA time zone. */
export interface Recurrence {
  cron_line: string;
  time_zone: string;
  max_iterations?: number;
  end_time?: string;
}

/** dynamic_query: the search is resolved at each run; static_query: the hosts are resolved when scheduled. */
export type TargetingType = 'dynamic_query' | 'static_query';

export interface CreateJobRequest {
  job: {
    /** With scheduling or recurrence (not both) the job is created `scheduled`, with its `schedule_id`. */
    scheduling?: Scheduling;
    recurrence?: Recurrence;
    targeting_type?: TargetingType;
    namespace: string;
    action: string;
    arguments?: Record<string, unknown>;
    targeting: Targeting;
    description?: string;
    /** Hosts in flight at once for this job; unset means no per-job cap. */
    concurrency_level?: number;
    /** Hosts per broker batch, passed to the proxy; unset means all at once. */
    batch_size?: number;
    /** Seconds a host may take to reply. */
    timeout?: number;
    /** Batches in order, with a canary, pauses and a failure threshold (issue 17); unset: one batch. */
    rollout?: RolloutPolicy;
  };
}

/**
 * How a job's hosts go out: `batch_size` hosts at a time (a count, or "10%" of the job's hosts), in
 * order, `pause_s` seconds between two batches; a canary of the first `hosts` hosts first, after which
 * the job waits for a resume (`wait`) or goes on by itself when they all succeeded (`continue`); and
 * once `max_failures` hosts (a count or a percentage) failed or did not respond, no further batch is sent.
 */
export interface RolloutPolicy {
  batch_size?: number | `${number}%`;
  pause_s?: number;
  canary?: { hosts: number; then: 'wait' | 'continue' };
  max_failures?: number | `${number}%`;
}

/** Where a rollout stands (null on a job without a policy). */
export interface RolloutProgress {
  /** Batches sent so far (the current one is `batch`); 0 before the first. */
  batch: number;
  batches: number;
  /** Hosts in the current batch. */
  batch_hosts: number;
  /** No new batch starts until a resume: paused by a user, or waiting after the canary. */
  paused: boolean;
  pause_reason: string | null;
  /** While pausing between batches: when the next one starts. */
  next_batch_at: string | null;
  /** Hosts failed or not responding so far. */
  failures: number;
  /** The failure threshold in hosts; null when none. */
  max_failures: number | null;
  /** Why no further batch is sent (the threshold was crossed); null otherwise. */
  stopped_reason: string | null;
}

export type ReplayHosts = 'failed' | 'failed_and_not_run' | 'all';
export interface ReplayJobRequest {
  targeting?: Targeting;
  hosts?: ReplayHosts;
  description?: string;
}

export interface AggregateResult {
  function: string;
  output: string;
  /** The output's `display_as` in the DDL (`Service Status`), as mco titles the aggregate; the output's name when the DDL has none. */
  display_as?: string;
  /** summary and boolean_summary: value (or label) -> count; sum/average: a number (null when no host returned the output). */
  value: Record<string, number> | number | null;
}

export interface Job {
  id: number;
  state: JobState;
  version: number;
  /** Percentage of hosts in a final state. */
  progress: number;
  counts: HostCounts;
  /**
   * Hosts whose result arrived after the job had ended (its deadline passed, or its proxy was lost,
   * and the proxy delivered later). They are counted in `counts` by the state their result gave them.
   */
  late_results: number;
  total_hosts: number;
  remote_action_id: number;
  parent_id: number | null;
  namespace: string;
  action: string;
  arguments: Record<string, unknown>;
  targeting: StoredTargeting;
  description: string;
  owner: string;
  concurrency_level: number | null;
  batch_size: number | null;
  timeout: number;
  /** The rollout policy as given (null: one batch). */
  rollout: RolloutPolicy | null;
  rollout_progress: RolloutProgress | null;
  /** Aggregates from the DDL; computed once the job is final, null before. */
  aggregates: AggregateResult[] | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /**
   * When a running job is given up: hosts without a final state by then end no_response (or
   * cancelled when never asked). Set when the job starts running; null before.
   */
  deadline_at: string | null;
  /** When the last change was written (long polls measure their latency against it). */
  updated_at: string;
  /** The schedule this job is an occurrence of, if any. */
  schedule_id: number | null;
  /** The occurrence time this job was scheduled for, if any. */
  scheduled_at: string | null;
}

/**
 * `GET jobs/:id`: the job plus who succeeded, who failed (failed, no response or skipped: what makes
 * a job fail) and who was cancelled; names only, at most 1,000 each (details and the rest via /hosts).
 */
export interface JobStatus extends Job {
  succeeded_hosts: string[];
  failed_hosts: string[];
  cancelled_hosts: string[];
}

export interface ShapedOutput {
  name: string;
  display_as: string;
  value: unknown;
}

export interface JobHost {
  /** Null for a PQL certname the inventory does not know: skipped, "not in the inventory". */
  host_id: number | null;
  host_name: string;
  smart_proxy_id: number | null;
  state: HostState;
  reason: string | null;
  statuscode: number | null;
  statusmsg: string | null;
  data: Record<string, unknown> | null;
  /** The DDL outputs to show for this host, per the action's display policy. */
  output: ShapedOutput[];
  /** When the proxy sent the request to this host; null while it waits for its batch, or when it was never asked. */
  started_at: string | null;
  finished_at: string | null;
  /** True when this result arrived after the job had ended; `late_at` says when it was recorded. */
  late: boolean;
  late_at: string | null;
  /**
   * Puppet run jobs with PuppetDB configured: the run's report in PuppetDB, looked up after the
   * host's result (null until then, and for other jobs).
   */
  puppetdb_report?: PuppetDbRunReport | null;
}

export type PuppetRunOutcomeName = 'changed' | 'unchanged' | 'failed' | 'noop_pending';

/**
 * The outcomes a job's hosts can be filtered by (`outcome=` on the hosts list and its export, the
 * `outcome` search key): a run's outcome, or `not_run` for a host that ended without a finished run
 * (agent disabled or busy, no reply, run never finished, cancelled), as the job's aggregate counts them.
 */
export const PUPPET_RUN_OUTCOME_FILTERS = ['changed', 'unchanged', 'failed', 'noop_pending', 'not_run'] as const;
export type PuppetRunOutcomeFilter = (typeof PUPPET_RUN_OUTCOME_FILTERS)[number];

/**
 * What a host's Puppet run did (puppet#runonce jobs, followed to the run's end), from the agent's
 * last_run_summary. Counts are -1 when the agent did not report them.
 */
export interface PuppetRunOutcome {
  /** failed: some resources failed; changed; noop_pending: a noop run found resources to change; unchanged. */
  outcome: PuppetRunOutcomeName;
  changed_resources: number;
  failed_resources: number;
  out_of_sync_resources: number;
  total_resources: number;
  /** Seconds the run took. */
  run_time: number;
  config_version: string;
  environment: string | null;
  noop: boolean;
  /** Resources whose events failed, as `Type[title]`, from the run's log (at most 50). */
  failed_resource_titles: string[];
  /** Resources the run changed, from the run's log (at most 50). */
  changed_resource_titles: string[];
}

/** A host of a puppet#runonce job: its run's outcome, null when no run finished (see `reason`). */
export interface PuppetRunJobHost extends JobHost {
  puppet_run: PuppetRunOutcome | null;
}

/** The summary of a run's report as PuppetDB holds it (`/pdb/query/v4/reports`; counts from its metrics, null when absent). */
export interface PuppetDbReportSummary {
  /** failed, changed or unchanged, as Puppet reports it. */
  status: string | null;
  noop: boolean | null;
  /** The report has noop events: a noop run found resources to change. */
  noop_pending: boolean | null;
  corrective_change: boolean | null;
  changed_resources: number | null;
  failed_resources: number | null;
  out_of_sync_resources: number | null;
  total_resources: number | null;
  /** Seconds the run took (the report's time.total metric). */
  run_time: number | null;
  configuration_version: string;
  environment: string | null;
  start_time: string;
  end_time: string;
  transaction_uuid: string | null;
  /** The Puppet Server that submitted the report. */
  producer: string | null;
}

/**
 * What PuppetDB holds for a host's Puppet run (puppet#runonce jobs, PuppetDB configured): the report's
 * hash and a URL that queries it, with its summary; or, when none was found in time, why.
 */
export interface PuppetDbRunReport {
  /** The report's id in PuppetDB; null when none was found. */
  hash: string | null;
  /** The PuppetDB query that answers this report (`/pdb/query/v4/reports?query=["=","hash",...]`). */
  url: string | null;
  summary: PuppetDbReportSummary | null;
  /** Why there is no report: "no report in PuppetDB for this run after 10 s", PuppetDB unreachable, ... */
  reason: string | null;
  /** When the lookup ended. */
  fetched_at: string;
}

/**
 * One host reaching its final state. The pending -> running move is not an event: it is written for
 * whole chunks at once and carries no result.
 */
export interface JobEvent extends JobHost {
  /** Cursor: pass the last one seen as `after` to get the next events. */
  sequence: number;
}

export interface JobEventsPage {
  job_id: number;
  job_state: JobState;
  /** The cursor to pass as `after` next time. */
  last_sequence: number;
  events: JobEvent[];
}

export interface RemoteAction {
  id: number;
  namespace: string;
  action: string;
  arguments: Record<string, unknown>;
  run_count: number;
  last_run_at: string | null;
  created_at: string;
}

export interface NamespaceAction {
  name: string;
  description: string;
  display: string;
  inputs: unknown[];
  outputs: unknown[];
  aggregates: unknown[];
}

export interface Namespace {
  name: string;
  description: string;
  version: string;
  timeout: number;
  smart_proxy_ids: number[];
  actions: NamespaceAction[];
}

import type { DataSource } from 'typeorm';
import type { HostCounts, HostState } from '@common/jobs';
import { JobHostEntity } from './job-host.entity';
import { JobInvocationEntity } from './job-invocation.entity';
import { JobProxyStreamEntity } from './job-proxy-stream.entity';
import { RemoteActionEntity } from './remote-action.entity';

/** Rows per multi-row statement. */
export const INSERT_CHUNK = 500;

export interface NewJobHost {
  /** Null for a PQL certname the inventory does not know (skipped, "not in the inventory"). */
  hostId: number | null;
  hostName: string;
  smartProxyId: number | null;
  hostgroupId: number | null;
  state: HostState;
  reason: string | null;
  finishedAt: Date | null;
}

export interface NewJob {
  remoteActionId: number;
  parentId: number | null;
  owner: string;
  /** The owner's user id; jobs without host rows are scoped by it (auth/scope-sql.ts jobScopeSql). */
  ownerId: number | null;
  description: string;
  targetingSearch: string | null;
  targetingHostIds: number[] | null;
  targetingHostgroupId: number | null;
  targetingPql?: string | null;
  factNames: string[];
  concurrencyLevel: number | null;
  batchSize: number | null;
  /** The rollout policy as JSON (rollout-policy.ts); null: one batch. */
  rolloutPolicy?: string | null;
  timeoutS: number;
  ddl: string;
  counts: HostCounts;
  /** Proxies with at least one host to run. */
  smartProxyIds: number[];
  hosts: NewJobHost[];
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  now: Date;
  /** `scheduled` for a job that stands for a future occurrence of a schedule (no hosts yet). */
  state?: 'queued' | 'scheduled';
  scheduleId?: number | null;
  scheduledAt?: Date | null;
}

/** The fields of a job row that a new job and a launched scheduled job both set. */
export function jobRowFields(job: NewJob): Partial<JobInvocationEntity> {
  return {
    remoteActionId: job.remoteActionId,
    parentId: job.parentId,
    owner: job.owner,
    ownerId: job.ownerId,
    description: job.description,
    targetingSearch: job.targetingSearch,
    targetingHostIds: job.targetingHostIds ? JSON.stringify(job.targetingHostIds) : null,
    targetingHostgroupId: job.targetingHostgroupId,
    targetingPql: job.targetingPql ?? null,
    concurrencyLevel: job.concurrencyLevel,
    batchSize: job.batchSize,
    rolloutPolicy: job.rolloutPolicy ?? null,
    timeoutS: job.timeoutS,
    ddl: job.ddl,
    totalHosts: job.hosts.length,
    ...countFields(job.counts),
    leaseOwner: job.leaseOwner,
    leaseExpiresAt: job.leaseExpiresAt,
    scheduleId: job.scheduleId ?? null,
    scheduledAt: job.scheduledAt ?? null,
    updatedAt: job.now,
  };
}

export interface JobRepositoryOptions {
  /**
   * Facts whose values the job's hosts had are recorded per job when its hosts are written
   * (jobs.recorded_facts): `facts.osfamily = Debian` then finds the jobs that ran on Debian hosts.
   */
  recordedFacts?: readonly string[];
}

export const COUNT_COLUMNS: Record<keyof HostCounts, string> = {
  pending: 'count_pending',
  running: 'count_running',
  succeeded: 'count_succeeded',
  failed: 'count_failed',
  no_response: 'count_no_response',
  skipped: 'count_skipped',
  cancelled: 'count_cancelled',
};

/** UTC `YYYY-MM-DD HH:MM:SS.mmm`: what TypeORM stores for datetime(3) on both databases. */
export function dbDate(date: Date): string {
  const y = date.getUTCFullYear();
  // Two per stored result (issue #20): built from the fields, which costs a third of toISOString and two
  // replaces; years outside 1000-9999 (and invalid dates, which throw) keep the ISO form's rules.
  if (!(y >= 1000 && y <= 9999)) return date.toISOString().replace('T', ' ').replace('Z', '');
  const ms = date.getUTCMilliseconds();
  return `${y}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}`;
}

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

export function countsOf(job: JobInvocationEntity): HostCounts {
  return {
    pending: job.countPending,
    running: job.countRunning,
    succeeded: job.countSucceeded,
    failed: job.countFailed,
    no_response: job.countNoResponse,
    skipped: job.countSkipped,
    cancelled: job.countCancelled,
  };
}

export function countFields(counts: HostCounts): Partial<JobInvocationEntity> {
  return {
    countPending: counts.pending,
    countRunning: counts.running,
    countSucceeded: counts.succeeded,
    countFailed: counts.failed,
    countNoResponse: counts.no_response,
    countSkipped: counts.skipped,
    countCancelled: counts.cancelled,
  };
}

/** The job tables and what every part of the job repository (job-invocation.repository.ts) shares. */
export function createJobTables(dataSource: DataSource, options: JobRepositoryOptions = {}) {
  return {
    dataSource,
    jobs: dataSource.getRepository(JobInvocationEntity),
    hosts: dataSource.getRepository(JobHostEntity),
    actions: dataSource.getRepository(RemoteActionEntity),
    streams: dataSource.getRepository(JobProxyStreamEntity),
    isMysql: dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb',
    recordedFacts: [...new Set(options.recordedFacts ?? [])],
  };
}

export type JobTables = ReturnType<typeof createJobTables>;

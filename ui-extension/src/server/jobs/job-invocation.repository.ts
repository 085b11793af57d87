import { Brackets, type DataSource, type EntityManager } from 'typeorm';
import type { HostCounts, HostState, JobState } from '@common/jobs';
import { named, type Sql } from '../auth/scope-sql';
import { managerOf, toTx, type Tx } from '../db-transaction';
import { JobHostEntity } from './job-host.entity';
import { JobInvocationEntity } from './job-invocation.entity';
import { JobProxyStreamEntity } from './job-proxy-stream.entity';
import { RemoteActionEntity } from './remote-action.entity';
import type { ResultBatch, ResultBatchStore, TrackedHost } from './result-writer';

const INSERT_CHUNK = 500;

export interface NewJobHost {
  hostId: number;
  hostName: string;
  smartProxyId: number | null;
  hostgroupId: number | null;
  state: HostState;
  reason: string | null;
  finishedAt: Date | null;
}

/** A reply that reached this instance after its job had ended (late-results.ts). */
export interface LateResult {
  rowId: number;
  state: 'succeeded' | 'failed';
  statuscode: number;
  statusmsg: string | null;
  data: string | null;
  finishedAt: Date;
  sentAt: Date | null;
}

/** States a late reply may replace: the host ended without a reply of its own. */
const LATE_REPLACEABLE: HostState[] = ['no_response', 'cancelled', 'failed'];

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
function jobRowFields(job: NewJob): Partial<JobInvocationEntity> {
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

export interface JobHostQuery {
  states?: HostState[];
  /** The compiled search over `job_invocation_hosts jh` (job-search.ts JOB_HOST_SEARCH). */
  search?: Sql;
  page: number;
  perPage: number;
}

export interface JobListQuery {
  /** The compiled search over `job` and `ra` (job-search.ts jobSearchDefinition). */
  search?: Sql;
  /**
   * Whose history this is (a host's, a hostgroup's, a proxy's, a fact's), as a condition like the
   * search: unlike the search it narrows the total too, which then counts that history.
   */
  scope?: Sql;
  /** The time a job ran or will run: started_at, else its scheduled time, else its creation. */
  from?: Date;
  to?: Date;
  page: number;
  perPage: number;
  /** The jobs the caller may see (auth/scope-sql.ts `jobScopeSql` over `job` and `ra`); all when absent. */
  visibility?: Sql;
}

/** When a job ran, or will run when it has not started yet: what `from` and `to` compare. */
export const JOB_RUN_TIME = 'COALESCE(job.started_at, job.scheduled_at, job.created_at)';

export interface JobRepositoryOptions {
  /**
   * Facts whose values the job's hosts had are recorded per job when its hosts are written
   * (jobs.recorded_facts): `facts.osfamily = Debian` then finds the jobs that ran on Debian hosts.
   */
  recordedFacts?: readonly string[];
}

export interface JobVersionRow {
  id: number;
  version: number;
  lastEventSeq: number;
  state: JobState;
}

const COUNT_COLUMNS: Record<keyof HostCounts, string> = {
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
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

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

function countFields(counts: HostCounts): Partial<JobInvocationEntity> {
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

/** The only code that touches the job tables (STYLE.md §2). Bulk paths use multi-row SQL. */
export function createJobInvocationRepository(dataSource: DataSource, options: JobRepositoryOptions = {}) {
  const jobs = dataSource.getRepository(JobInvocationEntity);
  const hosts = dataSource.getRepository(JobHostEntity);
  const actions = dataSource.getRepository(RemoteActionEntity);
  const streams = dataSource.getRepository(JobProxyStreamEntity);
  const isMysql = dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb';
  const recordedFacts = [...new Set(options.recordedFacts ?? [])];

  /**
   * Host rows, proxy streams and fact names of new (or newly launched) jobs, several jobs per
   * statement. Raw multi-row INSERTs: the entity insert builder costs several times more per row.
   */
  async function insertJobChildren(m: EntityManager, jobs: Array<{ jobId: number; job: NewJob }>): Promise<void> {
    const multiRow = async (sql: string, width: number, rows: unknown[][]) => {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        const chunk = rows.slice(i, i + INSERT_CHUNK);
        await m.query(`${sql} VALUES ${chunk.map(() => `(${new Array(width).fill('?').join(', ')})`).join(', ')}`, chunk.flat());
      }
    };
    await multiRow('INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, smart_proxy_id, hostgroup_id, state, reason, finished_at)', 8,
      jobs.flatMap(({ jobId, job }) => job.hosts.map((h) => [jobId, h.hostId, h.hostName, h.smartProxyId, h.hostgroupId, h.state, h.reason, h.finishedAt ? dbDate(h.finishedAt) : null])));
    await multiRow("INSERT INTO job_invocation_proxies (job_invocation_id, smart_proxy_id, chunk, last_sequence, state)", 5,
      jobs.flatMap(({ jobId, job }) => job.smartProxyIds.map((smartProxyId) => [jobId, smartProxyId, 0, 0, 'pending'])));
    await multiRow('INSERT INTO job_invocation_fact_names (job_invocation_id, fact_name)', 2, jobs.flatMap(({ jobId, job }) => job.factNames.map((factName) => [jobId, factName])));
    await recordFactValues(m, jobs.map((j) => j.jobId));
  }

  /**
   * The values the recorded facts had on the jobs' hosts, now that their host rows are written: one
   * row per job, fact and value with its number of hosts (a few rows a job, whatever its size).
   * Hosts skipped at creation (no capable proxy) never ran, so their values are left out. Read, then
   * written: InnoDB's INSERT ... SELECT would lock every fact row it reads (4x slower at 10,000 hosts).
   */
  async function recordFactValues(m: EntityManager, jobIds: number[]): Promise<void> {
    if (recordedFacts.length === 0 || jobIds.length === 0) return;
    for (let i = 0; i < jobIds.length; i += INSERT_CHUNK) {
      const ids = jobIds.slice(i, i + INSERT_CHUNK);
      const values = (await m.query(
        `SELECT jh.job_invocation_id AS job_id, f.name, f.value, COUNT(*) AS hosts FROM job_invocation_hosts jh INNER JOIN facts f ON f.host_id = jh.host_id
         WHERE jh.job_invocation_id IN (${ids.map(() => '?').join(', ')}) AND jh.state <> 'skipped' AND f.name IN (${recordedFacts.map(() => '?').join(', ')})
         GROUP BY jh.job_invocation_id, f.name, f.value`,
        [...ids, ...recordedFacts],
      )) as Array<{ job_id: unknown; name: string; value: string; hosts: unknown }>;
      for (let j = 0; j < values.length; j += INSERT_CHUNK) {
        const chunk = values.slice(j, j + INSERT_CHUNK);
        await m.query(`INSERT INTO job_invocation_fact_values (job_invocation_id, fact_name, value, host_count) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`, chunk.flatMap((v) => [Number(v.job_id), v.name, v.value, Number(v.hosts)]));
      }
    }
  }

  async function actionsByIds(ids: number[]): Promise<Map<number, RemoteActionEntity>> {
    if (ids.length === 0) return new Map();
    const rows = await actions.createQueryBuilder('ra').where('ra.id IN (:...ids)', { ids }).getMany();
    return new Map(rows.map((r) => [r.id, r]));
  }

  const store: ResultBatchStore = {
    async commitResultBatch(batch: ResultBatch): Promise<number> {
      const now = dbDate(batch.now);
      return dataSource.transaction(async (m) => {
        if (batch.running.length > 0) {
          await m.query(`UPDATE job_invocation_hosts SET state = 'running' WHERE id IN (${batch.running.map(() => '?').join(',')})`, batch.running);
        }
        for (const group of batch.sent) {
          await m.query(`UPDATE job_invocation_hosts SET started_at = ? WHERE id IN (${group.rowIds.map(() => '?').join(',')})`, [dbDate(group.at), ...group.rowIds]);
        }
        if (batch.results.length > 0) {
          // One UPDATE ... CASE per batch (limits.md: per-row statements cost 10x more).
          const params: unknown[] = [];
          const caseExpr = (pick: (r: ResultBatch['results'][number]) => unknown) => {
            const parts = batch.results.map((r) => {
              params.push(r.rowId, pick(r));
              return 'WHEN ? THEN ?';
            });
            return `CASE id ${parts.join(' ')} END`;
          };
          const caseOf = (column: string, pick: (r: ResultBatch['results'][number]) => unknown) => `${column} = ${caseExpr(pick)}`;
          const finished = () => caseExpr((r) => dbDate(r.finishedAt));
          // started_at says when the request was sent: kept when HostsSent set it, never set for a host
          // not sent. Its end is when the reply arrived, on the proxy's clock; a reply that beat the
          // flush, or a proxy clock behind ours, would put the end before the start: the start then
          // moves to the end. It comes first because MySQL evaluates SET left to right (it must read
          // the old values, as SQLite does). Each CASE adds its parameters in the order of the text.
          const sent = () => `COALESCE(started_at, ${caseExpr((r) => (r.sentAt ? dbDate(r.sentAt) : null))})`;
          const startedAt = `started_at = CASE WHEN ${sent()} > ${finished()} THEN ${finished()} ELSE ${sent()} END`;
          const sets = [
            startedAt,
            caseOf('state', (r) => r.state),
            caseOf('reason', (r) => r.reason),
            caseOf('statuscode', (r) => r.statuscode),
            caseOf('statusmsg', (r) => r.statusmsg),
            caseOf('data', (r) => r.data),
            `finished_at = ${finished()}`,
            caseOf('event_seq', (r) => r.eventSeq),
            caseOf('proxy_sequence', (r) => r.proxySequence),
          ];
          params.push(...batch.results.map((r) => r.rowId));
          await m.query(`UPDATE job_invocation_hosts SET ${sets.join(', ')} WHERE id IN (${batch.results.map(() => '?').join(',')})`, params);
        }
        for (const s of batch.streams) {
          await m.query('UPDATE job_invocation_proxies SET last_sequence = ? WHERE job_invocation_id = ? AND smart_proxy_id = ? AND last_sequence < ?', [s.lastSequence, batch.jobId, s.smartProxyId, s.lastSequence]);
          if (s.reportsSent) await m.query('UPDATE job_invocation_proxies SET reports_sent = 1 WHERE job_invocation_id = ? AND smart_proxy_id = ?', [batch.jobId, s.smartProxyId]);
        }
        const c = batch.counts;
        await m.query(
          `UPDATE job_invocations SET ${Object.values(COUNT_COLUMNS).map((col) => `${col} = ?`).join(', ')}, last_event_seq = ?, version = version + 1, updated_at = ? WHERE id = ?`,
          [...(Object.keys(COUNT_COLUMNS) as Array<keyof HostCounts>).map((k) => c[k]), batch.lastEventSeq, now, batch.jobId],
        );
        const rows = (await m.query('SELECT version FROM job_invocations WHERE id = ?', [batch.jobId])) as Array<{ version: number }>;
        return Number(rows[0].version);
      });
    },
  };

  return {
    ...store,

    /** The stored action for this hash, created on first use; safe against a concurrent insert. */
    async findOrCreateRemoteAction(input: { namespace: string; action: string; arguments: string; hash: string; now: Date }): Promise<RemoteActionEntity> {
      const found = await actions.findOne({ where: { argumentsHash: input.hash } });
      if (found) return found;
      try {
        await actions.createQueryBuilder().insert().values({ namespace: input.namespace, action: input.action, arguments: input.arguments, argumentsHash: input.hash, createdAt: input.now }).updateEntity(false).execute();
      } catch (error) {
        // Another request stored the same action between our read and insert; theirs is as good.
        const raced = await actions.findOne({ where: { argumentsHash: input.hash } });
        if (raced) return raced;
        throw error;
      }
      return (await actions.findOne({ where: { argumentsHash: input.hash } }))!;
    },

    findRemoteAction: (id: number) => actions.findOne({ where: { id } }),

    /** The DDL the newest job of a remote action ran with (scheduling from history without a proxy). */
    async latestDdlOfAction(remoteActionId: number): Promise<string | null> {
      const rows = (await dataSource.query('SELECT ddl FROM job_invocations WHERE remote_action_id = ? ORDER BY id DESC LIMIT 1', [remoteActionId])) as Array<{ ddl: string }>;
      return rows[0]?.ddl ?? null;
    },

    /**
     * Stores the job, its hosts and its proxy streams in one transaction (or inside `tx`); resolves
     * the job id.
     */
    /** Runs `fn` in one transaction, for services that store a job together with something else (its audit entry). */
    transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      return dataSource.transaction(async (m) => fn(toTx(m)));
    },

    async createJob(job: NewJob, tx?: Tx): Promise<number> {
      const run = async (m: EntityManager) => {
        const result = await m.createQueryBuilder().insert().into(JobInvocationEntity).values({
          ...jobRowFields(job),
          state: job.state ?? 'queued',
          version: 1,
          lastEventSeq: 0,
          aggregates: null,
          cancelRequested: false,
          createdAt: job.now,
        }).execute();
        const jobId = Number(result.identifiers[0]?.id ?? result.raw?.insertId);
        await insertJobChildren(m, [{ jobId, job }]);
        return jobId;
      };
      return tx ? run(managerOf(tx)) : dataSource.transaction(run);
    },

    /**
     * Turns `scheduled` jobs into the queued jobs of their occurrences, with their hosts, inside `tx`,
     * in a few statements whatever their number. The caller holds the rows (`lockJobStates`), so
     * every one is still `scheduled`; a count that does not match throws and rolls back.
     */
    async launchScheduledJobs(tx: Tx, launches: Array<{ jobId: number; job: NewJob }>): Promise<void> {
      if (launches.length === 0) return;
      const m = managerOf(tx);
      const params: unknown[] = [];
      const caseOf = (column: string, pick: (l: { jobId: number; job: NewJob }) => unknown) => {
        const parts = launches.map((l) => {
          params.push(l.jobId, pick(l));
          return 'WHEN ? THEN ?';
        });
        return `${column} = CASE id ${parts.join(' ')} END`;
      };
      const first = launches[0].job;
      const sets = [
        caseOf('owner', (l) => l.job.owner),
        caseOf('owner_id', (l) => l.job.ownerId),
        caseOf('total_hosts', (l) => l.job.hosts.length),
        ...(Object.keys(COUNT_COLUMNS) as Array<keyof HostCounts>).map((k) => caseOf(COUNT_COLUMNS[k], (l) => l.job.counts[k])),
        caseOf('scheduled_at', (l) => (l.job.scheduledAt ? dbDate(l.job.scheduledAt) : null)),
      ];
      params.push(first.leaseOwner, first.leaseExpiresAt ? dbDate(first.leaseExpiresAt) : null, dbDate(first.now), ...launches.map((l) => l.jobId));
      // A structured result: the affected count on both drivers (a plain query gives SQLite's last rowid).
      const result = await m.queryRunner!.query(
        `UPDATE job_invocations SET state = 'queued', ${sets.join(', ')}, lease_owner = ?, lease_expires_at = ?, updated_at = ?, version = version + 1 WHERE state = 'scheduled' AND id IN (${launches.map(() => '?').join(',')})`,
        params,
        true,
      );
      if (result.affected !== launches.length) throw new Error(`launched ${result.affected} of ${launches.length} scheduled jobs: some were no longer scheduled`);
      await insertJobChildren(m, launches);
    },

    /** Stores several `scheduled` jobs (no hosts yet) in one statement; resolves their ids in input order. */
    async createScheduledJobs(tx: Tx, newJobs: NewJob[]): Promise<number[]> {
      if (newJobs.length === 0) return [];
      const m = managerOf(tx);
      const ids: number[] = [];
      // Ids of a multi-row INSERT are not guaranteed consecutive under every auto-increment mode:
      // insert one by one when several jobs of one schedule could not be told apart afterwards.
      for (const job of newJobs) {
        const result = await m.createQueryBuilder().insert().into(JobInvocationEntity).values({
          ...jobRowFields(job), state: 'scheduled', version: 1, lastEventSeq: 0, aggregates: null, cancelRequested: false, createdAt: job.now,
        }).execute();
        ids.push(Number(result.identifiers[0]?.id ?? result.raw?.insertId));
      }
      return ids;
    },

    /** Re-times several jobs still `scheduled` in one statement. */
    async retimeScheduledJobs(tx: Tx, jobs: Array<{ jobId: number; at: Date }>, now: Date): Promise<void> {
      if (jobs.length === 0) return;
      const params: unknown[] = jobs.flatMap((j) => [j.jobId, dbDate(j.at)]);
      params.push(dbDate(now), ...jobs.map((j) => j.jobId));
      await managerOf(tx).query(
        `UPDATE job_invocations SET scheduled_at = CASE id ${jobs.map(() => 'WHEN ? THEN ?').join(' ')} END, updated_at = ?, version = version + 1 WHERE state = 'scheduled' AND id IN (${jobs.map(() => '?').join(',')})`,
        params,
      );
    },

    /** Cancels several jobs still `scheduled` in one statement. */
    async cancelScheduledJobs(tx: Tx, ids: number[], now: Date): Promise<void> {
      if (ids.length === 0) return;
      await managerOf(tx).query(
        `UPDATE job_invocations SET state = 'cancelled', cancel_requested = 1, finished_at = ?, updated_at = ?, version = version + 1 WHERE state = 'scheduled' AND id IN (${ids.map(() => '?').join(',')})`,
        [dbDate(now), dbDate(now), ...ids],
      );
    },

    /** Changes a job that is still `scheduled` (its time, targeting, description); false otherwise. */
    async updateScheduledJob(tx: Tx, jobId: number, fields: Partial<JobInvocationEntity>, now: Date): Promise<boolean> {
      const result = await managerOf(tx).createQueryBuilder().update(JobInvocationEntity).set({ ...fields, updatedAt: now, version: () => 'version + 1' } as never)
        .where('id = :id AND state = :state', { id: jobId, state: 'scheduled' }).execute();
      return (result.affected ?? 0) > 0;
    },

    /**
     * The state of some jobs, locked until `tx` ends (MariaDB; SQLite's writer holds everything), so a
     * cancel cannot slip between the scheduler reading a pending job and launching it.
     */
    async lockJobStates(tx: Tx, ids: number[]): Promise<Map<number, JobState>> {
      if (ids.length === 0) return new Map();
      const rows = (await managerOf(tx).query(`SELECT id, state FROM job_invocations WHERE id IN (${ids.map(() => '?').join(',')})${isMysql ? ' FOR UPDATE' : ''}`, ids)) as Array<{ id: number; state: JobState }>;
      return new Map(rows.map((r) => [Number(r.id), r.state]));
    },

    findJob: (id: number) => jobs.findOne({ where: { id } }),

    /** Whether some job of the remote action passes `scope` (as `jobInScope`). */
    async remoteActionInScope(remoteActionId: number, scope: Sql): Promise<boolean> {
      const rows = (await dataSource.query(`SELECT COUNT(*) AS n FROM remote_actions ra WHERE ra.id = ? AND EXISTS (SELECT 1 FROM job_invocations job WHERE job.remote_action_id = ra.id AND ${scope.sql})`, [remoteActionId, ...scope.params])) as Array<{ n: unknown }>;
      return Number(rows[0].n) > 0;
    },

    /** Whether the job passes `scope`, a condition on the job row `job` and its remote action `ra` (scope-sql.ts jobScopeSql). */
    async jobInScope(jobId: number, scope: Sql): Promise<boolean> {
      const rows = (await dataSource.query(`SELECT COUNT(*) AS n FROM job_invocations job INNER JOIN remote_actions ra ON ra.id = job.remote_action_id WHERE job.id = ? AND ${scope.sql}`, [jobId, ...scope.params])) as Array<{ n: unknown }>;
      return Number(rows[0].n) > 0;
    },

    actionsByIds,

    /** The cheap read a long poll repeats. */
    async jobVersion(id: number): Promise<JobVersionRow | undefined> {
      const row = await jobs.createQueryBuilder('job').select(['job.id', 'job.version', 'job.lastEventSeq', 'job.state']).where('job.id = :id', { id }).getOne();
      return row ? { id: row.id, version: row.version, lastEventSeq: row.lastEventSeq, state: row.state } : undefined;
    },

    /** Updates job columns and bumps the version; with `whenState` only if the job is still in it. */
    async updateJob(id: number, fields: Partial<JobInvocationEntity>, now: Date, whenState?: JobState[]): Promise<boolean> {
      const qb = jobs.createQueryBuilder().update().set({ ...fields, updatedAt: now, version: () => 'version + 1' } as never).where('id = :id', { id });
      if (whenState) qb.andWhere('state IN (:...states)', { states: whenState });
      const result = await qb.execute();
      return (result.affected ?? 0) > 0;
    },

    /**
     * Sends batch `batch` of a rollout: moves rollout_batch from batch - 1 to batch, only for the
     * lease owner, while the job runs, is not paused and not cancelled. One instance wins; false for
     * any other (or when a pause or cancel came first).
     */
    async claimBatch(id: number, batch: number, owner: string, fields: Partial<JobInvocationEntity>, now: Date): Promise<boolean> {
      const result = await jobs.createQueryBuilder().update().set({ ...fields, rolloutBatch: batch, updatedAt: now, version: () => 'version + 1' } as never)
        .where('id = :id AND state = :state AND rollout_batch = :before AND lease_owner = :owner AND paused = 0 AND cancel_requested = 0', { id, state: 'running', before: batch - 1, owner })
        .execute();
      return (result.affected ?? 0) > 0;
    },

    /** Stores the gate after batch `batch` (pause, canary wait, threshold) once; false when it already was. */
    async decideGate(id: number, batch: number, fields: Partial<JobInvocationEntity>, now: Date): Promise<boolean> {
      const result = await jobs.createQueryBuilder().update().set({ ...fields, rolloutBatchDone: batch, updatedAt: now, version: () => 'version + 1' } as never)
        .where('id = :id AND rollout_batch_done < :batch', { id, batch })
        .execute();
      return (result.affected ?? 0) > 0;
    },

    async setCounts(id: number, counts: HostCounts, now: Date): Promise<void> {
      await jobs.createQueryBuilder().update().set({ ...countFields(counts), updatedAt: now, version: () => 'version + 1' } as never).where('id = :id', { id }).execute();
    },

    /**
     * Stores replies that arrived after their job ended: each host that ended without a reply takes
     * the reply's state, flagged late; the job's counts move with them and `count_late` grows; its
     * state stays (it ended by its deadline or a lost proxy). One transaction; resolves how many
     * were stored (a host that has a reply already keeps it).
     */
    async recordLateResults(jobId: number, results: LateResult[], now: Date): Promise<number> {
      if (results.length === 0) return 0;
      return dataSource.transaction(async (m) => {
        const lock = isMysql ? ' FOR UPDATE' : '';
        const ids = results.map((r) => r.rowId);
        const eligible = (await m.query(
          `SELECT id, state FROM job_invocation_hosts WHERE job_invocation_id = ? AND id IN (${ids.map(() => '?').join(',')}) AND late_at IS NULL AND statuscode IS NULL AND state IN (${LATE_REPLACEABLE.map(() => '?').join(',')})${lock}`,
          [jobId, ...ids, ...LATE_REPLACEABLE],
        )) as Array<{ id: number; state: HostState }>;
        if (eligible.length === 0) return 0;
        const from = new Map(eligible.map((r) => [Number(r.id), r.state]));
        // The first reply of a host wins, as in a running job.
        const seen = new Set<number>();
        const stored = results.filter((r) => from.has(r.rowId) && !seen.has(r.rowId) && seen.add(r.rowId));
        const [job] = (await m.query(`SELECT last_event_seq FROM job_invocations WHERE id = ?${lock}`, [jobId])) as Array<{ last_event_seq: number }>;
        let seq = Number(job.last_event_seq);
        const params: unknown[] = [];
        const caseOf = (column: string, pick: (r: LateResult, seq: number) => unknown) =>
          `${column} = CASE id ${stored.map((r, i) => { params.push(r.rowId, pick(r, seq + i + 1)); return 'WHEN ? THEN ?'; }).join(' ')} END`;
        const sets = [
          caseOf('state', (r) => r.state),
          caseOf('reason', (r) => `late result: the reply arrived after the job had ended, which had recorded this host ${from.get(r.rowId)}`),
          caseOf('statuscode', (r) => r.statuscode),
          caseOf('statusmsg', (r) => r.statusmsg),
          caseOf('data', (r) => r.data),
          caseOf('finished_at', (r) => dbDate(r.finishedAt)),
          caseOf('event_seq', (_r, s) => s),
          `started_at = COALESCE(started_at, CASE id ${stored.map((r) => { params.push(r.rowId, r.sentAt ? dbDate(r.sentAt) : null); return 'WHEN ? THEN ?'; }).join(' ')} END)`,
        ];
        params.push(dbDate(now), ...stored.map((r) => r.rowId));
        await m.query(`UPDATE job_invocation_hosts SET ${sets.join(', ')}, late_at = ? WHERE id IN (${stored.map(() => '?').join(',')})`, params);
        seq += stored.length;
        const delta = new Map<string, number>();
        for (const r of stored) {
          delta.set(COUNT_COLUMNS[from.get(r.rowId)!], (delta.get(COUNT_COLUMNS[from.get(r.rowId)!]) ?? 0) - 1);
          delta.set(COUNT_COLUMNS[r.state], (delta.get(COUNT_COLUMNS[r.state]) ?? 0) + 1);
        }
        const moves = [...delta].filter(([, n]) => n !== 0);
        await m.query(
          `UPDATE job_invocations SET ${moves.map(([column]) => `${column} = ${column} + ?`).concat('count_late = count_late + ?', 'last_event_seq = ?', 'version = version + 1', 'updated_at = ?').join(', ')} WHERE id = ?`,
          [...moves.map(([, n]) => n), stored.length, seq, dbDate(now), jobId],
        );
        return stored.length;
      });
    },

    /** Every host of a job, as the result writer tracks it; a host with started_at was asked by its proxy. */
    async trackedHosts(jobId: number): Promise<TrackedHost[]> {
      // In row order: a rollout's batches are the hosts in this order (rollout-policy.ts).
      const rows = (await dataSource.query('SELECT id, host_name, smart_proxy_id, state, started_at FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY id', [jobId])) as Array<{ id: number; host_name: string; smart_proxy_id: number | null; state: HostState; started_at: unknown }>;
      return rows.map((r) => ({ rowId: Number(r.id), hostName: r.host_name, smartProxyId: r.smart_proxy_id === null ? null : Number(r.smart_proxy_id), state: r.state, asked: r.started_at !== null }));
    },

    /** Counts recomputed from the rows (after a restart the rows are the truth). */
    async countHosts(jobId: number): Promise<Array<{ state: HostState; n: number }>> {
      const rows = (await dataSource.query('SELECT state, COUNT(*) AS n FROM job_invocation_hosts WHERE job_invocation_id = ? GROUP BY state', [jobId])) as Array<{ state: HostState; n: number | string }>;
      return rows.map((r) => ({ state: r.state, n: Number(r.n) }));
    },

    streamsOf: (jobId: number) => streams.find({ where: { jobInvocationId: jobId }, order: { smartProxyId: 'ASC' } }),

    async updateStream(jobId: number, smartProxyId: number, fields: Partial<JobProxyStreamEntity>): Promise<void> {
      await streams.update({ jobInvocationId: jobId, smartProxyId }, fields);
    },

    /**
     * One page of a job's hosts in name order. The page walks (job, host_name) and stops after
     * `perPage` matches; a rare match (`output ~ ...`) reads the job's rows until it has them.
     */
    async listHosts(jobId: number, query: JobHostQuery): Promise<{ total: number; subtotal: number; results: JobHostEntity[] }> {
      const qb = hosts.createQueryBuilder('jh').where('jh.job_invocation_id = :jobId', { jobId });
      const total = await qb.clone().getCount();
      if (query.states && query.states.length > 0) qb.andWhere('jh.state IN (:...states)', { states: query.states });
      if (query.search) {
        const search = named(query.search, 'q');
        qb.andWhere(search.sql, search.params);
      }
      const filtered = (query.states && query.states.length > 0) || query.search !== undefined;
      const subtotal = filtered ? await qb.clone().getCount() : total;
      const results = await qb.orderBy('jh.host_name', 'ASC').skip((query.page - 1) * query.perPage).take(query.perPage).getMany();
      return { total, subtotal, results };
    },

    /** The events feed: host rows changed after the cursor, in cursor order (an index range scan). */
    eventsAfter: (jobId: number, after: number, limit: number) =>
      hosts.createQueryBuilder('h').where('h.job_invocation_id = :jobId AND h.event_seq > :after', { jobId, after }).orderBy('h.event_seq', 'ASC').take(limit).getMany(),

    async hostNames(jobId: number, states: HostState[], limit: number): Promise<string[]> {
      const rows = await hosts.createQueryBuilder('h').select('h.host_name', 'name').where('h.job_invocation_id = :jobId AND h.state IN (:...states)', { jobId, states }).orderBy('h.host_name', 'ASC').limit(limit).getRawMany<{ name: string }>();
      return rows.map((r) => r.name);
    },

    /**
     * Host ids of a job in the given states (for a replay). A host with a late result ran, whatever
     * its state: replaying "failed" must not run it a second time, so only `all` selects it.
     */
    async hostIds(jobId: number, states: HostState[] | 'all'): Promise<number[]> {
      const qb = hosts.createQueryBuilder('h').select('h.host_id', 'id').where('h.job_invocation_id = :jobId', { jobId });
      if (states !== 'all') qb.andWhere('h.state IN (:...states)', { states }).andWhere('h.late_at IS NULL');
      return (await qb.getRawMany<{ id: number }>()).map((r) => Number(r.id));
    },

    /** Reply data of succeeded hosts, for the DDL aggregates. */
    /** Reply data of every host that replied, succeeded or failed (Puppet run outcomes count both). */
    async repliedData(jobId: number): Promise<string[]> {
      const rows = (await dataSource.query('SELECT data FROM job_invocation_hosts WHERE job_invocation_id = ? AND statuscode IS NOT NULL AND data IS NOT NULL', [jobId])) as Array<{ data: string }>;
      return rows.map((r) => r.data);
    },

    async succeededData(jobId: number): Promise<string[]> {
      const rows = (await dataSource.query("SELECT data FROM job_invocation_hosts WHERE job_invocation_id = ? AND statuscode = 0 AND data IS NOT NULL", [jobId])) as Array<{ data: string }>;
      return rows.map((r) => r.data);
    },

    async listJobs(query: JobListQuery): Promise<{ total: number; subtotal: number; results: Array<{ job: JobInvocationEntity; action: RemoteActionEntity }> }> {
      const base = jobs.createQueryBuilder('job').innerJoin(RemoteActionEntity, 'ra', 'ra.id = job.remote_action_id');
      const conditions: Array<[Sql | undefined, string]> = [[query.visibility, 'vis'], [query.scope, 'scope']];
      for (const [sql, prefix] of conditions) {
        if (!sql) continue;
        const cond = named(sql, prefix);
        base.andWhere(cond.sql, cond.params);
      }
      const total = await base.clone().getCount();
      const qb = base.clone();
      if (query.search) {
        const search = named(query.search, 'q');
        qb.andWhere(search.sql, search.params);
      }
      if (query.from) qb.andWhere(`${JOB_RUN_TIME} >= :from`, { from: dbDate(query.from) });
      if (query.to) qb.andWhere(`${JOB_RUN_TIME} <= :to`, { to: dbDate(query.to) });
      const filtered = query.search !== undefined || query.from !== undefined || query.to !== undefined;
      const subtotal = filtered ? await qb.clone().getCount() : total;
      const list = await qb.orderBy('job.id', 'DESC').skip((query.page - 1) * query.perPage).take(query.perPage).getMany();
      const byId = await actionsByIds([...new Set(list.map((j) => j.remoteActionId))]);
      return { total, subtotal, results: list.map((job) => ({ job, action: byId.get(job.remoteActionId)! })) };
    },

    /** Remote actions with their run counts; with `visibility`, only actions and runs of jobs it admits. */
    async listActions(page: number, perPage: number, search: { namespace?: string; action?: string; search?: Sql } = {}, visibility?: Sql): Promise<{ total: number; subtotal: number; results: Array<{ action: RemoteActionEntity; runCount: number; lastRunAt: Date | null }> }> {
      const qb = actions.createQueryBuilder('ra');
      const visible = visibility ? named(visibility, 'vis') : undefined;
      if (visible) qb.andWhere(`EXISTS (SELECT 1 FROM job_invocations job WHERE job.remote_action_id = ra.id AND ${visible.sql})`, visible.params);
      const total = await qb.clone().getCount();
      if (search.namespace) qb.andWhere('ra.namespace = :ns', { ns: search.namespace });
      if (search.action) qb.andWhere('ra.action = :ac', { ac: search.action });
      if (search.search) {
        const cond = named(search.search, 'q');
        qb.andWhere(cond.sql, cond.params);
      }
      const subtotal = search.namespace || search.action || search.search ? await qb.clone().getCount() : total;
      const list = await qb.orderBy('ra.id', 'DESC').skip((page - 1) * perPage).take(perPage).getMany();
      if (list.length === 0) return { total, subtotal, results: [] };
      const statsQuery = jobs.createQueryBuilder('job').innerJoin(RemoteActionEntity, 'ra', 'ra.id = job.remote_action_id').select('job.remote_action_id', 'id').addSelect('COUNT(*)', 'n').addSelect('MAX(job.created_at)', 'last')
        .where('job.remote_action_id IN (:...ids)', { ids: list.map((a) => a.id) });
      if (visible) statsQuery.andWhere(visible.sql, visible.params);
      const stats = (await statsQuery.groupBy('job.remote_action_id').getRawMany()) as Array<{ id: number; n: number | string; last: string | Date | null }>;
      const byId = new Map(stats.map((s) => [Number(s.id), s]));
      return {
        total,
        subtotal,
        results: list.map((action) => {
          const s = byId.get(action.id);
          const last = s?.last ? (s.last instanceof Date ? s.last : new Date(`${String(s.last).replace(' ', 'T')}Z`)) : null;
          return { action, runCount: s ? Number(s.n) : 0, lastRunAt: last };
        }),
      };
    },

    /**
     * Takes over unfinished jobs whose lease ran out (their instance died) or that nobody leased.
     * The conditional UPDATE is the claim: of two instances only one changes the row.
     */
    async claimOrphanedJobs(owner: string, now: Date, until: Date, runningHere: number[]): Promise<number[]> {
      // Our own lease counts as orphaned when we are not running the job: this instance restarted.
      const orphaned = (prefix: string) => new Brackets((w) => w.where(`${prefix}lease_expires_at IS NULL`).orWhere(`${prefix}lease_expires_at < :now`, { now: dbDate(now) }).orWhere(`${prefix}lease_owner = :owner`, { owner }));
      const candidates = await jobs.createQueryBuilder('job').select('job.id').where('job.state IN (:...states)', { states: ['queued', 'running'] }).andWhere(orphaned('job.')).getMany();
      const claimed: number[] = [];
      for (const { id } of candidates) {
        if (runningHere.includes(id)) continue;
        const result = await jobs.createQueryBuilder().update().set({ leaseOwner: owner, leaseExpiresAt: until })
          .where('id = :id AND state IN (:...states)', { id, states: ['queued', 'running'] }).andWhere(orphaned('')).execute();
        if ((result.affected ?? 0) > 0) claimed.push(id);
      }
      return claimed;
    },

    async renewLeases(owner: string, ids: number[], until: Date): Promise<void> {
      if (ids.length === 0) return;
      await jobs.createQueryBuilder().update().set({ leaseExpiresAt: until }).where('id IN (:...ids) AND lease_owner = :owner', { ids, owner }).execute();
    },

    /** Deletes host rows of jobs that finished before the cutoff; the job rows keep their counts. */
    async purgeHostsFinishedBefore(cutoff: Date, now: Date): Promise<{ jobs: number; hosts: number }> {
      const old = await jobs.createQueryBuilder('job').select('job.id').where('job.finished_at < :cutoff AND job.hosts_purged_at IS NULL', { cutoff: dbDate(cutoff) }).getMany();
      let deleted = 0;
      for (let i = 0; i < old.length; i += INSERT_CHUNK) {
        const ids = old.slice(i, i + INSERT_CHUNK).map((j) => j.id);
        await dataSource.transaction(async (m) => {
          const res = await m.createQueryBuilder().delete().from(JobHostEntity).where('job_invocation_id IN (:...ids)', { ids }).execute();
          deleted += res.affected ?? 0;
          await m.createQueryBuilder().update(JobInvocationEntity).set({ hostsPurgedAt: now }).where('id IN (:...ids)', { ids }).execute();
        });
      }
      return { jobs: old.length, hosts: deleted };
    },

    /** Jobs per state over the whole table (the /metrics gauge); uses idx_job_invocations_state. */
    async countByState(): Promise<Array<{ state: JobState; count: number }>> {
      const rows = await jobs.createQueryBuilder('job').select('job.state', 'state').addSelect('COUNT(*)', 'count').groupBy('job.state').getRawMany<{ state: JobState; count: string | number }>();
      return rows.map((r) => ({ state: r.state, count: Number(r.count) }));
    },

    isMysql,
  };
}

export type JobInvocationRepository = ReturnType<typeof createJobInvocationRepository>;

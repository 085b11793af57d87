import type { EntityManager } from 'typeorm';
import type { HostCounts, JobState } from '@common/jobs';
import { managerOf, toTx, type Tx } from '../db-transaction';
import { JobInvocationEntity } from './job-invocation.entity';
import type { RemoteActionEntity } from './remote-action.entity';
import { COUNT_COLUMNS, dbDate, INSERT_CHUNK, jobRowFields, type JobTables, type NewJob } from './job-rows';

/**
 * Rows per multi-row INSERT on MariaDB: 2,000 host rows are 0.2-0.6 MB (names up to 255 characters),
 * well under the servers' default max_allowed_packet (16 MB on MariaDB, 4 MB on MySQL 5.7); SQLite keeps INSERT_CHUNK (its variables).
 */
const MYSQL_INSERT_CHUNK = 2000;

/**
 * Writing jobs: the remote action a job runs, a new job with its hosts, proxy streams and fact
 * values, and the `scheduled` jobs schedules make (created, launched, re-timed, changed, cancelled).
 */
export function createJobWrites(t: JobTables, awaitReportsOf: (m: EntityManager, jobIds: number[]) => Promise<void>) {
  const { dataSource, actions, isMysql, recordedFacts } = t;

  /**
   * Host rows, proxy streams, fact names and (Puppet runs) awaited reports of new (or newly launched)
   * jobs, several jobs per statement. Raw multi-row INSERTs: the entity insert builder costs several times more per row.
   */
  async function insertJobChildren(m: EntityManager, jobs: Array<{ jobId: number; job: NewJob }>): Promise<void> {
    const multiRow = async (sql: string, width: number, rows: unknown[][]) => {
      if (isMysql) return mysqlRows(m, sql, rows);
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
    await awaitReportsOf(m, jobs.map((j) => j.jobId));
  }

  /**
   * Rows on MariaDB: mysql2 expands `VALUES ?` with an array of rows itself (half the client CPU of a
   * placeholder per value), MYSQL_INSERT_CHUNK rows a statement, one statement at a time. Not two in
   * flight: when the server rolls the transaction back (a deadlock, a lock wait timeout with
   * innodb_rollback_on_timeout), a statement already sent behind the failed one would run on its own in
   * autocommit and could leave host rows of a job that was never created (a scheduled launch).
   */
  async function mysqlRows(m: EntityManager, sql: string, rows: unknown[][]): Promise<void> {
    for (let i = 0; i < rows.length; i += MYSQL_INSERT_CHUNK) await m.query(`${sql} VALUES ?`, [rows.slice(i, i + MYSQL_INSERT_CHUNK)]);
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

  return {
    /**
     * The stored action for this hash, created on first use (inside `tx` when given, so a request
     * refused later in that transaction leaves no action behind); safe against a concurrent insert.
     */
    async findOrCreateRemoteAction(input: { namespace: string; action: string; arguments: string; hash: string; now: Date }, tx?: Tx): Promise<RemoteActionEntity> {
      const repo = tx ? managerOf(tx).getRepository<RemoteActionEntity>(actions.target) : actions;
      const found = await repo.findOne({ where: { argumentsHash: input.hash } });
      if (found) return found;
      try {
        await repo.createQueryBuilder().insert().values({ namespace: input.namespace, action: input.action, arguments: input.arguments, argumentsHash: input.hash, createdAt: input.now }).updateEntity(false).execute();
      } catch (error) {
        // Another request stored the same action between our read and insert; theirs is as good. Inside a
        // MariaDB transaction a plain read would still see the snapshot without it: a locking read sees the
        // committed row. (SQLite has one writer at a time, so the race cannot happen inside a transaction.)
        // FOR UPDATE, not TypeORM's pessimistic_read: that writes MySQL 8's FOR SHARE for any server
        // version >= 8, MariaDB's 10.x included, which has no such syntax.
        const query = repo.createQueryBuilder('ra').where('ra.argumentsHash = :hash', { hash: input.hash });
        const raced = await (tx && isMysql ? query.setLock('pessimistic_write') : query).getOne();
        if (raced) return raced;
        throw error;
      }
      return (await repo.findOne({ where: { argumentsHash: input.hash } }))!;
    },

    /** Runs `fn` in one transaction, for services that store a job together with something else (its audit entry). */
    transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      return dataSource.transaction(async (m) => fn(toTx(m)));
    },

    /**
     * Stores the job, its hosts and its proxy streams in one transaction (or inside `tx`); resolves
     * the job id.
     */
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
  };
}

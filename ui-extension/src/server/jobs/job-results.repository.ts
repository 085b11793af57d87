import { escape } from 'mysql2';
import { HOST_STATES, type HostCounts, type HostState } from '@common/jobs';
import type { JobProxyStreamEntity } from './job-proxy-stream.entity';
import { COUNT_COLUMNS, countFields, dbDate, type JobTables } from './job-rows';
import type { HostAdmission, ResultBatch, ResultBatchStore, TrackedHost } from './result-writer';

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

type Manager = Pick<JobTables['dataSource'], 'query'>;
type Result = ResultBatch['results'][number];

/**
 * A batch's results on MariaDB: one INSERT ... ON DUPLICATE KEY UPDATE on the primary key, O(1) per row
 * where a CASE id of 500 WHENs scans per row and column (50 -> 35 ms per 500 rows). It must never
 * create a row (a resurrected host would be a lie in the record), and the affected rows prove it did
 * not: MariaDB counts 2 per updated row, 1 per inserted one and at most 1 per unchanged one, and no row
 * is unchanged (each result has a new event_seq); so n rows affect 2n exactly when all n existed.
 * Anything else throws, and the transaction, inserts included, rolls back. started_at keeps the rule
 * of caseResults: set first (SET runs left to right and must read the old value).
 */
async function upsertResults(m: Manager, batch: ResultBatch): Promise<void> {
  const done = (await m.query(upsertResultsSql(batch))) as { affectedRows: number };
  if (done.affectedRows !== 2 * batch.results.length) throw new Error(`job ${batch.jobId}: a result batch of ${batch.results.length} rows affected ${done.affectedRows} rows, not ${2 * batch.results.length}: a host row is missing; nothing of the batch was written`);
}

const UPSERT_SENT = 'COALESCE(started_at, VALUES(started_at))';
const UPSERT_TAIL = ` ON DUPLICATE KEY UPDATE started_at = CASE WHEN ${UPSERT_SENT} > VALUES(finished_at) THEN VALUES(finished_at) ELSE ${UPSERT_SENT} END, ${['state', 'reason', 'statuscode', 'statusmsg', 'data', 'finished_at', 'event_seq', 'proxy_sequence'].map((col) => `${col} = VALUES(${col})`).join(', ')}`;

/** A number as a literal; anything else (NaN, a string) goes through the driver's escape as before. */
const num = (n: number | null): string => (typeof n === 'number' && Number.isFinite(n) ? `${n}` : escape(n));

/**
 * Row ids as the literal list of an IN (...): the running and sent marks name up to a proxy's whole
 * share of a job (5,000 ids a statement at 10k hosts), and a `?` per id cost the driver a scan of the
 * text and an escape per placeholder, ~15 ms of the ui-extension's CPU per 10k-host job (issue #20).
 * Row ids come from our own rows; anything but a positive safe integer is a bug, refused before SQL.
 */
export function rowIdList(ids: readonly number[]): string {
  for (const id of ids) if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`not a row id: ${String(id)}`);
  return ids.join(',');
}

/**
 * The statement upsertResults sends, its values written in by the driver's own escape (mysql2's, as
 * its placeholder substitution does): exactly the text `?` placeholders gave, without a parameter
 * array of 11 per row and a scan of the whole text for placeholders per batch (issue #20).
 */
export function upsertResultsSql(batch: ResultBatch): string {
  const job = num(batch.jobId);
  let values = '';
  for (const r of batch.results) {
    values += `${values === '' ? '' : ', '}(${num(r.rowId)}, ${job}, '', ${escape(r.state)}, ${escape(r.reason)}, ${num(r.statuscode)}, ${escape(r.statusmsg)}, ${escape(r.data)}, ${r.sentAt ? `'${dbDate(r.sentAt)}'` : 'NULL'}, '${dbDate(r.finishedAt)}', ${num(r.eventSeq)}, ${num(r.proxySequence)})`;
  }
  return `INSERT INTO job_invocation_hosts (id, job_invocation_id, host_name, state, reason, statuscode, statusmsg, data, started_at, finished_at, event_seq, proxy_sequence) VALUES ${values}${UPSERT_TAIL}`;
}

/** A batch's results on SQLite: one UPDATE ... CASE (limits.md: per-row statements cost 10x more). */
async function caseResults(m: Manager, batch: ResultBatch): Promise<void> {
  const params: unknown[] = [];
  const caseExpr = (pick: (r: Result) => unknown) => {
    const parts = batch.results.map((r) => {
      params.push(r.rowId, pick(r));
      return 'WHEN ? THEN ?';
    });
    return `CASE id ${parts.join(' ')} END`;
  };
  const caseOf = (column: string, pick: (r: Result) => unknown) => `${column} = ${caseExpr(pick)}`;
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

/** States a late reply may replace: the host ended without a reply of its own. */
const LATE_REPLACEABLE: HostState[] = ['no_response', 'cancelled', 'failed'];

/**
 * Results of running jobs: a result writer's batches (result-writer.ts), late results, the hosts
 * and counts a dispatcher resumes from, the per-proxy streams and the reply data aggregates read.
 */
export function createJobResults(t: JobTables) {
  const { dataSource, jobs, streams, isMysql } = t;

  const store: Required<ResultBatchStore> = {
    async commitResultBatch(batch: ResultBatch): Promise<number | null> {
      const now = dbDate(batch.now);
      return dataSource.transaction(async (m) => {
        // The job row first, and conditional, as in admitHosts: only the instance that holds the lease of
        // a running job writes its results. A stale instance (its lease ran out and another took the job
        // over) writes nothing, not even its cursors: the new owner replays those events from the proxy.
        // The final batch runs before the job's own end (finish), so it still finds it running; a reply
        // after the end goes through recordLateResults. Not paused/cancelled: what was sent is recorded.
        // On MariaDB this row's X lock comes first, then the host rows: the order of admitHosts, and of
        // the rollout runner, pause and cancel, which write the job row alone.
        // The new version comes back with the UPDATE, not by a SELECT after it: MariaDB's
        // LAST_INSERT_ID(expr) hands expr back as the statement's insert id, SQLite has RETURNING.
        const c = batch.counts;
        const version = isMysql ? 'LAST_INSERT_ID(version + 1)' : 'version + 1';
        const done = await m.query(
          `UPDATE job_invocations SET ${Object.values(COUNT_COLUMNS).map((col) => `${col} = ?`).join(', ')}, last_event_seq = ?, version = ${version}, updated_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?${isMysql ? '' : ' RETURNING version'}`,
          [...(Object.keys(COUNT_COLUMNS) as Array<keyof HostCounts>).map((k) => c[k]), batch.lastEventSeq, now, batch.jobId, batch.leaseOwner],
        );
        const ok = isMysql ? (done as { affectedRows: number }).affectedRows === 1 : (done as unknown[]).length === 1;
        if (!ok) {
          // No job row at all (deleted) is an error, as before; a row that is not ours is the refusal.
          const [row] = (await m.query('SELECT id FROM job_invocations WHERE id = ?', [batch.jobId])) as unknown[];
          if (!row) throw new Error(`job ${batch.jobId}: no job row to count the result batch in; nothing of the batch was written`);
          return null;
        }
        // Rows by primary-key equality (an IN list), never by id ranges, though a proxy's share is mostly
        // consecutive ids and ranges halve this statement's MariaDB CPU alone (issue #20): under REPEATABLE READ
        // a range scan also locks the record after each range, which may be another job's host row, and two jobs
        // whose row ids interleave (created at once) could then deadlock; equality lookups lock only these rows.
        // READ COMMITTED would lift that lock, but ranges with it showed no gain under load (BENCHMARKS.md 19:33Z).
        if (batch.running.length > 0) {
          await m.query(`UPDATE job_invocation_hosts SET state = 'running' WHERE id IN (${rowIdList(batch.running)}) AND state = 'pending'`);
        }
        // Never over a final row (a stale writer's marks, written late): only a row still open moves.
        for (const group of batch.sent) {
          await m.query(`UPDATE job_invocation_hosts SET ${group.running ? "state = 'running', " : ''}started_at = ? WHERE id IN (${rowIdList(group.rowIds)}) AND state IN ('pending', 'running')`, [dbDate(group.at)]);
        }
        if (batch.results.length > 0) await (isMysql ? upsertResults : caseResults)(m, batch);
        for (const s of batch.streams) {
          await m.query('UPDATE job_invocation_proxies SET last_sequence = ? WHERE job_invocation_id = ? AND smart_proxy_id = ? AND last_sequence < ?', [s.lastSequence, batch.jobId, s.smartProxyId, s.lastSequence]);
          if (s.reportsSent) await m.query('UPDATE job_invocation_proxies SET reports_sent = 1 WHERE job_invocation_id = ? AND smart_proxy_id = ?', [batch.jobId, s.smartProxyId]);
        }
        return Number(isMysql ? (done as { insertId: number }).insertId : (done as Array<{ version: number }>)[0].version);
      });
    },

    async admitHosts(a: HostAdmission): Promise<number | null> {
      return dataSource.transaction(async (m) => {
        // The job row first, and conditional: a pause or cancel updates that row too, so on MariaDB its row
        // lock puts the two in one order (this UPDATE reads the latest committed row); SQLite has one writer.
        const version = isMysql ? 'LAST_INSERT_ID(version + 1)' : 'version + 1';
        const done = await m.query(
          `UPDATE job_invocations SET ${Object.values(COUNT_COLUMNS).map((col) => `${col} = ?`).join(', ')}, version = ${version}, updated_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ? AND paused = 0 AND cancel_requested = 0 AND rollout_stop_reason IS NULL${isMysql ? '' : ' RETURNING version'}`,
          [...(Object.keys(COUNT_COLUMNS) as Array<keyof HostCounts>).map((k) => a.counts[k]), dbDate(a.now), a.jobId, a.leaseOwner],
        );
        const ok = isMysql ? (done as { affectedRows: number }).affectedRows === 1 : (done as unknown[]).length === 1;
        if (!ok) return null;
        if (a.rowIds.length > 0) await m.query(`UPDATE job_invocation_hosts SET state = 'running' WHERE id IN (${rowIdList(a.rowIds)}) AND state = 'pending'`);
        return Number(isMysql ? (done as { insertId: number }).insertId : (done as Array<{ version: number }>)[0].version);
      });
    },
  };

  return {
    ...store,

    async setCounts(id: number, counts: HostCounts, now: Date): Promise<void> {
      await jobs.createQueryBuilder().update().set({ ...countFields(counts), updatedAt: now, version: () => 'version + 1' } as never).where('id = :id', { id }).execute();
    },

    /** Jobs of an action still running or ended since `since`: two ranges of idx_job_invocations_finished_at (an OR reads every job on SQLite). */
    async jobsOfActionSince(run: { namespace: string; action: string }, since: Date): Promise<number[]> {
      const of = 'SELECT job.id AS id FROM job_invocations job INNER JOIN remote_actions ra ON ra.id = job.remote_action_id WHERE ra.namespace = ? AND ra.action = ? AND job.finished_at';
      const rows = (await dataSource.query(`${of} IS NULL UNION ${of} >= ? ORDER BY id`, [run.namespace, run.action, run.namespace, run.action, dbDate(since)])) as Array<{ id: number | string }>;
      return rows.map((r) => Number(r.id));
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
      // Held for the whole job (issue #20): each state is the shared constant, not the driver's copy per row, and no date is built.
      const rows = (await dataSource.query('SELECT id, host_name, smart_proxy_id, state, started_at IS NOT NULL AS asked FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY id', [jobId])) as Array<{ id: number; host_name: string; smart_proxy_id: number | null; state: HostState; asked: number | string }>;
      return rows.map((r) => ({ rowId: Number(r.id), hostName: r.host_name, smartProxyId: r.smart_proxy_id === null ? null : Number(r.smart_proxy_id), state: HOST_STATES.find((s) => s === r.state) ?? r.state, asked: Number(r.asked) === 1 }));
    },

    /** A job's row ids in row order, from its index alone (job-start.ts trackedHostsOf). */
    async hostRowIds(jobId: number): Promise<number[]> {
      const rows = (await dataSource.query('SELECT id FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY id', [jobId])) as Array<{ id: number }>;
      return rows.map((r) => Number(r.id));
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

    /** Reply data of every host that replied, succeeded or failed (Puppet run outcomes count both). */
    async repliedData(jobId: number): Promise<string[]> {
      const rows = (await dataSource.query('SELECT data FROM job_invocation_hosts WHERE job_invocation_id = ? AND statuscode IS NOT NULL AND data IS NOT NULL', [jobId])) as Array<{ data: string }>;
      return rows.map((r) => r.data);
    },

    /** Reply data of succeeded hosts, for the DDL aggregates. */
    async succeededData(jobId: number): Promise<string[]> {
      const rows = (await dataSource.query("SELECT data FROM job_invocation_hosts WHERE job_invocation_id = ? AND statuscode = 0 AND data IS NOT NULL", [jobId])) as Array<{ data: string }>;
      return rows.map((r) => r.data);
    },
  };
}

import type { DataSource } from 'typeorm';
import type { HostState } from '@common/jobs';
import type { Sql } from '../auth/scope-sql';

/**
 * One host of a job as the export reads it: the columns as the driver answers them, no entity.
 * Dates are Date objects on MySQL/MariaDB and `YYYY-MM-DD HH:MM:SS.SSS` text (UTC) on SQLite.
 */
export interface JobHostExportRow {
  id: number;
  /** Null for a PuppetDB node outside the inventory (skipped, "not in the inventory"). */
  host_id: number | null;
  host_name: string;
  smart_proxy_id: number | null;
  state: HostState;
  reason: string | null;
  statuscode: number | null;
  statusmsg: string | null;
  /** The reply data as stored: exact-number JSON text. */
  data: string | null;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  late_at: Date | string | null;
  /** The Puppet run's PuppetDB report as stored (JSON), if looked up. */
  puppetdb_report: string | null;
}

const COLUMNS = 'jh.id, jh.host_id, jh.host_name, jh.smart_proxy_id, jh.state, jh.reason, jh.statuscode, jh.statusmsg, jh.data, jh.started_at, jh.finished_at, jh.late_at, jh.puppetdb_report';

/**
 * Reads a job's hosts for an export in batches, walking (host_name, id) from where the last batch
 * ended: each batch is an index range scan of `idx_job_invocation_hosts_job_name`, so the 100th
 * batch costs what the first did (an OFFSET would read every row before it again), and only one
 * batch is in memory at a time. Rows come back raw: hydrating 100,000 entities (issue #19's bench)
 * made garbage that V8's default heap let pile up to hundreds of MB before collecting it.
 */
export function createJobHostExportRepository(dataSource: DataSource) {
  return {
    async ddlOf(jobId: number): Promise<string | null> {
      const rows = (await dataSource.query('SELECT ddl FROM job_invocations WHERE id = ?', [jobId])) as Array<{ ddl: string }>;
      return rows[0]?.ddl ?? null;
    },

    async *batches(jobId: number, query: { states?: HostState[]; search?: Sql }, batchSize = 250): AsyncGenerator<JobHostExportRow[]> {
      const where: string[] = ['jh.job_invocation_id = ?'];
      const params: unknown[] = [jobId];
      if (query.states && query.states.length > 0) {
        where.push(`jh.state IN (${query.states.map(() => '?').join(', ')})`);
        params.push(...query.states);
      }
      if (query.search) {
        where.push(`(${query.search.sql})`);
        params.push(...query.search.params);
      }
      const first = `SELECT ${COLUMNS} FROM job_invocation_hosts jh WHERE ${where.join(' AND ')} ORDER BY jh.host_name ASC, jh.id ASC LIMIT ${Math.trunc(batchSize)}`;
      const next = `SELECT ${COLUMNS} FROM job_invocation_hosts jh WHERE ${where.join(' AND ')} AND (jh.host_name > ? OR (jh.host_name = ? AND jh.id > ?)) ORDER BY jh.host_name ASC, jh.id ASC LIMIT ${Math.trunc(batchSize)}`;
      let batch = (await dataSource.query(first, params)) as JobHostExportRow[];
      for (;;) {
        if (batch.length === 0) return;
        yield batch;
        if (batch.length < batchSize) return;
        const last = batch[batch.length - 1];
        batch = (await dataSource.query(next, [...params, last.host_name, last.host_name, Number(last.id)])) as JobHostExportRow[];
      }
    },
  };
}

export type JobHostExportRepository = ReturnType<typeof createJobHostExportRepository>;

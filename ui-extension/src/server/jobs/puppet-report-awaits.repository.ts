import { dbDate, type JobTables } from './job-rows';
import type { HostAwaitingReport } from './puppet-run-reports';
import { PUPPET_RUN } from './puppet-run.service';

/** A datetime as a driver returns it: a Date (mysql2) or UTC text (SQLite). */
const dateOf = (value: unknown): Date | null => (value === null || value === undefined ? null : value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}Z`));

type Manager = Pick<JobTables['dataSource'], 'query'>;

/**
 * Puppet run hosts awaiting their PuppetDB report (puppet-run-reports.ts), in job_host_report_awaits
 * (migration ReplaceJobHostReportAwaitedIndex): a row per host of a Puppet run job, written with the
 * job's hosts and deleted once the host's report is stored. Jobs of other actions write none, so
 * their hosts pay for no report bookkeeping (an index over every host row did before: issue #20).
 */
export function createPuppetReportAwaits(t: JobTables) {
  const { dataSource, hosts } = t;

  return {
    /**
     * Inside the transaction that wrote their host rows: the hosts of those of `jobIds` that are
     * Puppet runs await their report. One primary-key read for other jobs.
     */
    async awaitReportsOf(m: Manager, jobIds: number[]): Promise<void> {
      if (jobIds.length === 0) return;
      const runs = (await m.query(
        `SELECT job.id AS id FROM job_invocations job INNER JOIN remote_actions ra ON ra.id = job.remote_action_id WHERE job.id IN (${jobIds.map(() => '?').join(', ')}) AND ra.namespace = ? AND ra.action = ?`,
        [...jobIds, PUPPET_RUN.namespace, PUPPET_RUN.action],
      )) as Array<{ id: number | string }>;
      if (runs.length === 0) return;
      await m.query(
        `INSERT INTO job_host_report_awaits (job_invocation_id, job_invocation_host_id) SELECT h.job_invocation_id, h.id FROM job_invocation_hosts h WHERE h.job_invocation_id IN (${runs.map(() => '?').join(', ')})`,
        runs.map((r) => Number(r.id)),
      );
    },

    /**
     * A Puppet run host's PuppetDB report (puppet-run-reports.ts), written after its result, only over
     * null: when two instances look the same run up, the first answer stays (false for the other). The
     * job's version moves so that long polls and the job page see it, and the host no longer awaits.
     * No transaction: a poll that reads between the statements sees the report a moment early, and
     * an await left behind by a crash is harmless (the recovery reads only hosts without a report).
     */
    async storePuppetReport(jobId: number, rowId: number, report: string, now: Date): Promise<boolean> {
      const result = await hosts.createQueryBuilder().update().set({ puppetdbReport: report } as never)
        .where('id = :rowId AND job_invocation_id = :jobId AND puppetdb_report IS NULL', { rowId, jobId }).execute();
      if ((result.affected ?? 0) === 0) return false;
      await dataSource.query('UPDATE job_invocations SET version = version + 1, updated_at = ? WHERE id = ?', [dbDate(now), jobId]);
      await dataSource.query('DELETE FROM job_host_report_awaits WHERE job_invocation_host_id = ?', [rowId]);
      return true;
    },

    /**
     * Hosts of a job of `run` with a result and no PuppetDB report, in id order after `afterRowId`
     * (only `rowIds` when given), off the job's awaits: the hosts without a report only, not every
     * row of the job.
     */
    async hostsAwaitingReport(run: { namespace: string; action: string }, jobId: number, page: { afterRowId: number; limit: number; rowIds?: number[] }): Promise<HostAwaitingReport[]> {
      const only = page.rowIds ? ` AND a.job_invocation_host_id IN (${page.rowIds.map(() => '?').join(',')})` : '';
      const rows = (await dataSource.query(
        `SELECT h.id, h.host_name, h.data, h.finished_at, h.late_at FROM job_host_report_awaits a
         INNER JOIN job_invocation_hosts h ON h.id = a.job_invocation_host_id
         INNER JOIN job_invocations job ON job.id = a.job_invocation_id INNER JOIN remote_actions ra ON ra.id = job.remote_action_id
         WHERE a.job_invocation_id = ? AND a.job_invocation_host_id > ?${only} AND h.puppetdb_report IS NULL AND h.statuscode IS NOT NULL AND ra.namespace = ? AND ra.action = ?
         ORDER BY a.job_invocation_host_id LIMIT ?`,
        [jobId, page.afterRowId, ...(page.rowIds ?? []), run.namespace, run.action, page.limit],
      )) as Array<{ id: number | string; host_name: string; data: string | null; finished_at: unknown; late_at: unknown }>;
      return rows.map((r) => ({ rowId: Number(r.id), hostName: r.host_name, data: r.data, resultAt: dateOf(r.late_at) ?? dateOf(r.finished_at) }));
    },
  };
}

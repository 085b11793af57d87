import type { DataSource } from 'typeorm';
import { createJobReads } from './job-reads.repository';
import { createJobResults } from './job-results.repository';
import { createJobRuns } from './job-runs.repository';
import { createJobTables, type JobRepositoryOptions } from './job-rows';
import { createJobWrites } from './job-writes.repository';
import { createPuppetReportAwaits } from './puppet-report-awaits.repository';

export { countsOf, dbDate, type JobRepositoryOptions, type NewJob, type NewJobHost } from './job-rows';
export { JOB_RUN_TIME, type JobHostQuery, type JobListQuery, type JobVersionRow } from './job-reads.repository';
export type { LateResult } from './job-results.repository';

/**
 * The only code that touches the job tables (STYLE.md §2). Bulk paths use multi-row SQL. Each
 * concern is its own file over the shared tables (job-rows.ts): writing jobs
 * (job-writes.repository.ts), reading them (job-reads.repository.ts), storing results
 * (job-results.repository.ts), Puppet run hosts awaiting their report (puppet-report-awaits.repository.ts)
 * and running them across instances (job-runs.repository.ts); this
 * factory only puts them together, so callers see one repository.
 */
export function createJobInvocationRepository(dataSource: DataSource, options: JobRepositoryOptions = {}) {
  const t = createJobTables(dataSource, options);
  const { awaitReportsOf, ...awaits } = createPuppetReportAwaits(t);
  return {
    ...createJobWrites(t, awaitReportsOf),
    ...createJobReads(t),
    ...createJobResults(t),
    ...createJobRuns(t),
    ...awaits,
    isMysql: t.isMysql,
  };
}

export type JobInvocationRepository = ReturnType<typeof createJobInvocationRepository>;

import type { JobStatus, PuppetRunJobHost } from '@common/jobs';
import type { ApiClient } from '../api-client';
import { writeLine, type Io, type ListPage } from '../output';

const PER_PAGE = 1000;

/** True for the jobs whose hosts have Puppet run outcomes (issue 18). */
export function isPuppetRunJob(job: Pick<JobStatus, 'namespace' | 'action'>): boolean {
  return job.namespace === 'puppet' && job.action === 'runonce';
}

/** One host's line: what its run did, or why it has none. */
export function puppetRunLine(host: PuppetRunJobHost, width: number): string {
  const name = host.host_name.padEnd(width);
  const run = host.puppet_run;
  if (!run) {
    if (host.state === 'pending' || host.state === 'running') return `${name}  ${host.state}`;
    return `${name}  ${'not run'.padEnd(12)}  ${host.statusmsg || host.reason || host.state}`;
  }
  const what = run.noop ? `${run.out_of_sync_resources} out of sync (noop)` : `${run.changed_resources} changes, ${run.failed_resources} failures`;
  const env = run.environment ? ` in ${run.environment}` : '';
  return `${name}  ${run.outcome.replace('_', ' ').padEnd(12)}  Applied configuration version ${run.config_version || '(none)'}${env} with ${what}; ${run.total_resources} resources, ${run.run_time} s`;
}

/**
 * The host's report in PuppetDB, indented under its line: its hash (the first 12 characters, as git
 * shortens ids) and what PuppetDB holds of it, or why there is none; nothing when it was not looked up.
 */
export function puppetReportLine(host: PuppetRunJobHost, width: number): string | undefined {
  const report = host.puppetdb_report;
  if (!report) return undefined;
  const indent = ' '.repeat(width + 2);
  if (!report.hash || !report.summary) return `${indent}report: ${report.reason ?? 'none found in PuppetDB'}`;
  const r = report.summary;
  const counts = `${r.changed_resources ?? '?'} changed, ${r.failed_resources ?? '?'} failed, ${r.out_of_sync_resources ?? '?'} out of sync of ${r.total_resources ?? '?'}`;
  return `${indent}report ${report.hash.slice(0, 12)} in PuppetDB: ${r.status ?? 'no status'}${r.noop ? ' (noop)' : ''}, ${counts}, configuration version ${r.configuration_version || '(none)'}`;
}

/**
 * The per-host part of `rex job show` for a Puppet run, as `puppet job show` lists its nodes: one line
 * per host with the run's outcome, changes, failures and configuration version, failed hosts first.
 */
export async function printPuppetRuns(api: ApiClient, io: Io, job: JobStatus, outcome?: string): Promise<void> {
  const hosts: PuppetRunJobHost[] = [];
  for (let page = 1; ; page++) {
    const got = await api.get<ListPage<PuppetRunJobHost>>(`/remote_execution/jobs/${job.id}/hosts`, { page, per_page: PER_PAGE, outcome });
    hosts.push(...got.results);
    if (got.results.length < PER_PAGE || hosts.length >= got.subtotal) break;
  }
  const ran = hosts.filter((h) => h.state !== 'skipped');
  if (outcome) writeLine(io.out, `\nPUPPET RUNS WITH OUTCOME ${outcome.split(',').map((o) => o.trim()).join(' OR ')} (${ran.length})\n${'-'.repeat(40)}`);
  if (ran.length === 0) return;
  const rank = (h: PuppetRunJobHost): number => (h.puppet_run ? ['failed', 'changed', 'noop_pending', 'unchanged'].indexOf(h.puppet_run.outcome) + 1 : 0);
  ran.sort((a, b) => rank(a) - rank(b) || a.host_name.localeCompare(b.host_name));
  const width = Math.max(...ran.map((h) => h.host_name.length));
  if (!outcome) writeLine(io.out, `\nPUPPET RUNS (${ran.length})\n${'-'.repeat(40)}`);
  for (const host of ran) {
    writeLine(io.out, puppetRunLine(host, width));
    // As `puppet job show` points at the failed resources: one indented line each.
    for (const title of host.puppet_run?.failed_resource_titles ?? []) writeLine(io.out, `${' '.repeat(width + 2)}failed: ${title}`);
    const report = puppetReportLine(host, width);
    if (report) writeLine(io.out, report);
  }
}

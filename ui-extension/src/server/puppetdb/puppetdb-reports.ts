/**
 * Finding the report of one Puppet run in PuppetDB (issue 18): PE's orchestrator "requests the node
 * run reports from PuppetDB" once a run ends; so do we, by certname and time. The run is known from
 * the agent's last_run_summary (proxy-plugin actions/puppet-run.runner.ts): when it ended (lastrun,
 * which Puppet writes as the run ends, as the report's end_time is), its configuration version and
 * whether it was noop. Shapes as PuppetDB 7 answers `/pdb/query/v4/reports`
 * (puppetlabs/puppetdb documentation/api/query/v4/reports.markdown).
 */
import type { PuppetDbReportSummary, PuppetDbRunReport } from '@common/jobs';
import type { PuppetDbClient } from './puppetdb.client';

/** The run a report is looked for. */
export interface RunToMatch {
  certname: string;
  /** The agent's lastrun: when the run ended, Unix seconds. */
  lastRun: number;
  /** '' when the summary did not say. */
  configVersion: string;
  noop: boolean;
}

/**
 * Seconds between a run's lastrun and its report's end_time that still count as the same run. Both
 * are the agent's clock at the run's end (end_time is start + the time.total metric), so they differ by
 * seconds; the configuration version tells apart two runs in the window.
 */
export const MATCH_WINDOW_S = 120;

const FIELDS = ['hash', 'certname', 'configuration_version', 'start_time', 'end_time', 'environment', 'status', 'noop', 'noop_pending', 'corrective_change', 'transaction_uuid', 'producer', 'metrics'];

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** The PQL query for the node's reports that ended near the run's end, newest first. */
export function reportQuery(run: RunToMatch): string {
  const from = iso(run.lastRun - MATCH_WINDOW_S);
  const to = iso(run.lastRun + MATCH_WINDOW_S);
  return `reports[${FIELDS.join(', ')}] { certname = ${JSON.stringify(run.certname)} and end_time >= "${from}" and end_time <= "${to}" order by end_time desc limit 20 }`;
}

/** The path on PuppetDB that answers exactly this report (the AST form, which every PuppetDB 4+ takes). */
export function reportPath(hash: string): string {
  return `/pdb/query/v4/reports?query=${encodeURIComponent(JSON.stringify(['=', 'hash', hash]))}`;
}

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

/** The report's metrics: expanded (`{href, data}`) as the query API answers them, or a plain list. */
function metricsOf(row: Row): Map<string, number> {
  const raw = row.metrics;
  const list = Array.isArray(raw) ? raw : typeof raw === 'object' && raw !== null && Array.isArray((raw as { data?: unknown }).data) ? (raw as { data: unknown[] }).data : [];
  const metrics = new Map<string, number>();
  for (const m of list) {
    const { category, name, value } = (m ?? {}) as { category?: unknown; name?: unknown; value?: unknown };
    if (typeof category === 'string' && typeof name === 'string' && typeof value === 'number') metrics.set(`${category}.${name}`, value);
  }
  return metrics;
}

/** What the job host keeps of a report row. */
export function reportSummary(row: Row): PuppetDbReportSummary {
  const metrics = metricsOf(row);
  const count = (key: string) => (metrics.has(key) ? Math.round(metrics.get(key)!) : null);
  return {
    status: str(row.status),
    noop: bool(row.noop),
    noop_pending: bool(row.noop_pending),
    corrective_change: bool(row.corrective_change),
    changed_resources: count('resources.changed'),
    failed_resources: count('resources.failed'),
    out_of_sync_resources: count('resources.out_of_sync'),
    total_resources: count('resources.total'),
    run_time: metrics.get('time.total') ?? null,
    configuration_version: str(row.configuration_version) ?? '',
    environment: str(row.environment),
    start_time: str(row.start_time) ?? '',
    end_time: str(row.end_time) ?? '',
    transaction_uuid: str(row.transaction_uuid),
    producer: str(row.producer),
  };
}

/**
 * The row that is this run's report: same configuration version (when the run said one) and noop
 * mode, ending closest to the run's lastrun within the window; undefined when none is.
 */
export function pickReport(rows: readonly Row[], run: RunToMatch): Row | undefined {
  let best: { row: Row; distance: number } | undefined;
  for (const row of rows) {
    if (typeof row.hash !== 'string' || row.certname !== run.certname) continue;
    if (run.configVersion !== '' && row.configuration_version !== run.configVersion) continue;
    if (typeof row.noop === 'boolean' && row.noop !== run.noop) continue;
    const end = Date.parse(String(row.end_time));
    if (Number.isNaN(end)) continue;
    const distance = Math.abs(end / 1000 - run.lastRun);
    if (distance > MATCH_WINDOW_S) continue;
    if (!best || distance < best.distance) best = { row, distance };
  }
  return best?.row;
}

/** Asks PuppetDB once; the report when it holds it, undefined when not (yet). Errors are PuppetDB's (AppError). */
export async function findRunReport(puppetdb: Pick<PuppetDbClient, 'query' | 'url'>, run: RunToMatch, now: Date): Promise<PuppetDbRunReport | undefined> {
  const rows = (await puppetdb.query(reportQuery(run))).filter((r): r is Row => typeof r === 'object' && r !== null);
  const row = pickReport(rows, run);
  if (!row) return undefined;
  const hash = row.hash as string;
  return { hash, url: `${puppetdb.url}${reportPath(hash)}`, summary: reportSummary(row), reason: null, fetched_at: now.toISOString() };
}

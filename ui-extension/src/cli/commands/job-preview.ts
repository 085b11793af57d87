import type { JobPreview } from '@common/job-preview';
import type { Io } from '../output';
import { printJson, printTable, writeLine } from '../output';

/** Host names a dry run lists; the counts above them cover every host. */
export const DRY_RUN_HOSTS = 100;

/**
 * `rex job run ... --dry-run`: the preview the API answered (POST /remote_execution/jobs/preview),
 * as the run would go: the summary line, hosts per smart proxy, skipped hosts by reason, then the
 * first hosts by name. With --json, the API's answer as it came.
 */
export function printJobPreview(io: Io, json: boolean, preview: JobPreview): void {
  if (json) {
    printJson(io, preview);
    return;
  }
  writeLine(io.out, `Dry run, nothing created: ${preview.summary}.`);
  if (preview.total_hosts === 0) return;
  if (preview.smart_proxies.length > 0) {
    writeLine(io.out);
    printTable(io, preview.smart_proxies, [['smart proxy', (p) => p.name], ['hosts', (p) => p.hosts]]);
  }
  if (preview.skipped_reasons.length > 0) {
    writeLine(io.out);
    printTable(io, preview.skipped_reasons, [['skipped', (r) => r.hosts], ['reason', (r) => r.reason], ['hosts', (r) => `${r.host_names.join(', ')}${r.hosts > r.host_names.length ? ', ...' : ''}`]]);
  }
  writeLine(io.out);
  printTable(io, preview.hosts.results, [['host', (h) => h.name], ['smart proxy', (h) => h.smart_proxy_name], ['will', (h) => (h.state === 'skipped' ? `skip: ${h.reason}` : 'run')]]);
  if (preview.hosts.total > preview.hosts.results.length) writeLine(io.err, `First ${preview.hosts.results.length} of ${preview.hosts.total} hosts by name (--json for the counts; the API pages the rest).`);
}

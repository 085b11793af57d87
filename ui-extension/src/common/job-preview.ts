/**
 * REST types of a job preview (`POST /api/v2/remote_execution/jobs/preview` and
 * `.../jobs/:id/replay/preview`): what a job with the same body would run on, resolved now inside
 * the caller's scope, without storing anything. Shared by the server, the web UI and the CLI.
 */
import type { Targeting } from './jobs';

/** One host of a preview: `pending` will be asked, `skipped` will be recorded skipped with `reason`. */
export interface PreviewHost {
  /** Null for a PQL certname the inventory does not know: skipped, "not in the inventory". */
  id: number | null;
  name: string;
  smart_proxy_id: number | null;
  smart_proxy_name: string | null;
  state: 'pending' | 'skipped';
  reason: string | null;
}

export interface JobPreview {
  /** The targeting as given (for a replay: the one the replay would use). */
  targeting: Targeting;
  /** Hosts the targeting matches that the caller may run on; 0 means the job would be refused (422). */
  total_hosts: number;
  /** Hosts that would be asked. */
  will_run: number;
  /** Hosts that would be recorded `skipped`. */
  skipped: number;
  /** Smart proxies the job would use, with the hosts each would ask, by name. */
  smart_proxies: Array<{ id: number; name: string; hosts: number }>;
  /** Why hosts would be skipped, most hosts first, with the first host names of each reason. */
  skipped_reasons: Array<{ reason: string; hosts: number; host_names: string[] }>;
  /** One page of the matched hosts by name (Foreman's index envelope; `page`/`per_page` query). */
  hosts: { total: number; subtotal: number; page: number; per_page: number; search: null; sort: { by: 'name'; order: 'asc' }; results: PreviewHost[] };
  /** The preview in one line, e.g. "24 hosts on 2 smart proxies will run; 3 skipped: host has no smart proxy". */
  summary: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The preview in one line, as the web UI and the CLI show it. */
export function previewSummary(p: Pick<JobPreview, 'total_hosts' | 'will_run' | 'skipped' | 'smart_proxies' | 'skipped_reasons'>): string {
  if (p.total_hosts === 0) return 'no host you may run on matches this targeting';
  const run = `${plural(p.will_run, 'host')} on ${plural(p.smart_proxies.length, 'smart proxy').replace('proxys', 'proxies')} will run`;
  if (p.skipped === 0) return run;
  return `${run}; ${p.skipped} skipped: ${p.skipped_reasons.map((r) => (p.skipped_reasons.length > 1 ? `${r.reason} (${r.hosts})` : r.reason)).join(', ')}`;
}

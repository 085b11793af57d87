import type { HostState, JobHost } from '@common/jobs';
import { formatValue } from '../shared/format';

/** States a host ends in without a good answer: its row says why. */
export const UNSUCCESSFUL_STATES: readonly HostState[] = ['failed', 'no_response', 'skipped', 'cancelled'];

/** Nothing to show: null, an empty string, an empty list or object (package#status's `output` is ""). */
function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

const PREVIEW_CHARS = 160;

/** At most `max` characters, cut at a word with an ellipsis; the expanded row shows the whole text. */
export function clip(text: string, max = PREVIEW_CHARS): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max / 2))}…`;
}

/**
 * Why a host did not succeed, for its row: the recorded reason (no reply, never sent, proxy lost,
 * ...), else the agent's own status message when it refused or failed (`Could not find service
 * nginx`, which mco prints beside the host). Null for a host that succeeded or is still going.
 */
export function hostReason(host: Pick<JobHost, 'state' | 'reason' | 'statuscode' | 'statusmsg' | 'started_at'>): string | null {
  // Running but not asked yet: its proxy sends it with a later batch (issue #27: started_at is "asked").
  if (host.state === 'running' && !host.started_at) return 'waiting for its batch';
  if (!UNSUCCESSFUL_STATES.includes(host.state)) return null;
  if (host.reason) return clip(host.reason);
  if (host.statusmsg && host.statuscode !== 0) return clip(host.statusmsg);
  return null;
}

/**
 * The Output column: the outputs that say something, `Label: value` joined, else the status
 * message. An output with an empty value is left out, so a cell never reads just "Output:". The
 * reason has its own column, so a failed host's outputs (`Service Status: unknown`) never stand in for it.
 */
export function outputPreview(host: JobHost): string {
  const said = host.output.filter((o) => !isEmptyValue(o.value)).map((o) => `${o.display_as || o.name}: ${formatValue(o.value)}`);
  if (said.length > 0) return clip(said.join(' · '));
  // The status message already stands in the Reason column of a host that did not succeed.
  return hostReason(host) === null ? clip(host.statusmsg ?? '') : '';
}

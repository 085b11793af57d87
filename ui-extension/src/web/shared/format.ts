import type { StoredTargeting } from '@common/jobs';

/** Dates as Foreman shows them: local time, to the second. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  const abs = Math.abs(s);
  const unit = abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.round(abs / 60), 'minute'] : abs < 86400 ? [Math.round(abs / 3600), 'hour'] : [Math.round(abs / 86400), 'day'];
  const text = `${unit[0]} ${unit[1]}${unit[0] === 1 ? '' : 's'}`;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

/** A value of any JSON type, short enough for a table cell. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A stored targeting in a few words (jobs, schedules); a hostgroup by its title when known (shared/Targeting.tsx looks it up). */
export function targetingText(t: Pick<StoredTargeting, 'search' | 'host_ids' | 'hostgroup_id' | 'pql'>, hostgroupTitle?: string | null): string {
  if (t.pql !== null) return `PuppetDB: ${t.pql}`;
  if (t.search !== null) return t.search === '' ? 'all hosts' : `search: ${t.search}`;
  if (t.host_ids) return `${t.host_ids.length} selected host${t.host_ids.length === 1 ? '' : 's'}`;
  if (t.hostgroup_id !== null) return hostgroupTitle ? `hostgroup ${hostgroupTitle}` : `hostgroup #${t.hostgroup_id}`;
  return '—';
}

/** `datetime-local` input value (local time, minutes) from a Date. */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A duration as operators read it: `45s`, `2m 05s`, `1h 02m 03s` (whole seconds, never negative). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

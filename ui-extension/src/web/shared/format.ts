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

/** A stored targeting in a few words (jobs, schedules). */
export function targetingText(t: Pick<StoredTargeting, 'search' | 'host_ids' | 'hostgroup_id' | 'pql'>): string {
  if (t.pql !== null) return `PuppetDB: ${t.pql}`;
  if (t.search !== null) return t.search === '' ? 'all hosts' : `search: ${t.search}`;
  if (t.host_ids) return `${t.host_ids.length} selected host${t.host_ids.length === 1 ? '' : 's'}`;
  if (t.hostgroup_id !== null) return `hostgroup #${t.hostgroup_id}`;
  return '—';
}

/** `datetime-local` input value (local time, minutes) from a Date. */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

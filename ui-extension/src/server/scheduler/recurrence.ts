/**
 * When a schedule's occurrences fall. Cron lines are read by croner (docs/DEPENDENCIES.md says why)
 * in the schedule's own IANA zone, so "02:30 every day" means 02:30 on that zone's clocks all year.
 *
 * Daylight-saving changes follow Vixie cron, as croner's "no-wildcard" rule implements it:
 * - a line whose minute and hour fields are plain values, lists or ranges (`30 2 * * *`,
 *   `0 2,14 * * *`) is fixed-time: a time that does not exist (spring forward) runs at the first
 *   valid instant after the gap, and a time that occurs twice (fall back) runs once, at its first
 *   occurrence;
 * - a line with a wildcard or a step in those fields (`*\/15 * * * *`, `0 * * * *`) is an interval:
 *   it runs at every real instant that matches, so the repeated hour runs twice and the skipped hour
 *   has nothing to run.
 * test/ui-extension/scheduler/recurrence.test.ts pins this down in Europe/Berlin and America/New_York.
 */
import { Cron } from 'croner';

/** Cron lines have the five classic fields (minute hour day-of-month month day-of-week), as Foreman's. */
const CRON_OPTIONS = { paused: true, mode: '5-part', fixedTimeRule: 'no-wildcard' } as const;
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

export interface Recurrence {
  cronLine: string;
  timeZone: string;
  /** Occurrences after this instant do not happen (inclusive bound: one exactly at it does). */
  endTime: Date | null;
}

/** Null when the zone is a known IANA name, else the rule it breaks. */
export function timeZoneProblem(zone: string): string | null {
  if (!ZONE_NAME.test(zone)) return 'must be an IANA time zone name such as Europe/Berlin';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone }).format(0);
    return null;
  } catch {
    return `is not a known IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`;
  }
}

/** Null when the line parses as a five-field cron line, else the rule it breaks. */
export function cronLineProblem(line: string): string | null {
  if (line.trim().split(/\s+/).length !== 5) return 'must have five fields: minute hour day-of-month month day-of-week';
  try {
    new Cron(line, CRON_OPTIONS);
    return null;
  } catch (error) {
    return `is not a valid cron line: ${(error as Error).message.replace(/^CronPattern: /, '')}`;
  }
}

const compiled = new Map<string, Cron>();

function cronOf(recurrence: Pick<Recurrence, 'cronLine' | 'timeZone'>): Cron {
  const key = `${recurrence.timeZone}\u0000${recurrence.cronLine}`;
  let cron = compiled.get(key);
  if (!cron) {
    cron = new Cron(recurrence.cronLine, { ...CRON_OPTIONS, timezone: recurrence.timeZone });
    // Parsed patterns are small; the bound only guards against unbounded growth.
    if (compiled.size >= 10_000) compiled.clear();
    compiled.set(key, cron);
  }
  return cron;
}

/** The first occurrence strictly after `after`, or null when there is none (end_time passed, or never). */
export function nextOccurrence(recurrence: Recurrence, after: Date): Date | null {
  const next = cronOf(recurrence).nextRun(after);
  if (!next || next.getTime() <= after.getTime()) return null;
  if (recurrence.endTime && next.getTime() > recurrence.endTime.getTime()) return null;
  return next;
}

/** Occurrences in `[from, to]`, at most `limit`, in order. */
export function occurrencesBetween(recurrence: Recurrence, from: Date, to: Date, limit: number): Date[] {
  const out: Date[] = [];
  let cursor = nextOccurrence(recurrence, new Date(from.getTime() - 1));
  while (cursor && cursor.getTime() <= to.getTime() && out.length < limit) {
    out.push(cursor);
    cursor = nextOccurrence(recurrence, cursor);
  }
  return out;
}

import { AppError } from '../errors';
import { cronLineProblem, nextOccurrence, timeZoneProblem, type Recurrence } from './recurrence';
import type { ScheduleEntity } from './schedule.entity';

/** Timing as the API writes it (Foreman's `scheduling` / `recurrence`). */
export interface TimingInput {
  scheduling?: { start_at: string; start_before?: string };
  recurrence?: { cron_line?: string; time_zone?: string; max_iterations?: number; end_time?: string };
}

/** Timing once validated: one run at a time (with an optional window), or a cron line in a zone. */
export type Timing =
  | { kind: 'once'; startAt: Date; startBefore: Date | null }
  | { kind: 'recurring'; cronLine: string; timeZone: string; maxIterations: number | null; endTime: Date | null };

export const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** A 422 naming the field and the rule, as the DDL argument checks answer. */
export function invalid(field: string, rule: string): AppError {
  return new AppError('INVALID_ARGUMENT', `${field}: ${rule}`, { httpStatus: 422, details: { fields: [{ field, rule }] } });
}

function parseInstant(value: string, field: string): Date {
  // Date.parse accepts more than ISO 8601 (e.g. "March 7"); require the ISO shape with a zone.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalid(field, 'must be an ISO 8601 date-time with a zone, e.g. 2026-03-29T02:30:00+02:00');
  }
  return new Date(value);
}

/** Validates timing input against `now`; throws 422 naming the field and the rule. */
export function parseTiming(input: TimingInput, now: Date, prefix = ''): Timing {
  const f = (name: string) => `${prefix}${name}`;
  if (input.scheduling && input.recurrence) throw invalid(f('scheduling'), 'give either scheduling or recurrence, not both');
  if (input.scheduling) {
    const startAt = parseInstant(input.scheduling.start_at, f('scheduling.start_at'));
    if (startAt.getTime() <= now.getTime()) throw invalid(f('scheduling.start_at'), `must be in the future (now is ${now.toISOString()})`);
    let startBefore: Date | null = null;
    if (input.scheduling.start_before !== undefined) {
      startBefore = parseInstant(input.scheduling.start_before, f('scheduling.start_before'));
      if (startBefore.getTime() <= startAt.getTime()) throw invalid(f('scheduling.start_before'), 'must be after start_at');
    }
    return { kind: 'once', startAt, startBefore };
  }
  if (input.recurrence) {
    const r = input.recurrence;
    if (r.cron_line === undefined || r.cron_line.trim() === '') throw invalid(f('recurrence.cron_line'), 'is required');
    if (r.time_zone === undefined || r.time_zone === '') throw invalid(f('recurrence.time_zone'), 'is required: an IANA time zone name such as Europe/Berlin');
    const cronProblem = cronLineProblem(r.cron_line);
    if (cronProblem) throw invalid(f('recurrence.cron_line'), cronProblem);
    const zoneProblem = timeZoneProblem(r.time_zone);
    if (zoneProblem) throw invalid(f('recurrence.time_zone'), zoneProblem);
    if (r.max_iterations !== undefined && (!Number.isInteger(r.max_iterations) || r.max_iterations < 1)) throw invalid(f('recurrence.max_iterations'), 'must be a whole number of at least 1');
    let endTime: Date | null = null;
    if (r.end_time !== undefined) {
      endTime = parseInstant(r.end_time, f('recurrence.end_time'));
      if (endTime.getTime() <= now.getTime()) throw invalid(f('recurrence.end_time'), `must be after the start (now, ${now.toISOString()})`);
    }
    const timing: Timing = { kind: 'recurring', cronLine: r.cron_line.trim().replace(/\s+/g, ' '), timeZone: r.time_zone, maxIterations: r.max_iterations ?? null, endTime };
    if (!nextOccurrence(recurrenceOf(timing), now)) {
      throw invalid(f('recurrence.cron_line'), endTime ? 'has no occurrence before end_time' : 'never matches a date');
    }
    return timing;
  }
  throw invalid(f('scheduling'), 'give scheduling (one run) or recurrence (a cron line)');
}

export function recurrenceOf(t: { cronLine: string; timeZone: string; endTime: Date | null }): Recurrence {
  return { cronLine: t.cronLine, timeZone: t.timeZone, endTime: t.endTime };
}

export function timingOf(s: ScheduleEntity): Timing {
  return s.cronLine && s.timeZone
    ? { kind: 'recurring', cronLine: s.cronLine, timeZone: s.timeZone, maxIterations: s.maxIterations, endTime: s.endTime }
    : { kind: 'once', startAt: s.startAt, startBefore: s.startBefore };
}

export function timingFields(t: Timing, now: Date): Pick<ScheduleEntity, 'startAt' | 'startBefore' | 'cronLine' | 'timeZone' | 'maxIterations' | 'endTime'> {
  return t.kind === 'once'
    ? { startAt: t.startAt, startBefore: t.startBefore, cronLine: null, timeZone: null, maxIterations: null, endTime: null }
    : { startAt: now, startBefore: null, cronLine: t.cronLine, timeZone: t.timeZone, maxIterations: t.maxIterations, endTime: t.endTime };
}

/** The next occurrence strictly after `after` with the iteration budget left, or null. */
export function nextOf(s: Pick<ScheduleEntity, 'cronLine' | 'timeZone' | 'endTime' | 'maxIterations' | 'startAt'>, iterations: number, after: Date): Date | null {
  if (s.maxIterations !== null && iterations >= s.maxIterations) return null;
  if (!s.cronLine || !s.timeZone) return null;
  return nextOccurrence({ cronLine: s.cronLine, timeZone: s.timeZone, endTime: s.endTime }, after);
}

/** Where a schedule's next occurrence is when it is (re-)enabled or re-timed at `now`. */
export function upcoming(s: ScheduleEntity, now: Date): Date | null {
  const t = timingOf(s);
  // A one-time schedule keeps its time even when it passed: firing decides run or missed by its window.
  if (t.kind === 'once') return s.iterations > 0 ? null : s.startAt;
  return nextOf(s, s.iterations, now);
}

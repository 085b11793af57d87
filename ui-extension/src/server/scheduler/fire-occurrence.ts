import type { RemoteActionEntity } from '../jobs/remote-action.entity';
import type { NewScheduleRun } from './schedule.repository';
import type { ScheduleEntity } from './schedule.entity';
import { nextOf } from './schedule-timing';

/** What one `runDue` pass did. */
export interface FireStats { fired: number; missed: number; refused: number; failed: number; cancelled: number; claimed: number }

/** Missed occurrences recorded one row each, per firing; a longer outage is summed up in the last row. */
const MISSED_ROWS_MAX = 100;
/** Occurrences walked to catch up after downtime; past this the rest are counted without a row each. */
const CATCH_UP_MAX = 10_000;

/** One claimed schedule's firing: the occurrences that passed, and what becomes of the latest. */
export interface Firing {
  s: ScheduleEntity;
  action: RemoteActionEntity;
  passed: Date[];
  latest: Date;
  overflow: boolean;
  /** The pending job, still `scheduled` and held by this transaction. */
  pendingJobId: number | null;
  launch: boolean;
  fired: boolean;
  consumedPending: boolean;
}

/** Records one occurrence's run row (fired, missed, refused, failed or cancelled). */
export type RunRecorder = (s: ScheduleEntity, at: Date, state: NewScheduleRun['state'], jobId: number | null, reason: string | null) => void;

/**
 * Decides what becomes of one claimed schedule's passed occurrences. Occurrences that passed
 * while nobody fired them are caught up: only the latest may still run (inside its start window),
 * the earlier ones are recorded missed, so an outage never turns into a burst of runs.
 */
export function decide(s: ScheduleEntity, action: RemoteActionEntity, pendingState: string | undefined, now: Date, run: RunRecorder, stats: FireStats, startWindowS: number): Firing {
  const passed: Date[] = [s.nextRunAt!];
  // After a very long outage the walk stops; everything passed is missed and the schedule resumes after now.
  let overflow = false;
  if (s.cronLine) {
    for (;;) {
      const n = nextOf(s, s.iterations + passed.length, passed[passed.length - 1]);
      if (!n || n.getTime() > now.getTime()) break;
      if (passed.length >= CATCH_UP_MAX) {
        overflow = true;
        break;
      }
      passed.push(n);
    }
  }
  const latest = passed[passed.length - 1];
  const missedBefore = overflow ? passed : passed.slice(0, -1);
  missedBefore.slice(0, MISSED_ROWS_MAX).forEach((at, i, shown) => {
    const more = missedBefore.length - shown.length;
    run(s, at, 'missed', null, i === shown.length - 1 && (more > 0 || overflow)
      ? `not run while no ui-extension was firing schedules; ${more}${overflow ? ' or more' : ''} later occurrences until ${now.toISOString()} were missed too`
      : 'not run while no ui-extension was firing schedules; only the latest passed occurrence may still run');
  });
  stats.missed += missedBefore.length;

  const firing: Firing = { s, action, passed, latest, overflow, pendingJobId: s.nextJobId !== null && pendingState === 'scheduled' ? s.nextJobId : null, launch: false, fired: false, consumedPending: false };
  const windowEnd = s.cronLine ? new Date(latest.getTime() + startWindowS * 1000) : s.startBefore;
  if (overflow) return firing;
  if (s.nextJobId !== null && pendingState === 'cancelled') {
    run(s, latest, 'cancelled', s.nextJobId, 'its scheduled job was cancelled before it was due');
    firing.consumedPending = true;
    stats.cancelled += 1;
  } else if (windowEnd && now.getTime() > windowEnd.getTime()) {
    run(s, latest, 'missed', null, s.cronLine
      ? `could not start within ${startWindowS} s of its time (started at ${now.toISOString()})`
      : `could not start before start_before ${windowEnd.toISOString()}`);
    stats.missed += 1;
  } else {
    firing.launch = true;
  }
  return firing;
}

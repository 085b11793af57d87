import type { Schedule, ScheduleDetail, ScheduleOccurrence } from '@common/schedules';
import { coversAction, requirePermission, type CurrentUser } from '../auth/abilities';
import { occurrencesBetween } from './recurrence';
import type { ScheduleContext } from './schedule-context';
import { listScheduleDefinitions } from './schedule-definitions';
import type { ScheduleEntity } from './schedule.entity';
import { invalid, recurrenceOf } from './schedule-timing';

/** `GET schedules?from=&to=`: the default and largest range, and the most entries computed. */
export const OCCURRENCE_DEFAULT_DAYS = 7;
export const OCCURRENCE_MAX_DAYS = 92;
export const OCCURRENCE_MAX_ENTRIES = 10_000;
const DAY_MS = 86_400_000;

/** Reading schedules: one in detail, the calendar of occurrences, and the list of definitions. */
export function createScheduleQueries(ctx: ScheduleContext) {
  const { deps, access, visible, detail, toSchedule, subjectOf } = ctx;
  const { repo, clock } = deps;

  return {
    async get(user: CurrentUser, id: number): Promise<ScheduleDetail> {
      await visible(user, id);
      return detail(id);
    },

    /** Every occurrence in `[from, to]` of enabled schedules, in time order, at most OCCURRENCE_MAX_ENTRIES. */
    async occurrences(user: CurrentUser, range: { from?: Date; to?: Date }): Promise<{ from: Date; to: Date; results: ScheduleOccurrence[] }> {
      requirePermission(user, 'view_jobs', 'listing schedules');
      const from = range.from ?? clock();
      const to = range.to ?? new Date(from.getTime() + OCCURRENCE_DEFAULT_DAYS * DAY_MS);
      if (to.getTime() < from.getTime()) throw invalid('to', 'must not be before from');
      if (to.getTime() - from.getTime() > OCCURRENCE_MAX_DAYS * DAY_MS) throw invalid('to', `must be at most ${OCCURRENCE_MAX_DAYS} days after from`);
      const rows = await repo.listUpcoming(to);
      const actions = await repo.actionsByIds([...new Set(rows.map((r) => r.remoteActionId))]);
      const entries: Array<{ at: Date; s: ScheduleEntity }> = [];
      // Schedules with the same owner, action and targeting read the same (their runs resolve it through the owner's view): one check each.
      const readable = new Map<string, Promise<boolean>>();
      for (const s of rows) {
        const action = actions.get(s.remoteActionId);
        if (!action || !coversAction(user, 'view_jobs', action.namespace, action.action)) continue;
        const subject = subjectOf(s, action);
        const key = JSON.stringify([s.ownerId, subject.namespace, subject.action, subject.targeting]);
        if (!readable.has(key)) readable.set(key, access.canRead(user, subject));
        if (!(await readable.get(key))) continue;
        const first = s.nextRunAt!;
        if (!s.cronLine || !s.timeZone) {
          if (first.getTime() >= from.getTime() && first.getTime() <= to.getTime()) entries.push({ at: first, s });
          continue;
        }
        const left = s.maxIterations === null ? OCCURRENCE_MAX_ENTRIES : Math.min(OCCURRENCE_MAX_ENTRIES, s.maxIterations - s.iterations);
        // With an iteration budget the walk starts at the next occurrence, so the budget counts right.
        const start = s.maxIterations === null && first.getTime() < from.getTime() ? from : first;
        const list = occurrencesBetween(recurrenceOf({ cronLine: s.cronLine, timeZone: s.timeZone, endTime: s.endTime }), start, to, left);
        for (const at of list) if (at.getTime() >= from.getTime()) entries.push({ at, s });
      }
      entries.sort((a, b) => a.at.getTime() - b.at.getTime() || a.s.id - b.s.id);
      const shown = entries.slice(0, OCCURRENCE_MAX_ENTRIES);
      const cache = new Map<number, Schedule>();
      const results = shown.map(({ at, s }) => {
        let schedule = cache.get(s.id);
        if (!schedule) cache.set(s.id, (schedule = toSchedule(s, actions.get(s.remoteActionId)!)));
        return { at: at.toISOString(), schedule_id: s.id, schedule };
      });
      return { from, to, results };
    },

    /** Every schedule the user may read, with its state, next occurrences and last run (schedule-definitions.ts). */
    definitions: (user: CurrentUser, page: { page: number; perPage: number }) => listScheduleDefinitions({ repo, access, toSchedule, subjectOf }, user, page),
  };
}

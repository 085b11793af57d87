import { createScheduleChanges } from './change-schedule';
import { createScheduleCreation } from './create-schedule';
import { createScheduleFiring } from './fire-due-schedules';
import { createScheduleContext, type ScheduleServiceDeps } from './schedule-context';
import { createScheduleQueries } from './schedule-queries';

export type { ScheduleJobOptions, ScheduleServiceDeps } from './schedule-context';
export type { ScheduleUpdate } from './change-schedule';
export type { FireStats } from './fire-occurrence';
export { OCCURRENCE_DEFAULT_DAYS, OCCURRENCE_MAX_DAYS, OCCURRENCE_MAX_ENTRIES } from './schedule-queries';
export { parseTiming, type TimingInput } from './schedule-timing';

/**
 * Schedules: create (create-schedule.ts), read and list occurrences (schedule-queries.ts), update,
 * enable, disable and delete (change-schedule.ts), and fire what is due (fire-due-schedules.ts,
 * `runDue`, which the waker calls). Each use case is its own file over one shared context
 * (schedule-context.ts); this factory only puts them together, so callers see one service.
 */
export function createScheduleService(deps: ScheduleServiceDeps) {
  const ctx = createScheduleContext(deps);
  return {
    ...createScheduleCreation(ctx),
    ...createScheduleQueries(ctx),
    ...createScheduleChanges(ctx),
    ...createScheduleFiring(ctx),
  };
}

export type ScheduleService = ReturnType<typeof createScheduleService>;

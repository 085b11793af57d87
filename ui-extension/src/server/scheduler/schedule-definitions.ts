import { UPCOMING_SHOWN, type Schedule, type ScheduleDefinition, type ScheduleDefinitionState, type ScheduleRun } from '@common/schedules';
import { coversAction, requirePermission, type CurrentUser } from '../auth/abilities';
import type { RemoteActionEntity } from '../jobs/remote-action.entity';
import { occurrencesBetween } from './recurrence';
import type { ScheduleAccess, ScheduleSubject } from './schedule-access';
import type { ScheduleEntity } from './schedule.entity';
import type { ScheduleRepository, StoredRun } from './schedule.repository';

/** A stored run as the API shows it: a fired or cancelled run by its job's state now. */
export function toScheduleRun({ run, jobState }: StoredRun): ScheduleRun {
  return {
    at: run.occurrenceAt.toISOString(),
    state: run.state === 'fired' || run.state === 'cancelled' ? jobState ?? (run.state === 'fired' ? 'queued' : 'cancelled') : run.state,
    job_id: run.jobId,
    reason: run.reason,
    recorded_at: run.recordedAt.toISOString(),
  };
}

/** Foreman's recurring logic state: disabled when switched off, finished when no occurrence is left. */
export function definitionState(s: Pick<ScheduleEntity, 'enabled' | 'nextRunAt'>): ScheduleDefinitionState {
  if (!s.enabled) return 'disabled';
  return s.nextRunAt === null ? 'finished' : 'active';
}

/** The next occurrences from the stored next one, within the iteration budget and end time. */
export function upcomingOf(s: Pick<ScheduleEntity, 'enabled' | 'nextRunAt' | 'cronLine' | 'timeZone' | 'endTime' | 'maxIterations' | 'iterations'>, limit = UPCOMING_SHOWN): Date[] {
  if (!s.enabled || s.nextRunAt === null) return [];
  if (!s.cronLine || !s.timeZone) return [s.nextRunAt];
  const left = s.maxIterations === null ? limit : Math.max(0, Math.min(limit, s.maxIterations - s.iterations));
  if (left === 0) return [];
  // From the stored next occurrence (the one the pending job stands for), included.
  return occurrencesBetween({ cronLine: s.cronLine, timeZone: s.timeZone, endTime: s.endTime }, s.nextRunAt, s.endTime ?? new Date(8.64e15), left);
}

/** Active schedules first, soonest next run first; then the others, newest first. */
function byNextRun(a: ScheduleEntity, b: ScheduleEntity): number {
  const an = a.enabled && a.nextRunAt ? a.nextRunAt.getTime() : null;
  const bn = b.enabled && b.nextRunAt ? b.nextRunAt.getTime() : null;
  if (an !== null && bn !== null) return an - bn || a.id - b.id;
  if (an !== null) return -1;
  if (bn !== null) return 1;
  return b.id - a.id;
}

export interface ScheduleDefinitionsDeps {
  repo: Pick<ScheduleRepository, 'listAll' | 'actionsByIds' | 'lastRuns'>;
  access: Pick<ScheduleAccess, 'canRead'>;
  toSchedule(s: ScheduleEntity, action: RemoteActionEntity): Schedule;
  subjectOf(s: ScheduleEntity, action: RemoteActionEntity): ScheduleSubject;
}

/**
 * `GET schedule_definitions`: every schedule the user may read (the rule `GET schedules/:id`
 * applies, schedule-access.ts `canRead`), enabled or not, ordered by next run, paged after the
 * access check so totals count only what the user sees. The page's schedules get their upcoming
 * occurrences and last run; the calendar of occurrences stays `GET schedules?from=&to=`.
 */
export async function listScheduleDefinitions(deps: ScheduleDefinitionsDeps, user: CurrentUser, page: { page: number; perPage: number }): Promise<{ total: number; subtotal: number; results: ScheduleDefinition[] }> {
  requirePermission(user, 'view_jobs', 'listing schedules');
  const rows = await deps.repo.listAll();
  const actions = await deps.repo.actionsByIds([...new Set(rows.map((r) => r.remoteActionId))]);
  // Schedules with the same owner, action and targeting read the same (their runs resolve it through the owner's view): one check each.
  const readable = new Map<string, Promise<boolean>>();
  const visible: ScheduleEntity[] = [];
  for (const s of rows) {
    const action = actions.get(s.remoteActionId);
    if (!action || !coversAction(user, 'view_jobs', action.namespace, action.action)) continue;
    const subject = deps.subjectOf(s, action);
    const key = JSON.stringify([s.ownerId, subject.namespace, subject.action, subject.targeting]);
    if (!readable.has(key)) readable.set(key, deps.access.canRead(user, subject));
    if (await readable.get(key)) visible.push(s);
  }
  visible.sort(byNextRun);
  const shown = visible.slice((page.page - 1) * page.perPage, page.page * page.perPage);
  const lastRuns = await deps.repo.lastRuns(shown.map((s) => s.id));
  const results = shown.map((s): ScheduleDefinition => {
    const last = lastRuns.get(s.id);
    return {
      ...deps.toSchedule(s, actions.get(s.remoteActionId)!),
      state: definitionState(s),
      upcoming: upcomingOf(s).map((d) => d.toISOString()),
      last_run: last ? toScheduleRun(last) : null,
    };
  });
  return { total: visible.length, subtotal: visible.length, results };
}

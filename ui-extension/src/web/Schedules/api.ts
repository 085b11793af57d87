import type { Schedule, ScheduleDefinition, ScheduleDetail, ScheduleOccurrence } from '@common/schedules';
import { api, type ListEnvelope } from '../shared/http';

/** Occurrences of enabled schedules in [from, to], as `GET /remote_execution/schedules` lists them. */
export const occurrences = (q: { from: string; to: string; page: number; per_page: number }) => api<ListEnvelope<ScheduleOccurrence>>('GET', '/remote_execution/schedules', { query: q });
/** The schedules themselves (Foreman's recurring logics), soonest next run first. */
export const definitions = (q: { page: number; per_page: number }) => api<ListEnvelope<ScheduleDefinition>>('GET', '/remote_execution/schedule_definitions', { query: q });
/** One schedule with its most recent runs. */
export const scheduleDetail = (id: number) => api<ScheduleDetail>('GET', `/remote_execution/schedules/${id}`);
export const enableSchedule = (id: number) => api<Schedule>('POST', `/remote_execution/schedules/${id}/enable`);
export const disableSchedule = (id: number) => api<Schedule>('POST', `/remote_execution/schedules/${id}/disable`);
export const deleteSchedule = (id: number) => api<Schedule>('DELETE', `/remote_execution/schedules/${id}`);

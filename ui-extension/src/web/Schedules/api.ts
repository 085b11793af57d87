import type { Schedule, ScheduleOccurrence } from '@common/schedules';
import { api, type ListEnvelope } from '../shared/http';

/** Occurrences of enabled schedules in [from, to), as `GET /remote_execution/schedules` lists them. */
export const occurrences = (q: { from: string; to: string; page: number; per_page: number }) => api<ListEnvelope<ScheduleOccurrence>>('GET', '/remote_execution/schedules', { query: q });
export const enableSchedule = (id: number) => api<Schedule>('POST', `/remote_execution/schedules/${id}/enable`);
export const disableSchedule = (id: number) => api<Schedule>('POST', `/remote_execution/schedules/${id}/disable`);
export const deleteSchedule = (id: number) => api<Schedule>('DELETE', `/remote_execution/schedules/${id}`);

import { api, type ListEnvelope } from '../shared/http';

/**
 * A schedule as issue 6's API describes it (`/api/v2/remote_execution/schedules`). The fields the
 * screen reads are typed; the rest is passed through.
 */
export interface Schedule {
  id: number;
  enabled: boolean;
  namespace: string;
  action: string;
  arguments: Record<string, unknown>;
  targeting: { search?: string | null; host_ids?: number[] | null; hostgroup_id?: number | null };
  cron_line: string | null;
  time_zone: string | null;
  start_at: string | null;
  next_run_at: string | null;
  owner: string;
  description: string | null;
}

/** One upcoming run of a schedule. */
export interface Occurrence {
  at: string;
  schedule_id: number;
  schedule: Schedule;
}

export const occurrences = (q: { from: string; to: string; page: number; per_page: number }) => api<ListEnvelope<Occurrence>>('GET', '/remote_execution/schedules', { query: q });
export const enableSchedule = (id: number) => api<unknown>('POST', `/remote_execution/schedules/${id}/enable`);
export const disableSchedule = (id: number) => api<unknown>('POST', `/remote_execution/schedules/${id}/disable`);
export const deleteSchedule = (id: number) => api<unknown>('DELETE', `/remote_execution/schedules/${id}`);

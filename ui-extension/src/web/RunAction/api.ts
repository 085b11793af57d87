import type { CreateJobRequest, Job, Namespace, RemoteAction, Targeting } from '@common/jobs';
import { api, type ListEnvelope } from '../shared/http';

/** Schedules (issue 6): a job can start later, or recur by a cron line in a time zone. */
export interface Scheduling {
  start_at: string;
  start_before?: string;
}

export interface Recurrence {
  cron_line: string;
  time_zone: string;
  max_iterations?: number;
  end_time?: string;
}

export type CreateJobBody = CreateJobRequest['job'] & { scheduling?: Scheduling; recurrence?: Recurrence };

export const namespaces = (smartProxyId?: number) => api<ListEnvelope<Namespace>>('GET', '/remote_execution/namespaces', { query: { smart_proxy_id: smartProxyId } });

export const actionHistory = (namespace: string, action: string) =>
  api<ListEnvelope<RemoteAction>>('GET', '/remote_execution/actions', { query: { namespace, action, per_page: 20 } });

export const createJob = (job: CreateJobBody) => api<Job & { schedule_id?: number }>('POST', '/remote_execution/jobs', { body: { job } });

export type { Targeting };

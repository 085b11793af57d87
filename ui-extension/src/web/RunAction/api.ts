import type { CreateJobRequest, Job, Namespace, RemoteAction, Targeting } from '@common/jobs';
import { api, type ListEnvelope } from '../shared/http';

/** A job to run now, or later (`scheduling`) or recurring (`recurrence`): then it answers with its `schedule_id`. */
export type CreateJobBody = CreateJobRequest['job'];

export const namespaces = (smartProxyId?: number) => api<ListEnvelope<Namespace>>('GET', '/remote_execution/namespaces', { query: { smart_proxy_id: smartProxyId } });

export const actionHistory = (namespace: string, action: string) =>
  api<ListEnvelope<RemoteAction>>('GET', '/remote_execution/actions', { query: { namespace, action, per_page: 20 } });

export const createJob = (job: CreateJobBody) => api<Job>('POST', '/remote_execution/jobs', { body: { job } });

export type { Targeting };

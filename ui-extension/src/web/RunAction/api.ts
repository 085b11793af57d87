import type { JobPreview } from '@common/job-preview';
import type { CreateJobRequest, Job, Namespace, Targeting } from '@common/jobs';
import type { ArgumentHistoryEntry } from '@common/argument-history';
import { api, type ListEnvelope } from '../shared/http';

/** A job to run now, or later (`scheduling`) or recurring (`recurrence`): then it answers with its `schedule_id`. */
export type CreateJobBody = CreateJobRequest['job'];

export const namespaces = (smartProxyId?: number) => api<ListEnvelope<Namespace>>('GET', '/remote_execution/namespaces', { query: { smart_proxy_id: smartProxyId } });

/** The distinct arguments of earlier runs, newest first; `search` narrows them (`arguments ~ nginx`, or a bare word). */
export const actionHistory = (namespace: string, action: string, search: string) =>
  api<ListEnvelope<ArgumentHistoryEntry>>('GET', '/remote_execution/argument_history', { query: { namespace, action, search: search.trim() || undefined, per_page: 50 } });

export const createJob = (job: CreateJobBody) => api<Job>('POST', '/remote_execution/jobs', { body: { job } });

export type { Targeting };

/** What the job would run on now (hosts per smart proxy, skipped ones with reasons); stores nothing. */
export const previewJob = (job: CreateJobBody, signal?: AbortSignal) => api<JobPreview>('POST', '/remote_execution/jobs/preview', { body: { job }, query: { per_page: 10 }, signal });

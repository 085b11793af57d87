import type { JobPreview } from '@common/job-preview';
import type { HostState, Job, JobHost, JobStatus, PuppetRunOutcomeFilter, ReplayJobRequest } from '@common/jobs';
import type { HostgroupDto } from '@common/inventory';
import { api, type ListEnvelope } from '../shared/http';

/** The job; with `wait`, the server holds the request until the job's version passes `since`. */
export const getJob = (id: number, poll?: { since: number; wait: number }, signal?: AbortSignal) => api<JobStatus>('GET', `/remote_execution/jobs/${id}`, { query: poll, signal });

export const jobHosts = (id: number, q: { state?: HostState[]; outcome?: PuppetRunOutcomeFilter[]; search?: string; page: number; per_page: number }, signal?: AbortSignal) =>
  api<ListEnvelope<JobHost>>('GET', `/remote_execution/jobs/${id}/hosts`, { query: { ...q, state: q.state?.join(','), outcome: q.outcome?.join(',') }, signal });

export const replayJob = (id: number, body: ReplayJobRequest) => api<Job>('POST', `/remote_execution/jobs/${id}/replay`, { body });

/** What the replay would run on now; stores nothing. */
export const previewReplay = (id: number, body: ReplayJobRequest, signal?: AbortSignal) => api<JobPreview>('POST', `/remote_execution/jobs/${id}/replay/preview`, { body, query: { per_page: 10 }, signal });
export const cancelJob = (id: number) => api<Job>('POST', `/remote_execution/jobs/${id}/cancel`);
export const pauseJob = (id: number) => api<Job>('POST', `/remote_execution/jobs/${id}/pause`);
export const resumeJob = (id: number) => api<Job>('POST', `/remote_execution/jobs/${id}/resume`);
export const hostgroupChoices = () => api<ListEnvelope<HostgroupDto>>('GET', '/hostgroups', { query: { per_page: 1000 } });

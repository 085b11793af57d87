import type { Job } from '@common/jobs';
import { api, type ListEnvelope } from '../shared/http';

/** A job history: all jobs, or one object's (`/hosts/7`, `/hostgroups/3`, `/fact_names/os`, `/smart_proxies/2`). */
export const listJobs = (scope: string, q: { search?: string; from?: string; to?: string; page: number; per_page: number }, signal?: AbortSignal) =>
  api<ListEnvelope<Job>>('GET', `${scope}/remote_execution/jobs`, { query: q, signal });

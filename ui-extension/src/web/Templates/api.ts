import type { JobTemplateDto, RunTemplateRequest } from '@common/job-templates';
import type { Job } from '@common/jobs';
import { api, type ListEnvelope } from '../shared/http';

export const jobTemplates = () => api<ListEnvelope<JobTemplateDto>>('GET', '/job_templates');
export const runTemplate = (id: number, body: RunTemplateRequest) => api<Job>('POST', `/job_templates/${id}/run`, { body });

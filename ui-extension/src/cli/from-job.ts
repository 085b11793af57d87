import type { Job } from '@common/jobs';
import type { ApiClient } from './api-client';
import { enc } from './commands/common';
import { CliError, EXIT } from './exit-codes';

/** What the API stores in place of a sensitive value (server jobs/sensitive-arguments.ts). */
const SENSITIVE_MASK = '********';

/**
 * `rex job run NS ACTION --from-job ID`: the arguments job ID ran with, under the ones given on the
 * command line. The job must be of the same namespace and action; a sensitive value was never
 * stored, so it must be given again.
 */
export async function argumentsFromJob(api: ApiClient, jobId: string, namespace: string, action: string, given: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (!/^\d+$/.test(jobId)) throw new CliError(EXIT.USAGE, `--from-job: must be a job id (digits), got ${JSON.stringify(jobId)}`);
  const job = await api.get<Job>(`/remote_execution/jobs/${enc(jobId)}`);
  if (job.namespace !== namespace || job.action !== action) {
    throw new CliError(EXIT.USAGE, `--from-job: job ${job.id} ran ${job.namespace} ${job.action}, not ${namespace} ${action}`);
  }
  const merged: Record<string, unknown> = { ...job.arguments, ...given };
  const missing = Object.entries(merged).filter(([, v]) => v === SENSITIVE_MASK).map(([k]) => k);
  if (missing.length > 0) throw new CliError(EXIT.USAGE, `--from-job: job ${job.id}'s ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} sensitive and never stored; give ${missing.length === 1 ? 'it' : 'them'} again as key=value`);
  return merged;
}

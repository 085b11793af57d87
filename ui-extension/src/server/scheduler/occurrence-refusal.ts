import type { AppError } from '../errors';
import { isEmptyTargetingError } from '../jobs/job-preview';
import type { ScheduleRunOutcome } from './schedule-run.entity';

/**
 * How an occurrence whose job could not be made is recorded: `no_hosts` when its targeting matched
 * no host the owner may run on at fire time (issue #17: never a job that succeeds on nothing),
 * `refused` when the owner may no longer run it, `failed` otherwise; the reason says which.
 */
export function occurrenceRefusal(error: AppError): { state: Extract<ScheduleRunOutcome, 'no_hosts' | 'refused' | 'failed'>; reason: string } {
  if (isEmptyTargetingError(error)) return { state: 'no_hosts', reason: `no host to run on: ${error.message}` };
  if (error.code === 'PERMISSION_DENIED') return { state: 'refused', reason: `the owner may no longer run it: ${error.message}` };
  return { state: 'failed', reason: `the job could not be made: ${error.message}` };
}

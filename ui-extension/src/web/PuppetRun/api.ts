import type { Job, Targeting } from '@common/jobs';
import { api } from '../shared/http';

/** The puppet#runonce inputs the Run Puppet form sets; the DDL (and so the server) checks them. */
export interface PuppetRunArguments {
  noop?: boolean;
  tags?: string;
}

/** A host already applying a catalog: skip it (the server's default) or wait for that run to end, then run. */
export type PuppetIfRunning = 'skip' | 'wait';

/** `POST /hosts/:id/puppet_run`: the host page's quick action; answers the job (201). */
export const runPuppetOnHost = (hostId: number, args: PuppetRunArguments, ifRunning: PuppetIfRunning = 'skip') => api<Job>('POST', `/hosts/${hostId}/puppet_run`, { body: { arguments: args, ...(ifRunning === 'wait' ? { if_running: ifRunning } : {}) } });

/** `POST /remote_execution/puppet_run`: the hosts list's bulk action, on a selection or a whole search. */
export const runPuppet = (targeting: Targeting, args: PuppetRunArguments, ifRunning: PuppetIfRunning = 'skip') => api<Job>('POST', '/remote_execution/puppet_run', { body: { targeting, arguments: args, ...(ifRunning === 'wait' ? { if_running: ifRunning } : {}) } });

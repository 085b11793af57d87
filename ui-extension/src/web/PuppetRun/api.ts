import type { Job, Targeting } from '@common/jobs';
import { api } from '../shared/http';

/** The puppet#runonce inputs the Run Puppet form sets; the DDL (and so the server) checks them. */
export interface PuppetRunArguments {
  noop?: boolean;
  tags?: string;
}

/** `POST /hosts/:id/puppet_run`: the host page's quick action; answers the job (201). */
export const runPuppetOnHost = (hostId: number, args: PuppetRunArguments) => api<Job>('POST', `/hosts/${hostId}/puppet_run`, { body: { arguments: args } });

/** `POST /remote_execution/puppet_run`: the hosts list's bulk action, on a selection or a whole search. */
export const runPuppet = (targeting: Targeting, args: PuppetRunArguments) => api<Job>('POST', '/remote_execution/puppet_run', { body: { targeting, arguments: args } });

import type { Job, Targeting } from '@common/jobs';
import type { CurrentUser } from '../http/request-context';

/** The puppet agent's action a "Run Puppet" job runs (choria-plugins/puppet-agent, puppet#runonce). */
export const PUPPET_RUN = { namespace: 'puppet', action: 'runonce' } as const;

/**
 * Seconds a Puppet run job waits for its runs when the caller names no timeout. The proxy follows each
 * run to its end (issue 18), and real runs take minutes, not the one minute of jobs.default_timeout_s.
 */
export const PUPPET_RUN_DEFAULT_TIMEOUT_S = 1800;

/**
 * What a run does with a host whose agent is already applying a catalog ("run only if not already
 * running"): `skip` fails it as the agent would refuse it (the default), `wait` starts a run once
 * that one has ended, within the job's timeout. The proxy's runner does it (proxy-plugin
 * actions/puppet-run.runner.ts), from the runonce input `if_running` its DDL adds.
 */
export const PUPPET_IF_RUNNING = ['skip', 'wait'] as const;

/** runonce inputs a caller may set (the DDL checks them); `force` skips the agent's splay. */
export interface PuppetRunOptions {
  arguments?: Record<string, unknown>;
  /** Kept with the job's arguments as `if_running`, so a rerun or a schedule does the same. */
  if_running?: (typeof PUPPET_IF_RUNNING)[number];
  description?: string;
  concurrency_level?: number;
  batch_size?: number;
  timeout?: number;
}

export interface PuppetRunDeps {
  jobs: { create(user: CurrentUser, body: { namespace: string; action: string; arguments?: Record<string, unknown>; targeting: Targeting; description?: string; concurrency_level?: number; batch_size?: number; timeout?: number }): Promise<Job> };
  /** Finds the host as the user sees it (a host outside the user's scope is not found). */
  inventory: { getHost(user: CurrentUser, idOrName: string): Promise<{ id: number; name: string }> };
}

/**
 * On-demand Puppet runs: a normal job of puppet#runonce (validated, stored, dispatched and recorded
 * like any other), for one host (the host page's "Run Puppet") or for a targeting (the bulk action
 * and `rex puppet run`). "Run now" means now: `force` is on unless the caller sets it.
 */
export function createPuppetRunService(deps: PuppetRunDeps) {
  function body(targeting: Targeting, options: PuppetRunOptions, description: string) {
    const args: Record<string, unknown> = { force: true, ...(options.arguments ?? {}) };
    // `skip` is what the runner does without the input: stored only when it changes something.
    if (options.if_running === 'wait') args.if_running = 'wait';
    else if (options.if_running === 'skip') delete args.if_running;
    return {
      namespace: PUPPET_RUN.namespace,
      action: PUPPET_RUN.action,
      arguments: args,
      targeting,
      description: options.description ?? description,
      concurrency_level: options.concurrency_level,
      batch_size: options.batch_size,
      timeout: options.timeout ?? PUPPET_RUN_DEFAULT_TIMEOUT_S,
    };
  }
  return {
    async runOnHost(user: CurrentUser, idOrName: string, options: PuppetRunOptions = {}): Promise<Job> {
      const host = await deps.inventory.getHost(user, idOrName);
      return deps.jobs.create(user, body({ host_ids: [host.id] }, options, `Run Puppet on ${host.name}`));
    },
    async run(user: CurrentUser, targeting: Targeting, options: PuppetRunOptions = {}): Promise<Job> {
      return deps.jobs.create(user, body(targeting, options, 'Run Puppet'));
    },
  };
}

export type PuppetRunService = ReturnType<typeof createPuppetRunService>;

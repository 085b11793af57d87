/**
 * The outcome of a followed Puppet run (issue 18), as the proxy reports it in a puppet#runonce
 * host's reply data under `run` (proxy-plugin actions/puppet-run.runner.ts), and the job's tally of
 * them. Read from the stored reply, so jobs recorded before the proxy followed runs simply have none.
 */
import type { AggregateResult, HostCounts, JobHost, PuppetRunOutcome, PuppetRunOutcomeName } from '@common/jobs';
import { parseExact, toPlainNumbers } from '@protos/json-numbers';

import { PUPPET_RUN } from './puppet-run.service';

export const PUPPET_RUN_OUTCOMES: readonly PuppetRunOutcomeName[] = ['changed', 'unchanged', 'failed', 'noop_pending'];

const int = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isInteger(value) ? value : fallback);

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

export function isPuppetRun(namespace: string, action: string): boolean {
  return namespace === PUPPET_RUN.namespace && action === PUPPET_RUN.action;
}

/** The run's outcome from a host's reply data; null when the reply has none (the run did not finish). */
export function puppetRunOutcome(data: Record<string, unknown> | null): PuppetRunOutcome | null {
  const run = data?.run;
  if (typeof run !== 'object' || run === null) return null;
  // Stored replies are read with exact numbers (json-numbers.ts); the outcome's are plain counts.
  const r = toPlainNumbers(run) as Record<string, unknown>;
  if (!PUPPET_RUN_OUTCOMES.includes(r.outcome as PuppetRunOutcomeName)) return null;
  return {
    outcome: r.outcome as PuppetRunOutcomeName,
    changed_resources: int(r.changed_resources, -1),
    failed_resources: int(r.failed_resources, -1),
    out_of_sync_resources: int(r.out_of_sync_resources, -1),
    total_resources: int(r.total_resources, 0),
    run_time: typeof r.run_time === 'number' ? r.run_time : 0,
    config_version: typeof r.config_version === 'string' ? r.config_version : '',
    environment: typeof r.environment === 'string' ? r.environment : null,
    noop: r.noop === true,
    failed_resource_titles: strings(r.failed_resource_titles),
    changed_resource_titles: strings(r.changed_resource_titles),
  };
}

/** A job host with its run outcome, for puppet#runonce jobs. */
export function withPuppetRun<T extends JobHost>(host: T): T & { puppet_run: PuppetRunOutcome | null } {
  return { ...host, puppet_run: puppetRunOutcome(host.data) };
}

/**
 * The job's aggregate of run outcomes, as `puppet job show` counts nodes: hosts whose run changed
 * something, changed nothing, had failed resources, or (noop) found resources to change; `not_run`
 * counts hosts without a finished run (agent disabled or busy, no reply, run never finished).
 */
export function puppetRunAggregate(totalHosts: number, replies: Iterable<Record<string, unknown>>): AggregateResult {
  const value: Record<string, number> = { changed: 0, unchanged: 0, failed: 0, noop_pending: 0, not_run: 0 };
  let counted = 0;
  for (const data of replies) {
    const outcome = puppetRunOutcome(data);
    if (!outcome) continue;
    value[outcome.outcome]++;
    counted++;
  }
  value.not_run = Math.max(0, totalHosts - counted);
  return { function: 'puppet_run', output: 'run', display_as: 'Puppet Run Outcome', value };
}

/** The job's aggregates beyond the DDL's when it is done: the run outcomes of a puppet#runonce job, none otherwise. */
export async function puppetRunAggregates(namespace: string, action: string, counts: HostCounts, repliedData: () => Promise<string[]>): Promise<AggregateResult[]> {
  if (!isPuppetRun(namespace, action)) return [];
  const ran = Object.entries(counts).reduce((n, [state, count]) => (state === 'skipped' ? n : n + count), 0);
  return [puppetRunAggregate(ran, (await repliedData()).map((d) => parseExact(d) as Record<string, unknown>))];
}

/**
 * Runs `puppet#runonce` to its end, as PE's orchestrator does: a host's result is the outcome of the
 * Puppet run it started, not the agent's "run requested". Per batch:
 *   1. `puppet#status`: a disabled agent or one already applying a catalog is not asked to run; it
 *      ends failed with a reason that says which (the agent would refuse runonce anyway, in words
 *      that do not carry the disable message as plainly). With the rex input `if_running: wait`, a
 *      host already applying is watched instead (the polls of step 3) and asked to run as soon as
 *      that run has ended; one still applying when the time is up ends failed, not started.
 *   2. `puppet#runonce` to the idle hosts, with the caller's arguments (`if_running` is rex's own
 *      and is not sent: the agent's DDL has no such input).
 *   3. `puppet#status` every `statusIntervalMs` until the host is not applying and its last run is
 *      the one requested (its `lastrun` is at or after runonce's `initiated_at`, and newer than the
 *      run before the request, unless the host was seen applying since), then
 *      `puppet#last_run_summary`. The host ends with the runonce reply plus `run`: the run's outcome.
 *   4. A host whose run has not ended when the time is up stays silent and ends no_response with a
 *      reason saying whether its run was still applying or never started.
 *
 * Why the proxy follows the run and not the ui-extension: the run is one execution, so everything
 * the execution already guarantees holds for it unchanged: the job's deadline and timeout bound the
 * whole run, cancel stops the polling, batches and the rollout wait for runs to end (a rollout of
 * Puppet runs means "N nodes applying at a time", as PE's concurrency does), and a ui-extension that
 * restarts mid-run catches up with GetResults instead of losing the follow-up. The polls are cheap
 * directed requests on the broker the proxy already holds; done from the ui-extension, each poll
 * would be a job-sized gRPC round trip and the host would have to be recorded succeeded, then
 * re-opened. Puppet Tasks (tasks/task-runner.ts) are followed here for the same reasons.
 */
import type { BrokerClient, NodeReply, RpcRequest } from '@proxy/broker/broker-client';
import type { Logger } from '@proxy/logger';

import type { AgentSpec } from './ddl-registry';

import { realSleep, type ActionRunner, type RunnerCall, type Sleep } from './executions';

export const PUPPET_AGENT = 'puppet';

/**
 * The runonce input rex adds to the puppet agent's DDL ("run only if not already running", as PE
 * offers it): `skip` (the default) fails a host already applying a catalog without asking it to run;
 * `wait` waits for that run to end, then starts one, within the job's timeout. It is in the DDL the
 * proxy serves, so the ui-extension and the proxy validate it as any input (a 422 naming it), and
 * it is kept with the job's arguments (replays, schedules, templates); it never reaches the node.
 */
export const IF_RUNNING_INPUT = 'if_running';
export const IF_RUNNING_VALUES = ['skip', 'wait'] as const;

/** The puppet agent's DDL with runonce's `if_running` input; other agents unchanged. */
export function withPuppetRunInputs(spec: AgentSpec): AgentSpec {
  const runonce = spec.metadata.name === PUPPET_AGENT ? spec.actions.get('runonce') : undefined;
  if (!runonce || runonce.inputs.has(IF_RUNNING_INPUT)) return spec;
  const inputs = new Map(runonce.inputs);
  inputs.set(IF_RUNNING_INPUT, {
    name: IF_RUNNING_INPUT,
    type: 'list',
    optional: true,
    list: [...IF_RUNNING_VALUES],
    prompt: 'If already running',
    description: 'A host whose agent is already applying a catalog: skip it (the default), or wait for that run to end and then start one, within the job timeout (rex; not sent to the node)',
    sensitive: false,
  });
  return { ...spec, actions: new Map([...spec.actions, ['runonce', { ...runonce, inputs }]]) };
}

export interface PuppetRunRunnerDeps {
  broker: BrokerClient;
  logger: Logger;
  /** Milliseconds between puppet#status polls of running hosts. */
  statusIntervalMs: number;
  now?: () => number;
  sleep?: Sleep;
}

/**
 * What a finished run did, from `last_run_summary` (the field names of the rex API).
 * Counts are -1 when the agent did not report them (its DDL default).
 */
export interface PuppetRunOutcome {
  /** changed, unchanged, failed or noop_pending (a noop run that found resources out of sync). */
  outcome: 'changed' | 'unchanged' | 'failed' | 'noop_pending';
  changed_resources: number;
  failed_resources: number;
  out_of_sync_resources: number;
  corrected_resources: number;
  total_resources: number;
  /** Seconds the run took (last_run_summary's total_time). */
  run_time: number;
  config_version: string;
  environment: string | null;
  noop: boolean;
  /** When the run's catalog was applied (the agent's lastrun, Unix seconds). */
  last_run: number;
  /** Resources whose events failed (`File[/etc/x]`), from the run's log; at most MAX_TITLES. */
  failed_resource_titles: string[];
  /** Resources the run changed, from the run's log; at most MAX_TITLES. */
  changed_resource_titles: string[];
}

/** Titles kept per list: enough to act on, bounded however large the catalog. */
export const MAX_TITLES = 50;

/** The last `Type[title]` of a log source such as `/Stage[main]/Profile::Base/File[/etc/motd]/content`. */
function resourceOf(source: string): string | undefined {
  const matches = [...source.matchAll(/([A-Z][A-Za-z0-9_]*(?:::[A-Z][A-Za-z0-9_]*)*)\[((?:[^\]\\]|\\.)*)\]/g)];
  const last = matches.filter((m) => m[1] !== 'Stage' && m[1] !== 'Class' && m[1] !== 'Node').pop();
  return last ? `${last[1]}[${last[2]}]` : undefined;
}

/** Failed and changed resource titles from last_run_summary's `logs` (err events fail a resource; notice events change it). */
function resourceTitles(logs: unknown): { failed: string[]; changed: string[] } {
  const failed = new Set<string>();
  const changed = new Set<string>();
  for (const entry of Array.isArray(logs) ? logs : []) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { level, source } = entry as { level?: unknown; source?: unknown };
    const resource = typeof source === 'string' ? resourceOf(source) : undefined;
    if (!resource) continue;
    if (level === 'err' || level === 'alert' || level === 'emerg' || level === 'crit') failed.add(resource);
    else if (level === 'notice') changed.add(resource);
  }
  for (const title of failed) changed.delete(title);
  return { failed: [...failed].slice(0, MAX_TITLES), changed: [...changed].slice(0, MAX_TITLES) };
}

/** Choria nodes refuse requests whose TTL has passed; 60 s is the Go client's default. */
const STEP_TTL_SECONDS = 60;
/** How long one status / summary request waits for replies at most (the puppet DDL's timeout). */
const STEP_TIMEOUT_MS = 20_000;

const num = (value: unknown, fallback = -1): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);

/** The outcome of a finished run from its last_run_summary data; `requestedNoop` when the summary does not say. */
export function runOutcome(summary: Record<string, unknown>, requestedNoop: boolean): PuppetRunOutcome {
  const nested = typeof summary.summary === 'object' && summary.summary !== null ? (summary.summary as Record<string, unknown>) : {};
  const events = typeof nested.events === 'object' && nested.events !== null ? (nested.events as Record<string, unknown>) : {};
  const changed = num(summary.changed_resources);
  const failed = num(summary.failed_resources);
  const outOfSync = num(summary.out_of_sync_resources);
  const noopEvents = num(events.noop, 0);
  const noop = typeof nested.noop === 'boolean' ? nested.noop : requestedNoop;
  const titles = resourceTitles(summary.logs);
  const outcome = failed > 0 ? 'failed' : changed > 0 ? 'changed' : (noop && outOfSync > 0) || noopEvents > 0 ? 'noop_pending' : 'unchanged';
  return {
    outcome,
    changed_resources: changed,
    failed_resources: failed,
    out_of_sync_resources: outOfSync,
    corrected_resources: num(summary.corrected_resources),
    total_resources: num(summary.total_resources, 0),
    run_time: num(summary.total_time, 0),
    config_version: typeof summary.config_version === 'string' ? summary.config_version : String(summary.config_version ?? ''),
    environment: typeof nested.environment === 'string' ? nested.environment : null,
    noop,
    last_run: num(summary.lastrun, 0),
    failed_resource_titles: titles.failed,
    changed_resource_titles: noop ? [] : titles.changed,
  };
}

function refusal(identity: string, statusmsg: string, data: Record<string, unknown>, receivedAtMs: number): NodeReply {
  return { identity, statuscode: 1, statusmsg, data, receivedAtMs };
}

interface Following {
  /** runonce's reply data (summary, initiated_at). */
  started: Record<string, unknown>;
  initiatedAt: number;
  lastRunBefore: number;
  sawApplying: boolean;
  applying: boolean;
}

export function createPuppetRunRunner(deps: PuppetRunRunnerDeps): ActionRunner {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const log = deps.logger.child({ component: 'puppet-run-runner' });

  async function step(call: RunnerCall, action: string, data: Record<string, unknown>, identities: string[], timeoutMs: number): Promise<{ requestId: string; replies: Map<string, NodeReply> }> {
    const replies = new Map<string, NodeReply>();
    const request: RpcRequest = { agent: PUPPET_AGENT, action, data, collective: call.collective, callerid: call.callerid, ttlSeconds: STEP_TTL_SECONDS };
    const result = await deps.broker.callDirected({ request, identities, onReply: (reply) => replies.set(reply.identity, reply), signal: call.signal, timeoutMs });
    return { requestId: result.requestId, replies };
  }

  return {
    brokerAgent: PUPPET_AGENT,

    async run(call) {
      const deadline = now() + call.timeoutSeconds * 1000;
      const left = (): number => Math.max(0, deadline - now());
      const stepTimeout = (): number => Math.max(1, Math.min(STEP_TIMEOUT_MS, left()));
      const requestIds: string[] = [];
      const silentReasons = new Map<string, string>();

      if (call.action !== 'runonce') {
        // Every other puppet action is one request, as without a runner.
        const request: RpcRequest = { agent: PUPPET_AGENT, action: call.action, data: call.data, collective: call.collective, callerid: call.callerid, ttlSeconds: Math.max(STEP_TTL_SECONDS, call.timeoutSeconds) };
        const result = await deps.broker.callDirected({ request, identities: call.identities, onReply: call.onReply, signal: call.signal, timeoutMs: left() });
        return { requestIds: [result.requestId], silentReasons };
      }
      const { [IF_RUNNING_INPUT]: ifRunning, ...runData } = call.data;
      const requestedNoop = call.data.noop === true;
      const tag = { executionId: call.executionId, hosts: call.identities.length };
      /** Hosts applying a run begun before the request, for `if_running: wait`: identity -> their status. */
      const waiting = new Map<string, Record<string, unknown>>();

      // 1. Who can run now.
      const before = await step(call, 'status', {}, call.identities, stepTimeout());
      requestIds.push(before.requestId);
      const idle: string[] = [];
      const lastRunBefore = new Map<string, number>();
      for (const identity of call.identities) {
        const reply = before.replies.get(identity);
        if (!reply) {
          silentReasons.set(identity, 'asked for its puppet agent status; no reply before the timeout');
          continue;
        }
        if (reply.statuscode !== 0) call.onReply(reply);
        else if (reply.data.enabled === false) {
          call.onReply(refusal(identity, `puppet agent disabled: ${String(reply.data.disable_message ?? '')}`, { outcome: 'disabled', status: reply.data }, reply.receivedAtMs));
        } else if (reply.data.applying === true && ifRunning === 'wait') {
          waiting.set(identity, reply.data);
        } else if (reply.data.applying === true) {
          call.onReply(refusal(identity, 'puppet agent already applying a catalog: not started', { outcome: 'already_applying', status: reply.data }, reply.receivedAtMs));
        } else {
          idle.push(identity);
          lastRunBefore.set(identity, num(reply.data.lastrun, 0));
        }
      }
      if ((idle.length === 0 && waiting.size === 0) || call.signal.aborted) return { requestIds, silentReasons };

      // 2. Start the runs.
      const following = new Map<string, Following>();
      const startRuns = async (identities: string[]): Promise<void> => {
        const start = await step(call, 'runonce', runData, identities, stepTimeout());
        requestIds.push(start.requestId);
        for (const identity of identities) {
          const reply = start.replies.get(identity);
          if (!reply) silentReasons.set(identity, 'asked to run puppet; no reply before the timeout');
          else if (reply.statuscode !== 0) call.onReply(reply);
          else following.set(identity, { started: reply.data, initiatedAt: num(reply.data.initiated_at, 0), lastRunBefore: lastRunBefore.get(identity) ?? 0, sawApplying: false, applying: false });
        }
      };
      if (idle.length > 0) await startRuns(idle);
      log.info({ ...tag, started: following.size, waiting: waiting.size }, 'puppet runs started');

      // 3. Follow each run until it has ended, then read its summary.
      const finished = (f: Following, status: Record<string, unknown>): boolean => {
        const applying = status.applying === true;
        const lastRun = num(status.lastrun, 0);
        f.applying = applying;
        if (applying) {
          f.sawApplying = true;
          // Applying again, but a run ended since the request: that was ours (the agent refuses runonce
          // while applying, so no other run came between), and the one applying now is another
          // caller's (an `if_running: wait` job started it as ours ended). Its summary is still ours.
          return lastRun >= f.initiatedAt && lastRun > f.lastRunBefore;
        }
        return lastRun >= f.initiatedAt && (lastRun > f.lastRunBefore || f.sawApplying || f.lastRunBefore < f.initiatedAt);
      };
      let first = true;
      while ((following.size > 0 || waiting.size > 0) && !call.signal.aborted && left() > 0) {
        // The first look comes at once: a short run may be over already.
        if (!first) await sleep(Math.min(deps.statusIntervalMs, left()), call.signal);
        first = false;
        if (call.signal.aborted || left() <= 0) break;
        const status = await step(call, 'status', {}, [...following.keys(), ...waiting.keys()], stepTimeout());
        requestIds.push(status.requestId);
        const done: string[] = [];
        const ready: string[] = [];
        for (const [identity, reply] of status.replies) {
          if (waiting.has(identity) && reply.statuscode === 0) {
            waiting.set(identity, reply.data);
            if (reply.data.applying === true) continue;
            // The run it was applying has ended: disabled since, it fails as in step 1; else it runs now.
            waiting.delete(identity);
            if (reply.data.enabled === false) call.onReply(refusal(identity, `puppet agent disabled: ${String(reply.data.disable_message ?? '')}`, { outcome: 'disabled', status: reply.data }, reply.receivedAtMs));
            else {
              ready.push(identity);
              lastRunBefore.set(identity, num(reply.data.lastrun, 0));
            }
            continue;
          }
          const f = following.get(identity);
          if (!f || reply.statuscode !== 0) continue;
          if (finished(f, reply.data)) done.push(identity);
        }
        if (ready.length > 0 && call.signal.aborted) for (const identity of ready) waiting.set(identity, {});
        else if (ready.length > 0) {
          await startRuns(ready);
          log.info({ ...tag, started: ready.length }, 'puppet runs started after the runs they waited for');
        }
        if (done.length === 0 || call.signal.aborted) continue;
        // With the run's log: the failed and changed resources are named only there.
        const summaries = await step(call, 'last_run_summary', { logs: true }, done, stepTimeout());
        requestIds.push(summaries.requestId);
        for (const [identity, reply] of summaries.replies) {
          const f = following.get(identity);
          if (!f) continue;
          following.delete(identity);
          if (reply.statuscode !== 0) {
            call.onReply({ ...reply, data: { ...f.started, run: null }, statusmsg: `puppet run ended; its summary could not be read: ${reply.statusmsg}` });
            continue;
          }
          const run = runOutcome(reply.data, requestedNoop);
          const failed = run.outcome === 'failed';
          call.onReply({
            identity,
            statuscode: failed ? 1 : 0,
            statusmsg: failed ? `puppet run failed: ${run.failed_resources} failed resources` : 'OK',
            data: { ...f.started, run },
            receivedAtMs: reply.receivedAtMs,
          });
        }
      }
      const timeout = `${Math.round(call.timeoutSeconds)} s timeout`;
      for (const [identity, status] of waiting) {
        if (call.signal.aborted) silentReasons.set(identity, 'puppet agent was applying a run begun before the request; cancelled before one was started');
        else call.onReply(refusal(identity, `puppet agent still applying a run begun before the request when the ${timeout} passed: not started`, { outcome: 'already_applying', status }, now()));
      }
      for (const [identity, f] of following) {
        silentReasons.set(identity, f.applying || f.sawApplying
          ? `puppet run never finished: still applying when the ${timeout} passed`
          : `puppet run never finished: no run started after the request within the ${timeout}`);
      }
      if (following.size > 0 && !call.signal.aborted) log.warn({ ...tag, stillRunning: following.size }, 'puppet runs still going when the timeout passed');
      return { requestIds, silentReasons };
    },
  };
}

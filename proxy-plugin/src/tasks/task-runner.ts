/**
 * Runs a Puppet Task on a batch of nodes through Choria's bolt_tasks agent
 * (shared/research/choria-protocol.md §12): `download` (each node fetches the files from the Puppet
 * Server and checks sha256 and size), `run_no_wait` (the task starts in the background; its id is
 * the request id), then `task_status` every few seconds until every node reports it completed. A
 * task may run for hours this way while the job shows its hosts running. Each node ends with one
 * reply: the task's result (stdout as JSON or as `_output`, exit code, `_error`), or why it could
 * not download or start.
 */
import { stringifyExact } from '@protos/json-numbers';
import type { BrokerClient, NodeReply, RpcRequest } from '@proxy/broker/broker-client';
import { realSleep, type ActionRunner, type RunnerCall, type Sleep } from '@proxy/actions/executions';
import type { Logger } from '@proxy/logger';

import type { TaskCatalog } from './task-catalog';
import { BOLT_TASKS_AGENT, NOOP_INPUT, planTask, taskResultData, type TaskPlan } from './task-spec';

export interface TaskRunnerDeps {
  broker: BrokerClient;
  catalog: TaskCatalog;
  logger: Logger;
  /** Milliseconds between task_status polls. */
  statusIntervalMs: number;
  /** Seconds one bolt_tasks request waits for replies (the agent's DDL timeout is 60). */
  requestTimeoutSeconds?: number;
  now?: () => number;
  sleep?: Sleep;
}

/** bolt_tasks' DDL limit on the `files` specification (maxlength of the input). */
const MAX_FILES_SPEC = 4000;

/** The request TTL on the nodes; each step is its own short request. */
const STEP_TTL_SECONDS = 60;
const DEFAULT_REQUEST_TIMEOUT_S = 60;

function failure(identity: string, statuscode: number, statusmsg: string, error: { kind: string; msg: string; details?: Record<string, unknown> }, receivedAtMs: number): NodeReply {
  return { identity, statuscode: statuscode === 0 ? 1 : statuscode, statusmsg, data: { result: {}, exitcode: null, _error: { details: {}, ...error } }, receivedAtMs };
}

export function createTaskRunner(deps: TaskRunnerDeps): ActionRunner {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const log = deps.logger.child({ component: 'task-runner' });
  const requestTimeoutMs = (deps.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_S) * 1000;

  /** One bolt_tasks request to some nodes; replies by identity. */
  async function step(call: RunnerCall, action: string, data: Record<string, unknown>, identities: string[], timeoutMs: number): Promise<{ requestId: string; replies: Map<string, NodeReply> }> {
    const replies = new Map<string, NodeReply>();
    const request: RpcRequest = { agent: BOLT_TASKS_AGENT, action, data, collective: call.collective, callerid: call.callerid, ttlSeconds: STEP_TTL_SECONDS };
    const result = await deps.broker.callDirected({ request, identities, onReply: (reply) => replies.set(reply.identity, reply), signal: call.signal, timeoutMs });
    return { requestId: result.requestId, replies };
  }

  function taskInput(plan: TaskPlan, data: Record<string, unknown>): Record<string, unknown> {
    const input = { ...data };
    // Bolt passes _noop only to tasks that support it; validation refused it for the others.
    if (input[NOOP_INPUT] !== true) delete input[NOOP_INPUT];
    else if (!plan.supportsNoop) delete input[NOOP_INPUT];
    return input;
  }

  return {
    brokerAgent: BOLT_TASKS_AGENT,

    async run(call) {
      const startedAt = now();
      const deadline = startedAt + call.timeoutSeconds * 1000;
      const requestIds: string[] = [];
      const left = (): number => Math.max(0, deadline - now());
      let plan: TaskPlan;
      try {
        plan = planTask(await deps.catalog.details(call.action));
      } catch (error) {
        const message = `task ${call.action} cannot run: ${(error as Error).message}`;
        for (const identity of call.identities) call.onReply(failure(identity, 5, message, { kind: 'rex.tasks/plan-failed', msg: message }, now()));
        return { requestIds };
      }
      const filesJson = JSON.stringify(plan.files);
      if (filesJson.length > MAX_FILES_SPEC) {
        // The nodes would refuse the request (invalid data); say why instead.
        const message = `task ${plan.task} has ${plan.files.length} files whose specification is ${filesJson.length} characters; bolt_tasks accepts at most ${MAX_FILES_SPEC}`;
        for (const identity of call.identities) call.onReply(failure(identity, 4, message, { kind: 'rex.tasks/too-many-files', msg: message }, now()));
        return { requestIds };
      }
      const tag = { executionId: call.executionId, task: plan.task, hosts: call.identities.length };

      // 1. download: every node fetches the files from the Puppet Server and checks them.
      const download = await step(call, 'download', { task: plan.task, environment: deps.catalog.environment, files: filesJson }, call.identities, Math.min(requestTimeoutMs, left()));
      requestIds.push(download.requestId);
      const downloaded: string[] = [];
      for (const [identity, reply] of download.replies) {
        if (reply.statuscode === 0) downloaded.push(identity);
        else call.onReply(failure(identity, reply.statuscode, reply.statusmsg, { kind: 'choria.tasks/download-failed', msg: reply.statusmsg }, reply.receivedAtMs));
      }
      log.info({ ...tag, downloaded: downloaded.length }, 'task files downloaded');
      if (downloaded.length === 0 || call.signal.aborted) return { requestIds };

      // 2. run_no_wait: the task starts in the background; its id is this request's id.
      // Exact numbers: Puppet tells an Integer 3 from a Float 3.0.
      const input = stringifyExact(taskInput(plan, call.data));
      const start = await step(call, 'run_no_wait', { task: plan.task, files: filesJson, input, input_method: plan.inputMethod }, downloaded, Math.min(requestTimeoutMs, left()));
      requestIds.push(start.requestId);
      const running = new Map<string, string>();
      for (const [identity, reply] of start.replies) {
        const taskId = typeof reply.data.task_id === 'string' && reply.data.task_id !== '' ? reply.data.task_id : start.requestId;
        if (reply.statuscode === 0) running.set(identity, taskId);
        else call.onReply(failure(identity, reply.statuscode, reply.statusmsg, { kind: 'choria.tasks/start-failed', msg: reply.statusmsg }, reply.receivedAtMs));
      }
      log.info({ ...tag, started: running.size }, 'task started');

      // 3. task_status until each node reports completion, the timeout passes or the job is cancelled.
      // Nodes that stay silent here are asked again next round; a node that never answers ends
      // no_response when the time is up, as the execution does for any silent host.
      while (running.size > 0 && !call.signal.aborted && left() > 0) {
        await sleep(Math.min(deps.statusIntervalMs, left()), call.signal);
        if (call.signal.aborted || left() <= 0) break;
        const byTask = new Map<string, string[]>();
        for (const [identity, taskId] of running) byTask.set(taskId, [...(byTask.get(taskId) ?? []), identity]);
        for (const [taskId, identities] of byTask) {
          const status = await step(call, 'task_status', { task_id: taskId }, identities, Math.min(requestTimeoutMs, Math.max(1000, left())));
          for (const [identity, reply] of status.replies) {
            if (reply.data.completed === true) {
              running.delete(identity);
              call.onReply({
                identity,
                statuscode: reply.statuscode,
                statusmsg: reply.statusmsg,
                data: taskResultData({ stdout: reply.data.stdout, exitcode: reply.data.exitcode, stderr: reply.data.stderr, runtime: reply.data.runtime, start_time: reply.data.start_time, task_id: taskId }),
                receivedAtMs: reply.receivedAtMs,
              });
            } else if (reply.statuscode !== 0) {
              // Unknown task id, or the node no longer lets us read it: it will not get better.
              running.delete(identity);
              call.onReply(failure(identity, reply.statuscode, reply.statusmsg, { kind: 'choria.tasks/status-failed', msg: reply.statusmsg }, reply.receivedAtMs));
            }
          }
        }
      }
      if (running.size > 0 && !call.signal.aborted) log.warn({ ...tag, stillRunning: running.size }, 'task still running when its timeout passed');
      return { requestIds };
    },
  };
}

/**
 * rex.proxy.v1.ProxyService handlers: proto <-> domain and error mapping, nothing else (STYLE.md §1).
 * Streams respect write back-pressure: a slow reader pauses its own stream, never the execution,
 * whose event log it reads by cursor.
 */
import { randomUUID } from 'node:crypto';
import type { Metadata, sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';

import { parseExact } from '@protos/json-numbers';
import type { ExecuteRequest__Output } from '@protos/generated/rex/proxy/v1/ExecuteRequest';
import type { Filter__Output } from '@protos/generated/rex/proxy/v1/Filter';
import type { Node } from '@protos/generated/rex/proxy/v1/Node';
import type { ProxyInfo } from '@protos/generated/rex/proxy/v1/ProxyInfo';
import type { ProxyServiceHandlers } from '@protos/generated/rex/proxy/v1/ProxyService';
import type { BrokerClient, RequestFilter } from '@proxy/broker/broker-client';
import { toAgentDdl, type DdlRegistry } from '@proxy/actions/ddl-registry';
import type { Execution, ExecutionRegistry } from '@proxy/actions/executions';
import type { NodeInventory } from '@proxy/actions/nodes';
import { AppError } from '@proxy/errors';
import type { Logger } from '@proxy/logger';
import type { PluginManifest } from '@proxy/plugin';

import { streamEvents } from './event-stream';
import { toGrpcStatus } from './grpc-status';

export interface ProxyHandlerDeps {
  manifest: PluginManifest;
  /** The proxy's name from config (the Puppet master it serves). */
  name: string;
  transport: 'choria' | 'mcollective' | 'demo';
  collectives: readonly string[];
  broker: BrokerClient;
  ddls: DdlRegistry;
  executions: ExecutionRegistry;
  nodes: NodeInventory;
  logger: Logger;
  /** Runs before ListAgents answers, e.g. to refresh the Puppet Tasks catalog when stale (or now, on `refresh`); must not throw. */
  beforeListAgents?: (refresh: boolean) => Promise<void>;
  /** Runs before an Execute is validated, e.g. to fetch a task's metadata; a failure fails the call. */
  beforeExecute?: (agent: string, action: string) => Promise<void>;
}

const TRANSPORTS = { choria: 'TRANSPORT_CHORIA', mcollective: 'TRANSPORT_MCOLLECTIVE', demo: 'TRANSPORT_DEMO' } as const;

/** The caller's x-request-id, or a new one so that every log line of a call can be found. */
export function requestIdOf(metadata: Metadata): string {
  const given = metadata.get('x-request-id')[0];
  return typeof given === 'string' && given !== '' ? given.slice(0, 128) : randomUUID();
}

function toRequestFilter(filter: Filter__Output | null): RequestFilter | undefined {
  if (!filter) return undefined;
  return {
    fact: filter.fact.map((f) => ({ fact: f.fact, operator: f.operator, value: f.value })),
    cf_class: filter.cf_class,
    identity: filter.identity,
    agent: filter.agent,
    compound: filter.compound,
  };
}

function parseArguments(json: string): unknown {
  if (json.trim() === '') return {};
  try {
    // Exact numbers: the DDL types tell `5.0` from `5` (docs/USAGE.md "Input types").
    return parseExact(json);
  } catch (cause) {
    throw new AppError('INVALID_ARGUMENT', `arguments_json is not valid JSON: ${(cause as Error).message}`, { cause, details: { input: 'arguments_json', rule: 'json' } });
  }
}

function toExecuteInput(request: ExecuteRequest__Output, args: unknown) {
  return {
    executionId: request.execution_id,
    agent: request.agent,
    action: request.action,
    arguments: args,
    identities: request.identities,
    filter: toRequestFilter(request.filter),
    timeoutSeconds: request.timeout_seconds,
    batchSize: request.batch_size,
    batchSleepMs: request.batch_sleep_ms,
    caller: request.caller,
    collective: request.collective,
    discoveryTimeoutMs: request.discovery_timeout_ms,
    allNodes: request.all_nodes,
    deadlineMs: Number(request.deadline_unix_ms),
  };
}

/** The ProxyService implementation; every call logs with the caller's x-request-id. */
export function createProxyHandlers(deps: ProxyHandlerDeps): ProxyServiceHandlers {
  const baseLog = deps.logger.child({ component: 'grpc' });

  function callLog(method: string, metadata: Metadata): { requestId: string; log: Logger } {
    const requestId = requestIdOf(metadata);
    return { requestId, log: baseLog.child({ requestId, method }) };
  }

  function logFailure(log: Logger, error: unknown): void {
    const status = error instanceof AppError ? error.code : 'INTERNAL';
    if (status === 'INTERNAL') log.error({ err: error }, 'call failed');
    else log.info({ code: status, message: (error as Error).message }, 'call refused');
  }

  function failUnary<T>(callback: sendUnaryData<T>, error: unknown, requestId: string, log: Logger): void {
    logFailure(log, error);
    callback(toGrpcStatus(error, requestId));
  }

  function failStream(call: ServerWritableStream<unknown, unknown>, error: unknown, requestId: string, log: Logger): void {
    logFailure(log, error);
    call.emit('error', toGrpcStatus(error, requestId));
  }

  return {
    GetInfo(call: ServerUnaryCall<unknown, ProxyInfo>, callback: sendUnaryData<ProxyInfo>) {
      const { log } = callLog('GetInfo', call.metadata);
      log.debug({}, 'call received');
      callback(null, {
        name: deps.name,
        version: deps.manifest.version,
        transport: TRANSPORTS[deps.transport],
        collectives: [...deps.collectives],
        capabilities: deps.manifest.capabilities,
        broker_url: deps.broker.displayUrl,
        broker_connected: deps.broker.isConnected(),
        demo: deps.transport === 'demo',
      });
    },

    ListAgents(call, callback) {
      const { requestId, log } = callLog('ListAgents', call.metadata);
      log.debug({}, 'call received');
      const answer = (): void => callback(null, { agents: deps.ddls.list().map(toAgentDdl) });
      if (!deps.beforeListAgents) return answer();
      deps.beforeListAgents(call.request.refresh === true).then(answer, (error: unknown) => failUnary(callback, error, requestId, log));
    },

    ListNodes(call) {
      const { requestId, log } = callLog('ListNodes', call.metadata);
      deps.nodes.list(call.request.collective, call.request.discovery_timeout_ms).then(
        (nodes) => {
          log.info({ nodes: nodes.length }, 'nodes listed');
          let index = 0;
          const pump = (): void => {
            if (call.cancelled) return;
            while (index < nodes.length) {
              const node = nodes[index++];
              const message: Node = { identity: node.identity, facts: node.facts, classes: node.classes, agents: node.agents, collectives: node.collectives };
              if (!call.write(message)) {
                call.once('drain', pump);
                return;
              }
            }
            call.end();
          };
          pump();
        },
        (error: unknown) => failStream(call, error, requestId, log),
      );
    },

    Execute(call) {
      const { requestId, log } = callLog('Execute', call.metadata);
      const start = (): void => {
        // The caller went away before it started (while beforeExecute ran): never start it. A caller that
        // comes back and finds no such execution sends it again, and its hosts must not run twice.
        if (call.cancelled) {
          log.info({ executionId: call.request.execution_id }, 'execute call cancelled before it started; not started');
          return;
        }
        let execution: Execution;
        try {
          execution = deps.executions.execute(toExecuteInput(call.request, parseArguments(call.request.arguments_json)));
        } catch (error) {
          failStream(call, error, requestId, log);
          return;
        }
        log.info(
          { executionId: execution.id, agent: call.request.agent, action: call.request.action, identities: call.request.identities.length, caller: call.request.caller },
          'execution started',
        );
        void streamEvents(call, execution, 0, true, call.request.accept_result_batches);
      };
      if (!deps.beforeExecute) return start();
      deps.beforeExecute(call.request.agent, call.request.action).then(start, (error: unknown) => failStream(call, error, requestId, log));
    },

    Cancel(call, callback) {
      const { requestId, log } = callLog('Cancel', call.metadata);
      deps.executions.cancel(call.request.execution_id).then(
        (outcome) => {
          log.info({ executionId: call.request.execution_id, ...outcome }, 'execution cancel requested');
          callback(null, { found: outcome.found, cancelled_hosts: outcome.cancelledHosts });
        },
        (error: unknown) => failUnary(callback, error, requestId, log),
      );
    },

    GetResults(call) {
      const { requestId, log } = callLog('GetResults', call.metadata);
      const execution = deps.executions.get(call.request.execution_id);
      if (!execution) {
        failStream(call, new AppError('NOT_FOUND', `execution ${call.request.execution_id} is unknown to this proxy or no longer retained`), requestId, log);
        return;
      }
      log.debug({ executionId: execution.id, afterSequence: call.request.after_sequence, follow: call.request.follow }, 'results requested');
      void streamEvents(call, execution, call.request.after_sequence, call.request.follow, call.request.accept_result_batches);
    },
  };
}

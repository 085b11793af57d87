/**
 * The proxy-plugin's real execution core (ExecutionRegistry over a real broker client) offered to the
 * job dispatcher through the same calls as `proxies/proxy-client.ts`, without the gRPC hop.
 * TODO(#4): replace with `startProxyServer` + the lead's proxy client once both exist; only
 * `createInProcessProxies` changes, the tests stay.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BrokerClient } from '@proxy/broker/broker-client';
import { createAuditLog } from '@proxy/actions/audit';
import { createDdlRegistry, loadDdlDirectory, toAgentDdl } from '@proxy/actions/ddl-registry';
import { createExecutionRegistry, type Execution, type ExecutionEvent, type ExecutionRegistry } from '@proxy/actions/executions';
import { isAppError as isProxyError } from '@proxy/errors';
import { silentLogger as proxySilentLogger } from '@proxy/logger';
import type { AgentDdl__Output } from '@protos/generated/rex/proxy/v1/AgentDdl';
import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import { AppError } from '@server/errors';
import type { JobProxyClient } from '@server/jobs/job-dispatcher';

/** From the sources, or from the checkout npm runs in when compiled (dist has no DDL copies). */
export const DDL_DIRECTORY = [path.resolve(__dirname, '../../../../proxy-plugin/ddl'), path.resolve(process.cwd(), 'proxy-plugin/ddl')].find((dir) => fs.existsSync(dir)) ?? 'proxy-plugin/ddl';

export function toProtoEvent(event: ExecutionEvent): ExecuteEvent__Output {
  if (event.kind === 'started') {
    return { sequence: event.sequence, event: 'started', started: { execution_id: event.executionId, request_id: event.requestId, expected_identities: [...event.expectedIdentities] } };
  }
  if (event.kind === 'result') {
    return {
      sequence: event.sequence,
      event: 'result',
      result: { identity: event.identity, state: `HOST_STATE_${event.state}` as never, statuscode: event.statuscode, statusmsg: event.statusmsg, data_json: event.dataJson, sent_at_ms: event.sentAtMs, received_at_ms: event.receivedAtMs, unexpected: event.unexpected },
    };
  }
  return {
    sequence: event.sequence,
    event: 'summary',
    summary: { state: `EXECUTION_STATE_${event.state}` as never, expected: event.expected, responded: event.responded, succeeded: event.succeeded, failed: event.failed, no_response: event.noResponse, cancelled: event.cancelled, unexpected: event.unexpected, duration_ms: event.durationMs, message: event.message },
  };
}

function follow(execution: Execution, afterSequence: number, onEvent: (e: ExecuteEvent__Output) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let next = afterSequence;
    let unsubscribe = () => undefined as unknown;
    const finish = () => {
      unsubscribe();
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const pump = () => {
      while (next < execution.events.length) onEvent(toProtoEvent(execution.events[next++]));
      if (execution.isFinished() && next >= execution.events.length) finish();
    };
    if (signal?.aborted) return resolve();
    signal?.addEventListener('abort', finish, { once: true });
    unsubscribe = execution.onChange(pump);
    pump();
  });
}

const asServerError = (error: unknown, url: string): unknown =>
  isProxyError(error) ? new AppError(error.code as never, `smart proxy ${url}: ${error.message}`, { cause: error }) : error;

export interface InProcessProxy {
  url: string;
  registry: ExecutionRegistry;
  broker: BrokerClient;
}

/** One proxy core per URL; a URL with none behaves like a proxy that cannot be reached. */
/** The agents of the proxy-plugin's DDL directory, as ListAgents returns them. */
export function proxyPluginAgents(): AgentDdl__Output[] {
  return createDdlRegistry(loadDdlDirectory(DDL_DIRECTORY).agents).list().map((a) => toAgentDdl(a)) as unknown as AgentDdl__Output[];
}

export function createInProcessProxies(proxies: Map<string, InProcessProxy>): JobProxyClient & { listAgents(url: string): Promise<AgentDdl__Output[]> } {
  const agents = proxyPluginAgents();
  const get = (url: string) => {
    const proxy = proxies.get(url);
    if (!proxy) throw new AppError('UNAVAILABLE', `smart proxy ${url} is unreachable: connection refused`);
    return proxy;
  };
  return {
    async execute(url, request, onEvent, signal) {
      const proxy = get(url);
      let execution: Execution;
      try {
        execution = proxy.registry.execute({
          executionId: request.execution_id!,
          agent: request.agent!,
          action: request.action!,
          arguments: JSON.parse(request.arguments_json || '{}'),
          identities: request.identities ?? [],
          timeoutSeconds: request.timeout_seconds ?? 0,
          batchSize: request.batch_size ?? 0,
          batchSleepMs: request.batch_sleep_ms ?? 0,
          caller: request.caller ?? '',
          collective: request.collective ?? '',
          discoveryTimeoutMs: request.discovery_timeout_ms ?? 0,
        });
      } catch (error) {
        throw asServerError(error, url);
      }
      await follow(execution, 0, onEvent, signal);
    },
    async getResults(url, request, onEvent, signal) {
      const execution = get(url).registry.get(request.execution_id);
      if (!execution) throw new AppError('NOT_FOUND', `smart proxy ${url}: no execution ${request.execution_id}`);
      await follow(execution, request.after_sequence, onEvent, request.follow ? signal : AbortSignal.abort());
    },
    async cancel(url, executionId) {
      const outcome = await get(url).registry.cancel(executionId);
      return { found: outcome.found, cancelled_hosts: outcome.cancelledHosts };
    },
    async listAgents(url) {
      get(url);
      return agents;
    },
  };
}

export function createProxyCore(broker: BrokerClient, name: string, collective = 'mcollective'): ExecutionRegistry {
  return createExecutionRegistry({
    broker,
    ddls: createDdlRegistry(loadDdlDirectory(DDL_DIRECTORY).agents),
    audit: createAuditLog({ sender: name, sink: () => undefined }),
    logger: proxySilentLogger(),
    callerid: 'choria=rex.mcollective',
    collectives: [collective],
    mainCollective: collective,
    defaultDiscoveryTimeoutMs: 1000,
    retentionMs: 600_000,
    maxRetained: 1000,
  });
}

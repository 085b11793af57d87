/**
 * The gRPC contract of the proxy: a real server on port 0 and a real @grpc/grpc-js client through
 * protos/. The broker is the fake one here, the only integration test that uses a fake broker: the
 * contract is about the wire between ui-extension and proxy. The real-broker tests are the NATS
 * integration tests under test/proxy-plugin/broker/.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';

import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { ExecuteRequest } from '@protos/generated/rex/proxy/v1/ExecuteRequest';
import type { ProxyServiceClient } from '@protos/generated/rex/proxy/v1/ProxyService';
import { loadProxyProto } from '@protos/load';
import { createBuiltInPolicy } from '@proxy/actions/action-policy';
import type { AuditLog } from '@proxy/actions/audit';
import { createDdlRegistry, loadDdlDirectory } from '@proxy/actions/ddl-registry';
import { createExecutionRegistry } from '@proxy/actions/executions';
import { createNodeInventory } from '@proxy/actions/nodes';
import { MAX_BATCH_RESULTS } from '@proxy/grpc/event-stream';
import { ERROR_DETAILS_KEY } from '@proxy/grpc/grpc-status';
import { startProxyServer, type ProxyServer } from '@proxy/grpc/server';
import { createLogger } from '@proxy/logger';
import { packageVersion } from '@proxy/plugin';
import { createProxyClients } from '@server/proxies/proxy-client';
import { silentLogger } from '@server/logger';
import { createFakeBroker, type FakeBroker, type FakeNode } from '@test/fakes/fake-broker.client';
import { TEST_PROXY_SECRET, withCallerSecret } from '@test/support/proxy-secret';

interface Harness {
  server: ProxyServer;
  /** Sends the caller secret on every call, as the ui-extension does. */
  client: ProxyServiceClient;
  broker: FakeBroker;
  logLines: Array<Record<string, unknown>>;
}

const noAudit: AuditLog = { record: () => undefined, reopen: async () => undefined, close: async () => undefined };

async function startHarness(nodes: Record<string, FakeNode>, mode: 'auto' | 'manual' = 'auto'): Promise<Harness> {
  const broker = createFakeBroker({ nodes, mode, now: Date.now });
  const logLines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line) => logLines.push(JSON.parse(line)) } });
  const ddls = createDdlRegistry(loadDdlDirectory(path.resolve(__dirname, '../../proxy-plugin/ddl')).agents);
  const collectives = ['mcollective'];
  const executions = createExecutionRegistry({
    broker,
    ddls,
    audit: noAudit,
    // As main.ts wires it when policy.directory is empty.
    policy: createBuiltInPolicy(ddls),
    logger,
    callerid: 'choria=rex.mcollective',
    collectives,
    mainCollective: 'mcollective',
    defaultDiscoveryTimeoutMs: 1000,
    retentionMs: 60_000,
    maxRetained: 10,
  });
  const nodesInventory = createNodeInventory({ broker, ddls, collectives, mainCollective: 'mcollective', defaultDiscoveryTimeoutMs: 1000 });
  const server = await startProxyServer(
    { grpc: { host: '127.0.0.1', port: 0, plaintext: true, caller_secret: TEST_PROXY_SECRET, tls: { trusted_clients: [] } } },
    {
      manifest: { name: 'mco-rex-proxy', version: packageVersion(), capabilities: ['remote_execution', 'choria'] },
      name: 'puppet1.example.net',
      transport: 'choria',
      collectives,
      broker,
      ddls,
      executions,
      nodes: nodesInventory,
      logger,
    },
  );
  const proto = loadProxyProto();
  const client = new proto.rex.proxy.v1.ProxyService(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure(), { interceptors: [withCallerSecret()] });
  return { server, client, broker, logLines };
}

async function stopHarness(harness: Harness): Promise<void> {
  harness.client.close();
  await harness.server.close(1000);
}

function collect(stream: grpc.ClientReadableStream<ExecuteEvent__Output>): Promise<ExecuteEvent__Output[]> {
  return new Promise((resolve, reject) => {
    const events: ExecuteEvent__Output[] = [];
    stream.on('data', (event: ExecuteEvent__Output) => events.push(event));
    stream.on('end', () => resolve(events));
    stream.on('error', reject);
  });
}

/** Every event with its own sequence, a batch's results one by one (results[i] has first_sequence + i). */
function flatten(events: ExecuteEvent__Output[]): Array<{ sequence: number; kind: string; identity?: string }> {
  return events.flatMap((e) =>
    e.event === 'results' ? e.results!.results.map((r, i) => ({ sequence: Number(e.results!.first_sequence) + i, kind: 'result', identity: r.identity })) : [{ sequence: Number(e.sequence), kind: e.event ?? '', identity: e.result?.identity }],
  );
}

function failureOf(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: grpc.ServiceError) => error,
  );
}

function anExecuteRequest(fields: Partial<ExecuteRequest> = {}): ExecuteRequest {
  return { execution_id: 'job-1', agent: 'rpcutil', action: 'ping', arguments_json: '{}', identities: ['web1', 'web2', 'db1'], caller: 'admin', ...fields };
}

const deadline = (): grpc.CallOptions => ({ deadline: Date.now() + 10_000 });

describe('proxy gRPC contract', () => {
  let harness: Harness;

  beforeAll(async () => {
    const nodes: Record<string, FakeNode> = { web1: {}, web2: { statuscode: 1, statusmsg: 'aborted' }, db1: { silent: true } };
    for (let i = 0; i < 5000; i++) nodes[`n${String(i).padStart(5, '0')}`] = {};
    harness = await startHarness(nodes);
  });

  afterAll(async () => {
    await stopHarness(harness);
  });

  it('answers GetInfo with the name, version, transport and capabilities', async () => {
    const info = await new Promise((resolve, reject) => harness.client.GetInfo({}, deadline(), (error, value) => (error ? reject(error) : resolve(value))));
    expect(info).toMatchObject({
      name: 'puppet1.example.net',
      version: packageVersion(),
      transport: 'TRANSPORT_CHORIA',
      collectives: ['mcollective'],
      capabilities: ['remote_execution', 'choria'],
      broker_url: 'nats://fake:4222',
      broker_connected: true,
      demo: false,
    });
  });

  it('lists the agents with their DDL through ListAgents', async () => {
    const response = await new Promise<{ agents: Array<{ metadata: { name: string }; actions: Array<{ name: string; inputs: Array<{ name: string; list: string[] }> }> }> }>(
      (resolve, reject) => harness.client.ListAgents({}, deadline(), (error, value) => (error ? reject(error) : resolve(value as never))),
    );
    expect(response.agents.map((a) => a.metadata.name)).toEqual(expect.arrayContaining(['package', 'puppet', 'rpcutil', 'service']));
    const yumClean = response.agents.find((a) => a.metadata.name === 'package')?.actions.find((a) => a.name === 'yum_clean');
    expect(yumClean?.inputs.find((i) => i.name === 'mode')?.list).toContain('expire-cache');
  });

  it('streams started, the batch sent, the host results and the summary in order when executing', async () => {
    const events = await collect(harness.client.Execute(anExecuteRequest(), deadline()));
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.map((e) => e.event)).toEqual(['started', 'sent', 'result', 'result', 'result', 'summary']);
    expect(events[0].started).toMatchObject({ expected_identities: ['web1', 'web2', 'db1'], reports_sent: true });
    expect(events[1].sent).toMatchObject({ batch: 1, identities: ['web1', 'web2', 'db1'] });
    expect(events.slice(2, 5).map((e) => [e.result?.identity, e.result?.state, e.result?.statuscode, e.result?.cause])).toEqual([
      ['web1', 'HOST_STATE_SUCCEEDED', 0, 'HOST_CAUSE_UNSPECIFIED'],
      ['web2', 'HOST_STATE_FAILED', 1, 'HOST_CAUSE_UNSPECIFIED'],
      ['db1', 'HOST_STATE_NO_RESPONSE', -1, 'HOST_CAUSE_NO_REPLY'],
    ]);
    expect(events[4].result?.reason).toMatch(/^asked; no reply within the \d+ s timeout$/);
    expect(JSON.parse(events[2].result?.data_json ?? '')).toEqual({ identity: 'web1' });
    expect(events[5].summary).toMatchObject({ state: 'EXECUTION_STATE_COMPLETED', expected: 3, responded: 2, succeeded: 1, failed: 1, no_response: 1 });
  });

  it('sends no batch after the deadline it is given, and says which hosts were not sent and why', async () => {
    const callsBefore = harness.broker.calls.length;
    const events = await collect(harness.client.Execute(anExecuteRequest({ execution_id: 'job-late', deadline_unix_ms: Date.now() - 1 }), deadline()));
    expect(events.map((e) => e.event)).toEqual(['started', 'result', 'result', 'result', 'summary']);
    expect(events.slice(1, 4).map((e) => [e.result?.state, e.result?.cause, e.result?.reason, Number(e.result?.sent_at_ms)])).toEqual(
      Array(3).fill(['HOST_STATE_CANCELLED', 'HOST_CAUSE_NOT_SENT', "not sent: the job's deadline passed before batch 1 left", 0]),
    );
    expect(events[4].summary).toMatchObject({ state: 'EXECUTION_STATE_DEADLINE_PASSED', cancelled: 3 });
    expect(harness.broker.calls).toHaveLength(callsBefore);
  });

  it('streams 5,000 results in arrival order with contiguous sequences when many identities are given', async () => {
    const identities = Array.from({ length: 5000 }, (_, i) => `n${String(i).padStart(5, '0')}`);
    const events = await collect(harness.client.Execute(anExecuteRequest({ execution_id: 'job-5k', identities }), deadline()));
    expect(events).toHaveLength(5003);
    expect(events.every((e, i) => e.sequence === i + 1)).toBe(true);
    expect(events[1].sent?.identities).toEqual(identities);
    expect(events.slice(2, -1).map((e) => e.result?.identity)).toEqual(identities);
    expect(events[5002].summary).toMatchObject({ expected: 5000, succeeded: 5000 });
  });

  it('sends ready results as batches of consecutive sequences to a caller that accepts them, and resuming after any sequence inside a batch delivers the rest exactly once', async () => {
    const identities = Array.from({ length: 5000 }, (_, i) => `n${String(i).padStart(5, '0')}`);
    const request = anExecuteRequest({ execution_id: 'job-5k-batches', identities, accept_result_batches: true });
    const events = await collect(harness.client.Execute(request, deadline()));
    const batches = events.filter((e) => e.event === 'results');
    expect(batches.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(1000);
    for (const b of batches) {
      expect(b.results!.results.length).toBeGreaterThan(1);
      expect(b.results!.results.length).toBeLessThanOrEqual(MAX_BATCH_RESULTS);
      expect(Number(b.sequence)).toBe(Number(b.results!.first_sequence) + b.results!.results.length - 1);
    }
    const all = flatten(events);
    expect(all.map((e) => e.sequence)).toEqual(Array.from({ length: 5003 }, (_, i) => i + 1));
    expect(all.filter((e) => e.kind === 'result').map((e) => e.identity)).toEqual(identities);
    // A caller that stored any cursor, at a batch's first result, inside it or at its last, gets every later event once.
    const first = Number(batches[0].results!.first_sequence);
    for (const after of [first - 1, first, first + 1, Number(batches[0].sequence), 4000, 5002]) {
      const rest = flatten(await collect(harness.client.GetResults({ execution_id: 'job-5k-batches', after_sequence: after, follow: false, accept_result_batches: true }, deadline())));
      expect(rest.map((e) => e.sequence)).toEqual(Array.from({ length: 5003 - after }, (_, i) => after + 1 + i));
      expect(rest.filter((e) => e.kind === 'result').map((e) => e.identity)).toEqual(identities.slice(Math.max(0, after - 2)));
    }
    // Callers that do not ask for batches (older ui-extensions) get one result per event, as before.
    const single = await collect(harness.client.GetResults({ execution_id: 'job-5k-batches', after_sequence: 0, follow: false }, deadline()));
    expect(single.map((e) => e.event)).toEqual(['started', 'sent', ...Array(5000).fill('result'), 'summary']);
  });

  it('holds the ui-extension client stream while its taker answers an event with a promise, then delivers the rest in order', async () => {
    const clients = createProxyClients({ deadlineMs: 5000, logger: silentLogger(), plaintextLoopback: true, callerSecret: TEST_PROXY_SECRET });
    const identities = Array.from({ length: 5000 }, (_, i) => `n${String(i).padStart(5, '0')}`);
    const arrivals: Array<{ sequence: number; at: number }> = [];
    let releasedAt = 0;
    try {
      await clients.execute(`127.0.0.1:${harness.server.port}`, anExecuteRequest({ execution_id: 'job-hold', identities }), (event) => {
        arrivals.push({ sequence: Number(event.sequence), at: Date.now() });
        // The first result: the taker is busy (a database write) for 300 ms.
        if (event.result && releasedAt === 0) return new Promise<void>((resolve) => setTimeout(() => resolve(void (releasedAt = Date.now())), 300));
        return undefined;
      });
    } finally {
      clients.close();
    }
    expect(arrivals.map((a) => a.sequence)).toEqual(Array.from({ length: 5003 }, (_, i) => i + 1));
    // Nothing after the first result reached the taker before it was ready again.
    expect(arrivals[3].at).toBeGreaterThanOrEqual(releasedAt);
  });

  it('fails with INVALID_ARGUMENT naming the input and the rule when an argument is bad', async () => {
    const error = await failureOf(
      collect(harness.client.Execute(anExecuteRequest({ execution_id: 'job-bad', agent: 'package', action: 'install', arguments_json: '{"package":"vim; reboot"}' }), deadline())),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain('input package');
    expect(error.details).toContain('shellsafe');
    expect(JSON.parse(String(error.metadata.get(ERROR_DETAILS_KEY)[0]))).toEqual({ input: 'package', rule: 'shellsafe' });
    expect(harness.broker.calls.some((c) => c.call.request.agent === 'package')).toBe(false);
  });

  it('fails with INVALID_ARGUMENT when arguments_json is not JSON', async () => {
    const error = await failureOf(collect(harness.client.Execute(anExecuteRequest({ execution_id: 'job-json', arguments_json: '{nope' }), deadline())));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain('arguments_json');
  });

  it('replays only the events after a sequence through GetResults when the execution has ended', async () => {
    await collect(harness.client.Execute(anExecuteRequest({ execution_id: 'job-replay' }), deadline()));
    const events = await collect(harness.client.GetResults({ execution_id: 'job-replay', after_sequence: 3, follow: false }, deadline()));
    expect(events.map((e) => e.sequence)).toEqual([4, 5, 6]);
    expect(events[2].event).toBe('summary');
  });

  it('fails GetResults with NOT_FOUND when the execution is unknown', async () => {
    const error = await failureOf(collect(harness.client.GetResults({ execution_id: 'never', after_sequence: 0, follow: true }, deadline())));
    expect(error.code).toBe(grpc.status.NOT_FOUND);
  });

  it('logs the caller x-request-id on the lines of the call', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('x-request-id', 'req-contract-42');
    await new Promise((resolve, reject) => harness.client.GetInfo({}, metadata, deadline(), (error, value) => (error ? reject(error) : resolve(value))));
    expect(harness.logLines.some((line) => line.requestId === 'req-contract-42' && line.method === 'GetInfo')).toBe(true);
  });
});

describe('proxy gRPC contract: who may call', () => {
  let harness: Harness;
  const url = () => `127.0.0.1:${harness.server.port}`;

  beforeAll(async () => {
    harness = await startHarness({ web1: {}, web2: {}, db1: {} });
  });

  afterAll(async () => {
    await stopHarness(harness);
  });

  it('answers the ui-extension proxy client that sends the caller secret', async () => {
    const clients = createProxyClients({ deadlineMs: 5000, logger: silentLogger(), plaintextLoopback: true, callerSecret: TEST_PROXY_SECRET });
    try {
      await expect(clients.getInfo(url())).resolves.toMatchObject({ name: 'puppet1.example.net' });
    } finally {
      clients.close();
    }
  });

  it.each([
    ['without a secret', undefined, 'no caller secret'],
    ['with a wrong secret', `${TEST_PROXY_SECRET.slice(0, -1)}X`, 'wrong caller secret'],
  ])('refuses a call %s with UNAUTHENTICATED before anything runs, and logs it without the secret', async (_what, callerSecret, reason) => {
    const clients = createProxyClients({ deadlineMs: 5000, logger: silentLogger(), plaintextLoopback: true, callerSecret });
    const brokerCalls = harness.broker.calls.length;
    try {
      for (const call of [() => clients.getInfo(url()), () => clients.listAgents(url()), () => clients.listNodes(url()), () => clients.cancel(url(), 'job-x'), () => clients.execute(url(), anExecuteRequest({ execution_id: 'job-unauth' }), () => undefined)]) {
        await expect(call()).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('caller secret') });
      }
    } finally {
      clients.close();
    }
    expect(harness.broker.calls.length).toBe(brokerCalls);
    const refusals = harness.logLines.filter((line) => line.msg === 'call refused: caller not authenticated' && line.reason === reason);
    expect(refusals.map((line) => line.method)).toEqual(expect.arrayContaining(['/rex.proxy.v1.ProxyService/GetInfo', '/rex.proxy.v1.ProxyService/Execute']));
    expect(refusals.every((line) => typeof line.peer === 'string' && (line.peer as string).startsWith('127.0.0.1:'))).toBe(true);
    expect(JSON.stringify(harness.logLines)).not.toContain(TEST_PROXY_SECRET.slice(0, 20));
  });

  it('refuses with INVALID_ARGUMENT an execution with neither identities nor a filter, before the broker', async () => {
    const brokerCalls = harness.broker.calls.length;
    for (const fields of [{ identities: [] }, { identities: [], filter: { fact: [], cf_class: [], identity: [], agent: [], compound: '  ' } }]) {
      const error = await failureOf(collect(harness.client.Execute(anExecuteRequest({ execution_id: 'job-everything', ...fields }), deadline())));
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details).toContain('set all_nodes');
      expect(JSON.parse(String(error.metadata.get(ERROR_DETAILS_KEY)[0]))).toEqual({ input: 'identities', rule: 'target required' });
    }
    expect(harness.broker.calls.length).toBe(brokerCalls);
  });

  it('runs on every node discovered when the request says all_nodes', async () => {
    const events = await collect(harness.client.Execute(anExecuteRequest({ execution_id: 'job-all', identities: [], all_nodes: true }), deadline()));
    expect(events[0].started?.expected_identities).toEqual(expect.arrayContaining(['web1', 'web2', 'db1']));
    expect(events.at(-1)?.summary).toMatchObject({ state: 'EXECUTION_STATE_COMPLETED', expected: 3, succeeded: 3 });
  });

  it('refuses with PERMISSION_DENIED a caller that is not a ui-extension user, by the built-in policy', async () => {
    const brokerCalls = harness.broker.calls.length;
    for (const caller of ['', 'root cause', 'choria=rex.mcollective', 'a'.repeat(101)]) {
      const error = await failureOf(collect(harness.client.Execute(anExecuteRequest({ execution_id: `job-caller-${caller.length}`, caller }), deadline())));
      expect(error.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(error.details).toContain('built-in policy');
    }
    expect(harness.broker.calls.length).toBe(brokerCalls);
  });
});

describe('proxy gRPC contract while an execution is running', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startHarness({ a: {}, b: {}, c: {} }, 'manual');
  });

  afterEach(async () => {
    await stopHarness(harness);
  });

  it('cancels: unanswered hosts end CANCELLED, asked ones with NO_REPLY, and the stream ends with a cancelled summary', async () => {
    const stream = collect(harness.client.Execute(anExecuteRequest({ identities: ['a', 'b', 'c'] }), deadline()));
    await harness.broker.waitForCalls(1);
    harness.broker.reply('b');
    const response = await new Promise((resolve, reject) => harness.client.Cancel({ execution_id: 'job-1' }, deadline(), (error, value) => (error ? reject(error) : resolve(value))));
    expect(response).toEqual({ found: true, cancelled_hosts: 2 });
    const events = await stream;
    expect(events.slice(2, 5).map((e) => [e.result?.identity, e.result?.state, e.result?.cause])).toEqual([
      ['b', 'HOST_STATE_SUCCEEDED', 'HOST_CAUSE_UNSPECIFIED'],
      ['a', 'HOST_STATE_CANCELLED', 'HOST_CAUSE_NO_REPLY'],
      ['c', 'HOST_STATE_CANCELLED', 'HOST_CAUSE_NO_REPLY'],
    ]);
    expect(events[5].summary).toMatchObject({ state: 'EXECUTION_STATE_CANCELLED', cancelled: 2 });
  });

  it('refuses a second Execute with the running id with ALREADY_EXISTS', async () => {
    const first = harness.client.Execute(anExecuteRequest({ identities: ['a', 'b', 'c'] }), deadline());
    const firstEvents = collect(first);
    await harness.broker.waitForCalls(1);
    const error = await failureOf(collect(harness.client.Execute(anExecuteRequest({ identities: ['a'] }), deadline())));
    expect(error.code).toBe(grpc.status.ALREADY_EXISTS);
    harness.broker.expire();
    expect((await firstEvents).pop()?.event).toBe('summary');
  });

  it('catches up after a sequence and then follows live events through GetResults', async () => {
    const execute = collect(harness.client.Execute(anExecuteRequest({ identities: ['a', 'b', 'c'] }), deadline()));
    await harness.broker.waitForCalls(1);
    harness.broker.reply('c');
    harness.broker.reply('a');
    const followed: ExecuteEvent__Output[] = [];
    const follow = harness.client.GetResults({ execution_id: 'job-1', after_sequence: 2, follow: true }, deadline());
    const followDone = collect(follow);
    follow.on('data', (event: ExecuteEvent__Output) => followed.push(event));
    await new Promise<void>((resolve) => {
      const check = (): void => (followed.length >= 2 ? resolve() : void setTimeout(check, 5));
      check();
    });
    harness.broker.reply('b');
    const events = await followDone;
    expect(events.map((e) => e.sequence)).toEqual([3, 4, 5, 6]);
    expect(events.slice(0, 3).map((e) => e.result?.identity)).toEqual(['c', 'a', 'b']);
    expect((await execute).map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

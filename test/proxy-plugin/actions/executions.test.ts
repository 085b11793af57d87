import path from 'node:path';

import type { AuditLog, AuditRecord } from '@proxy/actions/audit';
import { createDdlRegistry, loadDdlDirectory } from '@proxy/actions/ddl-registry';
import { createExecutionRegistry, type ExecuteInput, type ExecutionEvent, type ExecutionRegistry, type HostResultEvent, type SummaryEvent } from '@proxy/actions/executions';
import { AppError } from '@proxy/errors';
import { silentLogger } from '@proxy/logger';
import { anAgentSpec, anInput } from '@test/fixtures/agent-ddl';
import { createFakeBroker, type FakeBroker, type FakeNode } from '@test/fakes/fake-broker.client';

const shipped = loadDdlDirectory(path.resolve(__dirname, '../../../proxy-plugin/ddl')).agents;

function anExecuteInput(fields: Partial<ExecuteInput> = {}): ExecuteInput {
  return {
    executionId: 'job-1',
    agent: 'rpcutil',
    action: 'ping',
    arguments: {},
    identities: ['a', 'b', 'c'],
    timeoutSeconds: 0,
    batchSize: 0,
    batchSleepMs: 0,
    caller: 'admin',
    collective: '',
    discoveryTimeoutMs: 0,
    ...fields,
  };
}

interface Harness {
  registry: ExecutionRegistry;
  broker: FakeBroker;
  audits: AuditRecord[];
  sleeps: number[];
  clock: { now: number };
}

function setup(options: { nodes?: Record<string, FakeNode>; mode?: 'auto' | 'manual'; strangers?: string[]; failWith?: Error; retentionMs?: number; maxRetained?: number } = {}): Harness {
  const clock = { now: 10_000 };
  const broker = createFakeBroker({ nodes: options.nodes, mode: options.mode, strangers: options.strangers, failWith: options.failWith, now: () => clock.now });
  const audits: AuditRecord[] = [];
  const audit: AuditLog = { record: (entry) => audits.push(entry), reopen: async () => undefined, close: async () => undefined };
  const sleeps: number[] = [];
  const registry = createExecutionRegistry({
    broker,
    ddls: createDdlRegistry(shipped),
    audit,
    logger: silentLogger(),
    callerid: 'choria=rex.mcollective',
    collectives: ['mcollective', 'dev'],
    mainCollective: 'mcollective',
    defaultDiscoveryTimeoutMs: 1500,
    retentionMs: options.retentionMs ?? 60_000,
    maxRetained: options.maxRetained ?? 10,
    now: () => clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { registry, broker, audits, sleeps, clock };
}

function results(events: readonly ExecutionEvent[]): HostResultEvent[] {
  return events.filter((e): e is HostResultEvent => e.kind === 'result');
}

function summaryOf(events: readonly ExecutionEvent[]): SummaryEvent {
  const last = events[events.length - 1];
  if (last?.kind !== 'summary') throw new Error('the last event is not a summary');
  return last;
}

const nodes = (...names: string[]): Record<string, FakeNode> => Object.fromEntries(names.map((n) => [n, {}]));

describe(createExecutionRegistry.name, () => {
  it('numbers started, the batch sent, one result per host in arrival order and the summary 1..n when every host replies', async () => {
    const { registry } = setup({ nodes: nodes('a', 'b', 'c') });
    const execution = registry.execute(anExecuteInput());
    await execution.done;
    const { events } = execution;
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.map((e) => e.kind)).toEqual(['started', 'sent', 'result', 'result', 'result', 'summary']);
    expect(events[0]).toMatchObject({ kind: 'started', executionId: 'job-1', expectedIdentities: ['a', 'b', 'c'], reportsSent: true });
    expect(events[1]).toMatchObject({ kind: 'sent', batch: 1, identities: ['a', 'b', 'c'], sentAtMs: 10_000 });
    expect(results(events).map((r) => [r.identity, r.state, r.statuscode])).toEqual([
      ['a', 'SUCCEEDED', 0],
      ['b', 'SUCCEEDED', 0],
      ['c', 'SUCCEEDED', 0],
    ]);
    expect(summaryOf(events)).toMatchObject({ state: 'COMPLETED', expected: 3, responded: 3, succeeded: 3, failed: 0, noResponse: 0 });
  });

  it('streams results in the order replies arrive when they arrive out of target order', async () => {
    const { registry, broker } = setup({ nodes: nodes('a', 'b', 'c'), mode: 'manual' });
    const execution = registry.execute(anExecuteInput());
    await broker.waitForCalls(1);
    broker.reply('c');
    broker.reply('a');
    broker.reply('b');
    await execution.done;
    expect(results(execution.events).map((r) => r.identity)).toEqual(['c', 'a', 'b']);
  });

  it('ends silent hosts NO_RESPONSE with statuscode -1 when the timeout passes', async () => {
    const { registry } = setup({ nodes: { a: {}, b: { silent: true } } });
    const execution = registry.execute(anExecuteInput({ identities: ['a', 'b'] }));
    await execution.done;
    expect(results(execution.events).find((r) => r.identity === 'b')).toMatchObject({ state: 'NO_RESPONSE', statuscode: -1 });
    expect(summaryOf(execution.events)).toMatchObject({ state: 'COMPLETED', responded: 1, noResponse: 1 });
  });

  it('marks a host FAILED with its statuscode when the reply is not 0', async () => {
    const { registry } = setup({ nodes: { a: { statuscode: 4, statusmsg: 'invalid data' } } });
    const execution = registry.execute(anExecuteInput({ identities: ['a'] }));
    await execution.done;
    expect(results(execution.events)[0]).toMatchObject({ state: 'FAILED', statuscode: 4, statusmsg: 'invalid data' });
    expect(summaryOf(execution.events)).toMatchObject({ failed: 1, succeeded: 0 });
  });

  it('reports a reply from an identity nobody asked as unexpected', async () => {
    const { registry } = setup({ nodes: nodes('a'), strangers: ['stranger'] });
    const execution = registry.execute(anExecuteInput({ identities: ['a'] }));
    await execution.done;
    expect(results(execution.events).map((r) => [r.identity, r.unexpected])).toEqual([
      ['stranger', true],
      ['a', false],
    ]);
    expect(summaryOf(execution.events)).toMatchObject({ expected: 1, responded: 1, unexpected: 1 });
  });

  it('sends the validated data with DDL defaults and the DDL timeout when the request names none', async () => {
    const { registry, broker } = setup({ nodes: nodes('a') });
    await registry.execute(anExecuteInput({ agent: 'bolt_tasks', action: 'download', identities: ['a'], arguments: { task: 'mymod', files: '[{"f":1}]' } })).done;
    const { call } = broker.calls[0];
    expect(call.request.data).toEqual({ task: 'mymod', files: '[{"f":1}]', environment: 'production' });
    expect(call.timeoutMs).toBe(60_000);
    expect(call.request.collective).toBe('mcollective');
  });

  it('sends batches of batch_size with the sleep between them when batching is asked for', async () => {
    const { registry, broker, sleeps } = setup({ nodes: nodes('a', 'b', 'c', 'd', 'e') });
    const execution = registry.execute(anExecuteInput({ identities: ['a', 'b', 'c', 'd', 'e'], batchSize: 2, batchSleepMs: 250 }));
    await execution.done;
    expect(broker.calls.map((c) => c.call.identities)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(sleeps).toEqual([250, 250]);
    expect(summaryOf(execution.events)).toMatchObject({ expected: 5, succeeded: 5 });
  });

  it('stops publishing and ends unanswered hosts CANCELLED when cancelled mid-execution', async () => {
    const { registry, broker } = setup({ nodes: nodes('a', 'b', 'c', 'd'), mode: 'manual' });
    const execution = registry.execute(anExecuteInput({ identities: ['a', 'b', 'c', 'd'], batchSize: 2 }));
    await broker.waitForCalls(1);
    broker.reply('a');
    const outcome = await registry.cancel('job-1');
    expect(outcome).toEqual({ found: true, cancelledHosts: 3 });
    expect(broker.calls).toHaveLength(1);
    expect(results(execution.events).map((r) => [r.identity, r.state])).toEqual([
      ['a', 'SUCCEEDED'],
      ['b', 'CANCELLED'],
      ['c', 'CANCELLED'],
      ['d', 'CANCELLED'],
    ]);
    expect(summaryOf(execution.events)).toMatchObject({ state: 'CANCELLED', cancelled: 3, succeeded: 1 });
    expect(results(execution.events).map((r) => r.sentAtMs)).toEqual([10_000, 10_000, 0, 0]);
  });

  it('tells asked hosts from hosts never sent when cancelled mid-execution', async () => {
    const { registry, broker } = setup({ nodes: nodes('a', 'b', 'c', 'd'), mode: 'manual' });
    const execution = registry.execute(anExecuteInput({ identities: ['a', 'b', 'c', 'd'], batchSize: 2 }));
    await broker.waitForCalls(1);
    await registry.cancel('job-1');
    expect(execution.events.filter((e) => e.kind === 'sent').map((e) => e.kind === 'sent' && e.identities)).toEqual([['a', 'b']]);
    expect(results(execution.events).map((r) => [r.identity, r.state, r.cause])).toEqual([
      ['a', 'CANCELLED', 'NO_REPLY'],
      ['b', 'CANCELLED', 'NO_REPLY'],
      ['c', 'CANCELLED', 'NOT_SENT'],
      ['d', 'CANCELLED', 'NOT_SENT'],
    ]);
    expect(results(execution.events)[2].reason).toBe('not sent: the execution was cancelled before its batch left');
  });

  it('sends no batch once the deadline has passed and ends its hosts CANCELLED, not sent, naming the deadline', async () => {
    const { registry, broker, clock } = setup({ nodes: nodes('a', 'b', 'c', 'd', 'e'), mode: 'manual' });
    const execution = registry.execute(anExecuteInput({ identities: ['a', 'b', 'c', 'd', 'e'], batchSize: 2, deadlineMs: 15_000 }));
    await broker.waitForCalls(1);
    broker.reply('a');
    clock.now = 15_000;
    broker.expire();
    await execution.done;
    expect(broker.calls.map((c) => c.call.identities)).toEqual([['a', 'b']]);
    expect(results(execution.events).map((r) => [r.identity, r.state, r.cause])).toEqual([
      ['a', 'SUCCEEDED', 'UNSPECIFIED'],
      ['b', 'NO_RESPONSE', 'NO_REPLY'],
      ['c', 'CANCELLED', 'NOT_SENT'],
      ['d', 'CANCELLED', 'NOT_SENT'],
      ['e', 'CANCELLED', 'NOT_SENT'],
    ]);
    expect(results(execution.events)[2]).toMatchObject({ reason: "not sent: the job's deadline passed before batch 2 left", sentAtMs: 0 });
    expect(summaryOf(execution.events)).toMatchObject({ state: 'DEADLINE_PASSED', cancelled: 3, noResponse: 1, succeeded: 1, message: 'deadline passed; 3 hosts not sent' });
  });

  it('waits for replies no longer than the deadline allows, and says so for a silent host', async () => {
    const { registry, broker } = setup({ nodes: { a: {}, b: { silent: true } } });
    const execution = registry.execute(anExecuteInput({ identities: ['a', 'b'], timeoutSeconds: 60, deadlineMs: 12_500 }));
    await execution.done;
    expect(broker.calls[0].call.timeoutMs).toBe(2500);
    expect(results(execution.events).find((r) => r.identity === 'b')).toMatchObject({ state: 'NO_RESPONSE', cause: 'NO_REPLY', reason: "asked; no reply before the job's deadline" });
  });

  it('names the timeout of an asked host that stayed silent when no deadline cut the wait', async () => {
    const { registry } = setup({ nodes: { b: { silent: true } } });
    const execution = registry.execute(anExecuteInput({ identities: ['b'], timeoutSeconds: 7 }));
    await execution.done;
    expect(results(execution.events)[0]).toMatchObject({ state: 'NO_RESPONSE', cause: 'NO_REPLY', reason: 'asked; no reply within the 7 s timeout' });
  });

  it('waits for the broker before each batch and sends the rest once it is ready again', async () => {
    const { registry, broker } = setup({ nodes: nodes('a', 'b', 'c') });
    const waits: Array<{ identities: readonly string[]; untilMs: number }> = [];
    broker.awaitReady = async (identities, _collective, untilMs) => {
      waits.push({ identities, untilMs });
      return true;
    };
    const execution = registry.execute(anExecuteInput({ identities: ['a', 'b', 'c'], batchSize: 2, timeoutSeconds: 5, deadlineMs: 40_000 }));
    await execution.done;
    // Each batch must still get its whole 5 s timeout before the deadline.
    expect(waits).toEqual([{ identities: ['a', 'b'], untilMs: 35_000 }, { identities: ['c'], untilMs: 35_000 }]);
    expect(summaryOf(execution.events)).toMatchObject({ state: 'COMPLETED', succeeded: 3 });
  });

  it('ends the hosts never sent FAILED, naming the broker, when it stays unreachable until the deadline', async () => {
    const { registry, broker } = setup({ nodes: nodes('a', 'b', 'c') });
    let readyCalls = 0;
    broker.awaitReady = async () => ++readyCalls === 1;
    const execution = registry.execute(anExecuteInput({ identities: ['a', 'b', 'c'], batchSize: 2, deadlineMs: 40_000 }));
    await execution.done;
    expect(broker.calls).toHaveLength(1);
    expect(results(execution.events).map((r) => [r.identity, r.state, r.cause])).toEqual([
      ['a', 'SUCCEEDED', 'UNSPECIFIED'],
      ['b', 'SUCCEEDED', 'UNSPECIFIED'],
      ['c', 'FAILED', 'NOT_SENT'],
    ]);
    expect(results(execution.events)[2].reason).toBe("not sent: the broker nats://fake:4222 was unreachable until less than one reply timeout was left before the job's deadline");
    expect(summaryOf(execution.events)).toMatchObject({ state: 'BROKER_FAILED', failed: 1, succeeded: 2 });
  });

  it('sends again, after the broker is back, the hosts a dropped connection never published', async () => {
    const { registry, broker } = setup({ nodes: { a: {}, b: { unsentOnce: true } } });
    broker.awaitReady = async () => true;
    const execution = registry.execute(anExecuteInput({ identities: ['a', 'b'] }));
    await execution.done;
    expect(broker.calls.map((c) => c.call.identities)).toEqual([['a', 'b'], ['b']]);
    expect(execution.events.filter((e) => e.kind === 'sent').map((e) => e.kind === 'sent' && e.identities)).toEqual([['a', 'b'], ['b']]);
    expect(summaryOf(execution.events)).toMatchObject({ succeeded: 2 });
  });

  it('ends a host whose reply failed the security check FAILED with the reason the broker gave', async () => {
    const { registry } = setup({ nodes: { a: {}, b: { refused: 'refused by security: the reply from b failed the psk check' } } });
    const execution = registry.execute(anExecuteInput({ identities: ['a', 'b'] }));
    await execution.done;
    expect(results(execution.events).find((r) => r.identity === 'b')).toMatchObject({ state: 'FAILED', cause: 'SECURITY', statuscode: -1, reason: 'refused by security: the reply from b failed the psk check' });
    expect(summaryOf(execution.events)).toMatchObject({ failed: 1, succeeded: 1, noResponse: 0 });
  });

  it('finishes the execution when a reader throws while being notified', async () => {
    const { registry } = setup({ nodes: nodes('a', 'b', 'c') });
    const execution = registry.execute(anExecuteInput());
    execution.onChange(() => {
      throw new Error('stream destroyed');
    });
    await execution.done;
    expect(summaryOf(execution.events)).toMatchObject({ succeeded: 3 });
  });

  it('answers found=false when cancelling an unknown execution', async () => {
    const { registry } = setup();
    await expect(registry.cancel('nope')).resolves.toEqual({ found: false, cancelledHosts: 0 });
  });

  it('replays the events after a sequence and then follows live when a caller catches up', async () => {
    const { registry, broker } = setup({ nodes: nodes('a', 'b', 'c'), mode: 'manual' });
    registry.execute(anExecuteInput());
    await broker.waitForCalls(1);
    broker.reply('b');
    broker.reply('a');
    const execution = registry.get('job-1');
    if (!execution) throw new Error('execution not retained');
    expect(execution.events.slice(3).map((e) => e.sequence)).toEqual([4]);
    const seen: number[] = [];
    const unsubscribe = execution.onChange(() => seen.push(execution.events[execution.events.length - 1].sequence));
    broker.reply('c');
    await execution.done;
    unsubscribe();
    expect(seen).toEqual([5, 6]);
    expect(execution.isFinished()).toBe(true);
  });

  it('refuses a second execution with the id of a running one with ALREADY_EXISTS', async () => {
    const { registry, broker } = setup({ nodes: nodes('a', 'b', 'c'), mode: 'manual' });
    registry.execute(anExecuteInput());
    await broker.waitForCalls(1);
    expect(() => registry.execute(anExecuteInput())).toThrow(expect.objectContaining({ code: 'ALREADY_EXISTS' }));
    expect(broker.calls).toHaveLength(1);
  });

  it('runs an id again when the earlier execution with it has finished', async () => {
    const { registry } = setup({ nodes: nodes('a', 'b', 'c') });
    await registry.execute(anExecuteInput()).done;
    const again = registry.execute(anExecuteInput());
    await again.done;
    expect(registry.get('job-1')).toBe(again);
  });

  it('refuses bad arguments before anything is sent and audits the refusal', () => {
    const { registry, broker, audits } = setup({ nodes: nodes('a') });
    let caught: unknown;
    try {
      registry.execute(anExecuteInput({ agent: 'package', action: 'install', arguments: { package: 'vim; reboot', token: 's3cret' }, identities: ['a'] }));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).details).toMatchObject({ rule: 'unknown_input', input: 'token' });
    expect(broker.calls).toHaveLength(0);
    expect(audits).toHaveLength(1);
    expect(audits[0].outcome).toMatchObject({ state: 'rejected' });
  });

  it('refuses with UNAVAILABLE when the broker is not connected', () => {
    const { registry, broker } = setup({ nodes: nodes('a') });
    broker.setConnected(false);
    expect(() => registry.execute(anExecuteInput({ identities: ['a'] }))).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }));
  });

  it('refuses an identity that cannot be a subject token before anything is sent', () => {
    const { registry, broker } = setup({ nodes: nodes('a') });
    expect(() => registry.execute(anExecuteInput({ identities: ['a', 'web 1'] }))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { input: 'identities', rule: 'identity' } }));
    expect(broker.calls).toHaveLength(0);
  });

  it('refuses a collective the proxy does not serve', () => {
    const { registry } = setup({ nodes: nodes('a') });
    expect(() => registry.execute(anExecuteInput({ identities: ['a'], collective: 'other' }))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('discovers with the filter plus the agent when no identities are given', async () => {
    const { registry, broker } = setup({ nodes: { a: {}, b: {}, quiet: { silent: true } } });
    const filter = { fact: [{ fact: 'os', operator: '==', value: 'Linux' }], cf_class: [], identity: [], agent: [], compound: '' };
    const execution = registry.execute(anExecuteInput({ identities: [], filter, discoveryTimeoutMs: 700, collective: 'dev' }));
    await execution.done;
    expect(broker.discoveries).toEqual([{ filter: { ...filter, agent: ['rpcutil'] }, collective: 'dev', timeoutMs: 700 }]);
    expect(execution.events[0]).toMatchObject({ kind: 'started', expectedIdentities: ['a', 'b'] });
    expect(summaryOf(execution.events)).toMatchObject({ expected: 2, succeeded: 2 });
  });

  it.each([
    ['no filter', undefined],
    ['an empty filter', { fact: [], cf_class: [], identity: [], agent: [], compound: ' ' }],
  ])('refuses with INVALID_ARGUMENT and audits an execution with no identities and %s, unless it says all_nodes', async (_what, filter) => {
    const { registry, broker, audits } = setup({ nodes: nodes('a', 'b') });
    expect(() => registry.execute(anExecuteInput({ executionId: 'everything', identities: [], filter }))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('set all_nodes'), details: { input: 'identities', rule: 'target required' } }),
    );
    expect(broker.discoveries).toEqual([]);
    expect(broker.calls).toEqual([]);
    expect(audits).toEqual([expect.objectContaining({ executionId: 'everything', outcome: expect.objectContaining({ state: 'rejected' }) })]);

    const execution = registry.execute(anExecuteInput({ executionId: 'everything-meant', identities: [], filter, allNodes: true }));
    await execution.done;
    expect(summaryOf(execution.events)).toMatchObject({ expected: 2, succeeded: 2 });
  });

  it('passes the DDL input types with the request so a typed transport can encode them', async () => {
    const { registry, broker } = setup({ nodes: nodes('a') });
    await registry.execute(anExecuteInput({ agent: 'bolt_tasks', action: 'download', identities: ['a'], arguments: { task: 'mymod', files: '[{"f":1}]' } })).done;
    expect(broker.calls[0].call.request.inputTypes).toEqual({ task: 'string', files: 'string', environment: 'string' });
  });

  it('refuses a filter the broker says it cannot carry before anything is sent', () => {
    const { registry, broker } = setup({ nodes: nodes('a') });
    // The fake stands in for a transport with its own filter rules (MCollective's compound syntax).
    broker.checkFilter = (filter) => (filter.compound === 'bad(' ? 'unterminated function call' : undefined);
    const filter = { fact: [], cf_class: [], identity: [], agent: [], compound: 'bad(' };
    expect(() => registry.execute(anExecuteInput({ identities: [], filter }))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'filter cannot be sent on choria: unterminated function call', details: { input: 'filter.compound', rule: 'compound' } }),
    );
    expect(broker.discoveries).toEqual([]);
    expect(broker.calls).toEqual([]);
  });

  it('ends every host NO_RESPONSE with BROKER_FAILED when the broker fails', async () => {
    const { registry } = setup({ nodes: nodes('a', 'b'), failWith: new Error('connection closed') });
    const execution = registry.execute(anExecuteInput({ identities: ['a', 'b'] }));
    await execution.done;
    expect(execution.events.map((e) => e.kind)).toEqual(['started', 'sent', 'result', 'result', 'summary']);
    // The batch was handed to the broker before it failed: the hosts may have been asked.
    expect(results(execution.events).map((r) => [r.state, r.cause])).toEqual([['NO_RESPONSE', 'NO_REPLY'], ['NO_RESPONSE', 'NO_REPLY']]);
    expect(summaryOf(execution.events)).toMatchObject({ state: 'BROKER_FAILED', noResponse: 2, message: 'broker failed: connection closed' });
  });

  it('forgets a finished execution when its retention has passed', async () => {
    const { registry, clock } = setup({ nodes: nodes('a', 'b', 'c'), retentionMs: 1000 });
    await registry.execute(anExecuteInput()).done;
    clock.now += 999;
    expect(registry.get('job-1')).toBeDefined();
    clock.now += 1;
    expect(registry.get('job-1')).toBeUndefined();
  });

  it('keeps at most max_retained finished executions, dropping the oldest first', async () => {
    const { registry } = setup({ nodes: nodes('a'), maxRetained: 2 });
    for (const id of ['j1', 'j2', 'j3']) await registry.execute(anExecuteInput({ executionId: id, identities: ['a'] })).done;
    expect(['j1', 'j2', 'j3'].map((id) => registry.get(id) !== undefined)).toEqual([false, true, true]);
  });

  it('audits one line per execution with the outcome counts when it ends', async () => {
    const { registry, audits } = setup({ nodes: { a: {}, b: { silent: true } } });
    await registry.execute(anExecuteInput({ identities: ['a', 'b'] })).done;
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ executionId: 'job-1', caller: 'admin', agent: 'rpcutil', action: 'ping', targets: ['a', 'b'] });
    expect(audits[0].outcome).toEqual({ state: 'completed', succeeded: 1, failed: 0, no_response: 1, cancelled: 0, unexpected: 0 });
    expect(audits[0].requestIds).toHaveLength(1);
  });

  it('handles 10,000 hosts in one pass when they all reply', async () => {
    const identities = Array.from({ length: 10_000 }, (_, i) => `node${i}`);
    const { registry } = setup({ nodes: Object.fromEntries(identities.map((id) => [id, {}])) });
    const started = process.hrtime.bigint();
    const execution = registry.execute(anExecuteInput({ identities }));
    await execution.done;
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(execution.events).toHaveLength(10_003);
    expect(summaryOf(execution.events)).toMatchObject({ expected: 10_000, succeeded: 10_000 });
    // Linear work takes a few tens of ms here; an O(n^2) step over 10k hosts would take seconds.
    expect(elapsedMs).toBeLessThan(1500);
  });
});

describe('sensitive arguments in replies', () => {
  it('masks a sensitive value wherever a reply echoes it, before any event holds it', async () => {
    const secret = 'hunter2-token-value';
    const broker = createFakeBroker({ nodes: { a: { statusmsg: `failed for ${secret}`, data: { out: `the token is ${secret}`, nested: { again: secret } } } } });
    const ddls = createDdlRegistry([anAgentSpec({ run: { user: anInput({ type: 'string' }), token: anInput({ type: 'string', sensitive: true }) } })]);
    const registry = createExecutionRegistry({
      broker,
      ddls,
      audit: { record: () => undefined, reopen: async () => undefined, close: async () => undefined },
      logger: silentLogger(),
      callerid: 'choria=rex.mcollective',
      collectives: ['mcollective'],
      mainCollective: 'mcollective',
      defaultDiscoveryTimeoutMs: 100,
      retentionMs: 60_000,
      maxRetained: 10,
    });
    const execution = registry.execute(anExecuteInput({ agent: 'test', action: 'run', arguments: { user: 'alice', token: secret }, identities: ['a'] }));
    await execution.done;
    const result = execution.events.find((e): e is HostResultEvent => e.kind === 'result')!;
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(JSON.parse(result.dataJson)).toEqual({ out: 'the token is ********', nested: { again: '********' } });
    expect(result.statusmsg).toBe('failed for ********');
  });
});

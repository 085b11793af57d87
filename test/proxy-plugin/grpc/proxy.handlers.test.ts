import { EventEmitter } from 'node:events';
import path from 'node:path';
import { Metadata, status as GrpcCode, type ServerWritableStream } from '@grpc/grpc-js';

import type { ExecuteEvent } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { ExecuteRequest__Output } from '@protos/generated/rex/proxy/v1/ExecuteRequest';
import { createDdlRegistry, loadDdlDirectory } from '@proxy/actions/ddl-registry';
import { createExecutionRegistry } from '@proxy/actions/executions';
import { createNodeInventory } from '@proxy/actions/nodes';
import { AppError } from '@proxy/errors';
import { toGrpcStatus } from '@proxy/grpc/grpc-status';
import { createProxyHandlers } from '@proxy/grpc/proxy.handlers';
import { silentLogger } from '@proxy/logger';
import { createFakeBroker, type FakeNode } from '@test/fakes/fake-broker.client';

/** A server stream whose buffer holds `capacity` messages until the test drains it. */
class FakeServerStream extends EventEmitter {
  readonly metadata = new Metadata();
  readonly written: ExecuteEvent[] = [];
  ended = false;
  /** grpc-js sets it once the client cancelled the call (or its connection went away). */
  cancelled = false;
  private buffered = 0;

  constructor(
    readonly request: ExecuteRequest__Output,
    private readonly capacity: number,
  ) {
    super();
  }

  write(message: ExecuteEvent): boolean {
    if (this.ended) throw new Error('write after end');
    this.written.push(message);
    this.buffered++;
    return this.buffered < this.capacity;
  }

  end(): void {
    this.ended = true;
  }

  drain(): void {
    this.buffered = 0;
    this.emit('drain');
  }
}

function anExecuteRequest(fields: Partial<ExecuteRequest__Output> = {}): ExecuteRequest__Output {
  return {
    execution_id: 'job-1',
    agent: 'rpcutil',
    action: 'ping',
    arguments_json: '{}',
    identities: ['a', 'b', 'c', 'd', 'e'],
    filter: null,
    timeout_seconds: 0,
    batch_size: 0,
    batch_sleep_ms: 0,
    caller: 'admin',
    collective: '',
    discovery_timeout_ms: 0,
    all_nodes: false,
    deadline_unix_ms: 0,
    accept_result_batches: false,
    ...fields,
  };
}

function handlersWith(nodes: Record<string, FakeNode>, hooks: { beforeExecute?: (agent: string, action: string) => Promise<void> } = {}) {
  const broker = createFakeBroker({ nodes });
  const ddls = createDdlRegistry(loadDdlDirectory(path.resolve(__dirname, '../../../proxy-plugin/ddl')).agents);
  const logger = silentLogger();
  const collectives = ['mcollective'];
  const executions = createExecutionRegistry({
    broker,
    ddls,
    audit: { record: () => undefined, reopen: async () => undefined, close: async () => undefined },
    logger,
    callerid: 'choria=rex.mcollective',
    collectives,
    mainCollective: 'mcollective',
    defaultDiscoveryTimeoutMs: 100,
    retentionMs: 60_000,
    maxRetained: 10,
  });
  const handlers = createProxyHandlers({
    manifest: { name: 'mco-rex-proxy', version: '0.0.0-test', capabilities: ['remote_execution'] },
    name: 'p',
    transport: 'choria',
    collectives,
    broker,
    ddls,
    executions,
    nodes: createNodeInventory({ broker, ddls, collectives, mainCollective: 'mcollective', defaultDiscoveryTimeoutMs: 100 }),
    logger,
    ...hooks,
  });
  return { handlers, executions, broker };
}

const asCall = (stream: FakeServerStream) => stream as unknown as ServerWritableStream<ExecuteRequest__Output, ExecuteEvent>;

describe(createProxyHandlers.name, () => {
  it('stops writing when the stream buffer is full and resumes on drain', async () => {
    const { handlers, executions } = handlersWith({ a: {}, b: {}, c: {}, d: {}, e: {} });
    const stream = new FakeServerStream(anExecuteRequest(), 3);
    handlers.Execute(asCall(stream));
    await executions.get('job-1')?.done;
    expect(stream.written).toHaveLength(3);
    stream.drain();
    expect(stream.written).toHaveLength(6);
    expect(stream.ended).toBe(false);
    stream.drain();
    expect(stream.written.map((e) => Number(e.sequence))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(stream.ended).toBe(true);
  });

  it('emits INVALID_ARGUMENT and writes nothing when the arguments break the DDL', () => {
    const { handlers, broker } = handlersWith({ a: {} });
    const stream = new FakeServerStream(anExecuteRequest({ agent: 'package', action: 'install', arguments_json: '{"package":"a|b"}' }), 100);
    const errors: unknown[] = [];
    stream.on('error', (error) => errors.push(error));
    handlers.Execute(asCall(stream));
    expect(errors).toEqual([expect.objectContaining({ code: GrpcCode.INVALID_ARGUMENT })]);
    expect(stream.written).toEqual([]);
    expect(broker.calls).toEqual([]);
  });

  it('fails the call with the hook error and sends nothing when preparing the execution fails', async () => {
    const { handlers, broker } = handlersWith({ a: {} }, { beforeExecute: async () => { throw new AppError('UNAVAILABLE', 'Puppet Server https://puppet:8140 cannot be reached'); } });
    const stream = new FakeServerStream(anExecuteRequest({ agent: 'tasks', action: 'mod::task' }), 100);
    const errors = new Promise<unknown>((resolve) => stream.on('error', resolve));
    handlers.Execute(asCall(stream));
    expect(await errors).toEqual(expect.objectContaining({ code: GrpcCode.UNAVAILABLE, details: 'Puppet Server https://puppet:8140 cannot be reached' }));
    expect(broker.calls).toEqual([]);
  });

  it('validates after the hook so that what the hook loaded takes part', async () => {
    const seen: string[] = [];
    const { handlers, executions } = handlersWith({ a: {} }, { beforeExecute: async (agent, action) => { seen.push(`${agent}#${action}`); } });
    handlers.Execute(asCall(new FakeServerStream(anExecuteRequest({ identities: ['a'] }), 100)));
    await new Promise((resolve) => setImmediate(resolve));
    await executions.get('job-1')?.done;
    expect(seen).toEqual(['rpcutil#ping']);
    expect(executions.get('job-1')?.isFinished()).toBe(true);
  });

  it('never starts an execution whose caller went away while the hook prepared it', async () => {
    let prepared = () => undefined as void;
    const { handlers, executions, broker } = handlersWith({ a: {} }, { beforeExecute: () => new Promise<void>((resolve) => (prepared = resolve)) });
    const stream = new FakeServerStream(anExecuteRequest({ identities: ['a'] }), 100);
    handlers.Execute(asCall(stream));
    stream.cancelled = true;
    stream.emit('cancelled');
    prepared();
    await new Promise((resolve) => setImmediate(resolve));
    expect(executions.get('job-1')).toBeUndefined();
    expect(broker.calls).toEqual([]);
  });

  it('keeps the execution running when the client cancels its stream', async () => {
    const { handlers, executions } = handlersWith({ a: {}, b: {}, c: {}, d: {}, e: {} });
    const stream = new FakeServerStream(anExecuteRequest(), 1);
    handlers.Execute(asCall(stream));
    stream.emit('cancelled');
    await executions.get('job-1')?.done;
    expect(executions.get('job-1')?.events).toHaveLength(8);
    stream.drain();
    expect(stream.written).toHaveLength(1);
  });
});

describe(toGrpcStatus.name, () => {
  it('sends the message and details of an AppError', () => {
    const status = toGrpcStatus(new AppError('NOT_FOUND', 'execution x is unknown', { details: { input: 'execution_id' } }), 'r1');
    expect(status.code).toBe(GrpcCode.NOT_FOUND);
    expect(status.details).toBe('execution x is unknown');
    expect(status.metadata.get('x-error-details')).toEqual(['{"input":"execution_id"}']);
  });

  it('hides everything but the request id when the error is a bug', () => {
    const status = toGrpcStatus(new TypeError('cannot read properties of undefined (secret path)'), 'r2');
    expect(status.code).toBe(GrpcCode.INTERNAL);
    expect(status.details).toBe('internal error (request id r2)');
  });
});

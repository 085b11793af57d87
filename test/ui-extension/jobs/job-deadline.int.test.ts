/**
 * A job's deadline and what is recorded when this side gives up on a proxy (issue 27), on both
 * databases, with a scripted proxy client and a controllable clock: the deadline covers the whole
 * rollout and reaches the proxy; at the deadline a proxy that does not answer the cancel has its
 * asked hosts recorded no_response and its hosts never sent cancelled; replies it delivers later
 * are stored as late results (counted, flagged, never replayed as "failed"); a dead proxy is found
 * once per job, not once per concurrency chunk.
 */
import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { ExecuteRequest } from '@protos/generated/rex/proxy/v1/ExecuteRequest';
import { AppError } from '@server/errors';
import { createAuditRepository } from '@server/audit/audit.repository';
import { createAuditService } from '@server/audit/audit.service';
import { createHostRepository } from '@server/inventory/host.repository';
import { createSmartProxyRepository } from '@server/inventory/smart-proxy.repository';
import { validateJobArguments } from '@server/jobs/ddl-arguments';
import type { JobProxyClient } from '@server/jobs/job-dispatcher';
import { createJobInvocationRepository } from '@server/jobs/job-invocation.repository';
import { createJobInvocationService, type JobInvocationService } from '@server/jobs/job-invocation.service';
import { silentLogger } from '@server/logger';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { proxyPluginAgents } from './support/grpc-proxies';
import { seedInventory, type SeededInventory } from './support/job-stack';

jest.setTimeout(60_000);

const admin = { id: 1, login: 'admin', admin: true };

type Emit = (event: Partial<ExecuteEvent__Output>) => void;

/** A proxy client whose calls the test scripts; every call is recorded. */
function scriptedProxy() {
  const calls = { execute: [] as ExecuteRequest[], getResults: [] as Array<{ execution_id: string; after_sequence: number }>, cancel: [] as string[] };
  const script = {
    execute: async (_request: ExecuteRequest, _emit: Emit, _signal?: AbortSignal): Promise<void> => undefined,
    getResults: async (_request: { execution_id: string; after_sequence: number }, _emit: Emit, _signal?: AbortSignal): Promise<void> => undefined,
    cancel: async (_executionId: string): Promise<{ found: boolean; cancelled_hosts: number }> => ({ found: false, cancelled_hosts: 0 }),
  };
  const emitter = (onEvent: (event: ExecuteEvent__Output) => void): Emit => (event) => onEvent(event as ExecuteEvent__Output);
  const client: JobProxyClient = {
    execute: (_url, request, onEvent, signal) => {
      calls.execute.push(request);
      return script.execute(request, emitter(onEvent), signal);
    },
    getResults: (_url, request, onEvent, signal) => {
      calls.getResults.push(request);
      return script.getResults(request, emitter(onEvent), signal);
    },
    cancel: (_url, executionId) => {
      calls.cancel.push(executionId);
      return script.cancel(executionId);
    },
  };
  return { client, calls, script };
}

const untilAborted = (signal?: AbortSignal) => new Promise<void>((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve(), { once: true })));

function result(sequence: number, identity: string, fields: Record<string, unknown>): Partial<ExecuteEvent__Output> {
  return {
    sequence,
    event: 'result',
    result: { identity, state: 'HOST_STATE_SUCCEEDED', statuscode: 0, statusmsg: 'OK', data_json: '{}', sent_at_ms: 1000, received_at_ms: 2000, unexpected: false, cause: 'HOST_CAUSE_UNSPECIFIED', reason: '', ...fields },
  } as Partial<ExecuteEvent__Output>;
}

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(testDatabases())('job deadline and late results on $kind', (database) => {
  let db: OpenTestDataSource;
  let ids: SeededInventory;
  let now: Date;
  let service: JobInvocationService;
  let proxy: ReturnType<typeof scriptedProxy>;

  beforeAll(async () => {
    db = await openTestDataSource(database);
    ids = await seedInventory(db.dataSource, {
      hostgroups: ['late', 'dead'],
      proxies: [
        { name: 'scripted', url: 'grpc://scripted.test:1', capabilities: ['remote_execution'] },
        { name: 'dead', url: 'grpc://dead.test:1', capabilities: ['remote_execution'] },
      ],
      hosts: [
        ...[1, 2, 3, 4].map((i) => ({ name: `late-${i}`, hostgroup: 'late', proxy: 'scripted' })),
        ...[1, 2, 3, 4, 5].map((i) => ({ name: `dead-${i}`, hostgroup: 'dead', proxy: 'dead' })),
      ],
    });
  });

  beforeEach(() => {
    now = new Date();
    proxy = scriptedProxy();
    const catalog = {
      findAction: async (namespace: string, action: string) => ({ namespace, action: proxyPluginAgents().find((a) => a.metadata?.name === namespace)!.actions.find((a) => a.name === action)!, timeout: 10 }),
    };
    service = createJobInvocationService({
      repo: createJobInvocationRepository(db.dataSource),
      inventory: createHostRepository(db.dataSource.manager),
      smartProxies: createSmartProxyRepository(db.dataSource.manager),
      proxies: proxy.client,
      catalog,
      validateArguments: validateJobArguments,
      audit: createAuditService({ repo: createAuditRepository(db.dataSource), clock: () => now, logger: silentLogger() }),
      clock: () => now,
      logger: silentLogger(),
      config: { global_concurrency: 100, default_timeout_s: 1, retention_days: 30, result_batch_size: 500, long_poll_max_s: 10, max_hosts_per_job: 1000, late_results_window_s: 60 },
      instanceId: 'deadline',
      leaseMs: 600,
      graceMs: 0,
    });
  });

  afterEach(async () => {
    await service.stop();
  });

  afterAll(async () => {
    await db?.close();
  });

  const byName = async (jobId: number) => Object.fromEntries((await service.hosts(admin, jobId, { page: 1, perPage: 10 })).results.map((h) => [h.host_name, h]));

  it('sends every chunk the deadline of the whole rollout: each batch at its full timeout, plus one spare (at least 10 s)', async () => {
    proxy.script.execute = async (request, emit) => {
      emit({ sequence: 1, event: 'started', started: { execution_id: request.execution_id!, request_id: '', expected_identities: request.identities as string[], reports_sent: true } });
      (request.identities as string[]).forEach((identity, i) => emit(result(i + 2, identity, {})));
    };
    const job = await service.create(admin, { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('late')! }, batch_size: 2, concurrency_level: 3, timeout: 7 });
    service.start();
    await service.whenDispatched(job.id);
    const done = await service.get(admin, job.id);
    expect(done.state).toBe('succeeded');
    // 4 hosts in chunks of 3 (3 + 1) and batches of 2: 2 + 1 batches of 7 s, and 10 s spare (more than
    // one 7 s timeout). The proxy gets it on the wall clock: the test's clock stands still, so each
    // chunk gets 31 s from now.
    expect(new Date(done.started_at!).getTime()).toBe(now.getTime());
    expect(proxy.calls.execute.map((r) => r.identities)).toEqual([['late-1', 'late-2', 'late-3'], ['late-4']]);
    for (const r of proxy.calls.execute) expect(Number(r.deadline_unix_ms) - Date.now()).toBeGreaterThan(30_000);
    for (const r of proxy.calls.execute) expect(Number(r.deadline_unix_ms) - Date.now()).toBeLessThanOrEqual(31_000);
  });

  it('records asked hosts no_response and hosts never sent cancelled when the proxy does not answer the cancel at the deadline, then stores its replies as late results', async () => {
    // Batch 1 (late-1, late-2) is sent; late-2 fails at once; then the proxy stalls past the deadline.
    proxy.script.execute = async (request, emit, signal) => {
      emit({ sequence: 1, event: 'started', started: { execution_id: request.execution_id!, request_id: '', expected_identities: request.identities as string[], reports_sent: true } });
      emit({ sequence: 2, event: 'sent', sent: { batch: 1, identities: ['late-1', 'late-2'], sent_at_ms: 1500 } });
      emit(result(3, 'late-2', { state: 'HOST_STATE_FAILED', statuscode: 4, statusmsg: 'invalid data' }));
      await untilAborted(signal);
    };
    // The cancel at the deadline finds the proxy stalled; the late follower's, later, reaches it.
    let cancels = 0;
    proxy.script.cancel = async () => {
      if (++cancels === 1) throw new AppError('UNAVAILABLE', 'smart proxy grpc://scripted.test:1: deadline exceeded');
      return { found: true, cancelled_hosts: 0 };
    };
    const job = await service.create(admin, { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('late')! }, batch_size: 2, timeout: 1 });
    service.start();
    await until('late-2 stored', async () => (await service.get(admin, job.id)).counts.failed, (n) => n === 1);
    // Later replies come through GetResults, after the last event this side saw, once the test lets them.
    let lateAsked: { resolve: () => void } | undefined;
    const lateDelivered = new Promise<void>((resolve) => (lateAsked = { resolve }));
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    proxy.script.getResults = async (request, emit, signal) => {
      await Promise.race([released, untilAborted(signal)]);
      expect(request.after_sequence).toBe(3);
      emit(result(4, 'late-1', { state: 'HOST_STATE_FAILED', statuscode: 1, statusmsg: 'aborted', received_at_ms: 5000 }));
      emit({ sequence: 5, event: 'summary', summary: { state: 'EXECUTION_STATE_DEADLINE_PASSED' } as never });
      lateAsked!.resolve();
    };
    now = new Date(now.getTime() + 60_000);
    await service.whenDispatched(job.id);

    const ended = await service.get(admin, job.id);
    expect(ended.state).toBe('failed');
    release();
    await lateDelivered;
    // At the deadline (unanswered), then by the late follower before fetching: the job is over, nothing more may be sent.
    expect(proxy.calls.cancel).toEqual([`${job.id}-${ids.proxyIds.get('scripted')}-1`, `${job.id}-${ids.proxyIds.get('scripted')}-1`]);
    const hosts = await until('the late result stored', () => byName(job.id), (h) => h['late-1'].late);
    expect(hosts['late-2']).toMatchObject({ state: 'failed', statuscode: 4, late: false });
    expect(hosts['late-3']).toMatchObject({ state: 'cancelled', started_at: null, late: false });
    expect(hosts['late-3'].reason).toBe("not sent: the job's deadline passed before smart proxy scripted sent it (smart proxy scripted did not answer the cancel: smart proxy grpc://scripted.test:1: deadline exceeded)");
    expect(hosts['late-4']).toMatchObject({ state: 'cancelled', started_at: null });
    // late-1 was asked: no_response at the job's end, then its late reply says it ran (and failed).
    expect(hosts['late-1']).toMatchObject({ state: 'failed', statuscode: 1, statusmsg: 'aborted', late: true, started_at: new Date(1500).toISOString() });
    expect(hosts['late-1'].reason).toBe('late result: the reply arrived after the job had ended, which had recorded this host no_response');
    const after = await service.get(admin, job.id);
    expect(after).toMatchObject({ state: 'failed', late_results: 1, counts: { failed: 2, no_response: 0, cancelled: 2, succeeded: 0 } });
    expect(after.version).toBeGreaterThan(ended.version);

    // late-2 failed in time and is replayed; late-1 ran (its late result says so) and is not.
    const replay = await service.replay(admin, job.id, { hosts: 'failed' });
    expect(replay.total_hosts).toBe(1);
    expect((await service.hosts(admin, replay.id, { page: 1, perPage: 10 })).results.map((h) => h.host_name)).toEqual(['late-2']);
  });

  it('gives up on a dead proxy once per job: the later chunks fail at once, naming it', async () => {
    proxy.script.execute = async () => {
      throw new AppError('UNAVAILABLE', 'smart proxy grpc://dead.test:1: No connection established');
    };
    const job = await service.create(admin, { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('dead')! }, concurrency_level: 1, timeout: 1 });
    service.start();
    await service.whenDispatched(job.id);
    // One chunk tried through the re-attach window (1 + 5 attempts); the other four never tried.
    expect(proxy.calls.execute.filter((r) => r.execution_id?.startsWith(`${job.id}-`))).toHaveLength(6);
    const hosts = Object.values(await byName(job.id));
    expect(hosts.map((h) => h.state)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
    expect(hosts[0].reason).toBe('smart proxy dead failed: smart proxy grpc://dead.test:1: No connection established');
    for (const h of hosts.slice(1)) expect(h.reason).toBe('not sent: smart proxy dead failed earlier in this job: smart proxy grpc://dead.test:1: No connection established');
  });
});

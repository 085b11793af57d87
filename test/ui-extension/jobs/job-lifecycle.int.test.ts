/**
 * The job service's time-driven duties on both databases, with a controllable clock: a job past its
 * deadline ends (no job stays running for ever) and retention purges host rows but keeps summaries;
 * what it refuses to keep for later: sensitive values, which are never stored; and that a job and
 * its audit entry are stored together or not at all.
 */
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { createHostRepository } from '@server/inventory/host.repository';
import { createSmartProxyRepository } from '@server/inventory/smart-proxy.repository';
import type { JobProxyClient } from '@server/jobs/job-dispatcher';
import { createJobInvocationRepository } from '@server/jobs/job-invocation.repository';
import { createJobInvocationService, type JobInvocationService } from '@server/jobs/job-invocation.service';
import { silentLogger } from '@server/logger';
import { createAuditRepository } from '@server/audit/audit.repository';
import { createAuditService } from '@server/audit/audit.service';
import { validateJobArguments } from '@server/jobs/ddl-arguments';
import { proxyPluginAgents } from './support/grpc-proxies';
import { seedInventory, type SeededInventory } from './support/job-stack';

jest.setTimeout(60_000);

const admin = { id: 1, login: 'admin', admin: true };
const PROXY = { name: 'hanging', url: 'grpc://hanging.test:1', capabilities: ['remote_execution'] };

/** A proxy that accepts the execution and then never answers or ends the stream. */
function hangingProxy(): JobProxyClient {
  const hang = (signal?: AbortSignal) => new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
  return {
    execute: (_url, _request, _onEvent, signal) => hang(signal),
    getResults: (_url, _request, _onEvent, signal) => hang(signal),
    cancel: async () => ({ found: false, cancelled_hosts: 0 }),
  };
}

describe.each(testDatabases())('job lifecycle on $kind', (database) => {
  let db: OpenTestDataSource;
  let ids: SeededInventory;
  let now: Date;
  let service: JobInvocationService;
  let repo: ReturnType<typeof createJobInvocationRepository>;
  /** Inputs the catalog marks sensitive (as a Puppet task's Sensitive parameters are). */
  let sensitive: Set<string>;
  /** Makes the audit store fail, as a full disk or a lost connection would. */
  let auditFails: boolean;

  beforeAll(async () => {
    db = await openTestDataSource(database);
    ids = await seedInventory(db.dataSource, {
      hostgroups: ['lifecycle'],
      proxies: [PROXY],
      hosts: [1, 2, 3].map((i) => ({ name: `life-${i}`, hostgroup: 'lifecycle', proxy: 'hanging' })),
    });
  });

  beforeEach(() => {
    now = new Date();
    sensitive = new Set();
    auditFails = false;
    const smartProxies = createSmartProxyRepository(db.dataSource.manager);
    const proxies = hangingProxy();
    const catalog = {
      findAction: async (namespace: string, action: string) => {
        const ddl = proxyPluginAgents().find((a) => a.metadata?.name === namespace)!.actions.find((a) => a.name === action)!;
        return { namespace, action: { ...ddl, inputs: ddl.inputs.map((i) => ({ ...i, sensitive: sensitive.has(i.name) })) }, timeout: 10 };
      },
    };
    repo = createJobInvocationRepository(db.dataSource);
    service = createJobInvocationService({
      repo,
      inventory: createHostRepository(db.dataSource.manager),
      smartProxies,
      proxies,
      catalog,
      validateArguments: validateJobArguments,
      audit: (() => {
        const real = createAuditService({ repo: createAuditRepository(db.dataSource), clock: () => now, logger: silentLogger() });
        return { record: (entry, tx) => (auditFails ? Promise.reject(new Error('audit store unavailable')) : real.record(entry, tx)) };
      })(),
      clock: () => now,
      logger: silentLogger(),
      config: { global_concurrency: 100, default_timeout_s: 1, retention_days: 30, result_batch_size: 500, long_poll_max_s: 10, max_hosts_per_job: 1000 },
      instanceId: 'lifecycle',
      leaseMs: 600,
      graceMs: 0,
    });
  });

  afterEach(async () => {
    await service.stop();
  });

  it('answers a long poll whose version has passed already from the row it read, without reading it again', async () => {
    const job = await service.create(admin, { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('lifecycle')! }, timeout: 1 });
    // The dispatcher moves the job to running and its hosts with it; then the hanging proxy leaves it alone.
    let settled = await service.get(admin, job.id);
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const again = await service.get(admin, job.id);
      if (again.state === 'running' && again.version === settled.version) break;
      settled = again;
    }
    expect(settled.state).toBe('running');
    const versionReads = jest.spyOn(repo, 'jobVersion');
    const rowReads = jest.spyOn(repo, 'findJob');
    const scopedReads = jest.spyOn(repo, 'findJobInScope');
    const started = Date.now();
    const polled = await service.get(admin, job.id, { since: settled.version - 1, wait: 5 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(polled.version).toBe(settled.version);
    // The visibility check's read (the row, its action and the scope in one statement) is the answer:
    // no version read, no second read of the row.
    expect(versionReads).not.toHaveBeenCalled();
    expect(scopedReads).toHaveBeenCalledTimes(1);
    expect(rowReads).not.toHaveBeenCalled();
    // A poll at the current version still waits, reading the version as before.
    const held = await service.get(admin, job.id, { since: settled.version, wait: 0.3 });
    expect(held.version).toBe(settled.version);
    expect(versionReads).toHaveBeenCalled();
  });

  it('ends unanswered hosts no_response when the job passes its deadline', async () => {
    const job = await service.create(admin, { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('lifecycle')! }, timeout: 1 });
    service.start();
    // The proxy never answers. Once the job runs (its deadline is set from the clock when it
    // starts), move the clock past the deadline (timeout + a spare of at least 10 s) and let supervision notice.
    for (let i = 0; i < 100 && (await service.get(admin, job.id)).state !== 'running'; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await service.get(admin, job.id)).state).toBe('running');
    now = new Date(now.getTime() + 60_000);
    await service.whenDispatched(job.id);
    const done = await service.get(admin, job.id);
    expect(done.state).toBe('failed');
    expect(done.counts).toMatchObject({ no_response: 3, running: 0, pending: 0 });
    const hosts = await service.hosts(admin, job.id, { page: 1, perPage: 10 });
    // The proxy never said whether it sent the request: the host may have run, so it is no_response.
    const reason = "no reply before the job's deadline; smart proxy hanging does not say whether it sent the request (smart proxy hanging no longer knew the execution)";
    expect(hosts.results.map((h) => h.reason)).toEqual([reason, reason, reason]);
  });

  it('purges host rows past retention and keeps the job summary', async () => {
    const job = await service.create(admin, { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('lifecycle')! }, timeout: 1 });
    await service.cancel(admin, job.id);
    await service.whenDispatched(job.id);
    const before = await service.get(admin, job.id);
    expect(before.state).toBe('cancelled');
    expect(await service.purgeOldHosts()).toEqual({ jobs: 0, hosts: 0 });
    now = new Date(now.getTime() + 31 * 86_400_000);
    const purged = await service.purgeOldHosts();
    expect(purged.hosts).toBeGreaterThanOrEqual(3);
    const after = await service.get(admin, job.id);
    expect(after.counts).toEqual(before.counts);
    expect((await service.hosts(admin, job.id, { page: 1, perPage: 10 })).total).toBe(0);
    await expect(service.replay(admin, job.id, { hosts: 'failed' })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('refuses to schedule a sensitive value, which is never stored, and stores nothing', async () => {
    sensitive.add('fact');
    await expect(service.prepareAction(admin, { namespace: 'rpcutil', action: 'get_fact', arguments: { fact: 'do-not-keep' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      httpStatus: 422,
      message: expect.stringContaining('arguments.fact: a sensitive input cannot be scheduled'),
      details: { input: 'fact', rule: 'sensitive inputs run only now' },
    });
    expect(await db.dataSource.query("SELECT id FROM remote_actions WHERE arguments LIKE '%do-not-keep%'")).toEqual([]);
  });

  it('refuses to schedule a stored action whose sensitive value was masked when it ran', async () => {
    sensitive.add('fact');
    const job = await service.create(admin, { namespace: 'rpcutil', action: 'get_fact', arguments: { fact: 'ran-once' }, targeting: { hostgroup_id: ids.hostgroupIds.get('lifecycle')! }, timeout: 1 });
    await service.cancel(admin, job.id);
    await service.whenDispatched(job.id);
    await expect(service.prepareStoredAction(admin, job.remote_action_id)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', httpStatus: 422, details: { input: 'fact' } });
  });

  it('stores neither the job nor its hosts when its audit entry cannot be written', async () => {
    const count = async (table: string) => Number(((await db.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`)) as Array<{ n: unknown }>)[0].n);
    const before = { jobs: await count('job_invocations'), hosts: await count('job_invocation_hosts'), audits: await count('audits') };
    auditFails = true;
    await expect(service.create(admin, { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('lifecycle')! }, timeout: 1 })).rejects.toThrow('audit store unavailable');
    expect({ jobs: await count('job_invocations'), hosts: await count('job_invocation_hosts'), audits: await count('audits') }).toEqual(before);
    auditFails = false;
    const job = await service.create(admin, { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('lifecycle')! }, timeout: 1 });
    expect(await db.dataSource.query("SELECT auditable_id FROM audits WHERE auditable_type = 'JobInvocation' AND action = 'create' ORDER BY id DESC LIMIT 1")).toEqual([{ auditable_id: job.id }]);
    await service.cancel(admin, job.id);
    await service.whenDispatched(job.id);
  });
});

/**
 * The long poll's reads without TypeORM's entity mapping (issue #20; entity-rows.ts): a job, its remote
 * action and a user read by one plain SELECT are the entities `findOne` reads, value for value;
 * `findJobInScope` answers what `findJob`, `findRemoteAction` and `jobInScope` answer; and the job show
 * answer (long poll or not) is the body built as before, from `findOne` and the names of every state.
 */
import type { HostState, JobStatus } from '@common/jobs';
import { UserEntity } from '@server/auth/user.entity';
import { createUserRepository } from '@server/auth/user.repository';
import { emptyCounts } from '@server/jobs/host-states';
import { JobInvocationEntity } from '@server/jobs/job-invocation.entity';
import { createJobInvocationRepository, dbDate } from '@server/jobs/job-invocation.repository';
import { toJob } from '@server/jobs/job-views';
import { RemoteActionEntity } from '@server/jobs/remote-action.entity';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { proxyPluginAgents } from './support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp, type JobAppOptions } from './support/job-stack';

jest.setTimeout(120_000);

const FAILED_STATES: HostState[] = ['failed', 'no_response', 'skipped'];

describe.each(testDatabases())('plain reads of the job show path on $kind', (database) => {
  let db: OpenTestDataSource;
  let repo: ReturnType<typeof createJobInvocationRepository>;
  let app: JobApp;
  const jobIds: Record<'mixed' | 'clean' | 'partial', number> = { mixed: 0, clean: 0, partial: 0 };

  /** The names as hostNames merged them before (one select per state, UNION ALL, then ordered). */
  async function namesAsBefore(jobId: number, states: HostState[]): Promise<string[]> {
    const each = states.map(() => 'SELECT * FROM (SELECT host_name AS name FROM job_invocation_hosts WHERE job_invocation_id = ? AND state = ? ORDER BY host_name LIMIT ?) s');
    const rows = (await db.dataSource.query(`SELECT name FROM (${each.join(' UNION ALL ')}) u ORDER BY name LIMIT ?`, [...states.flatMap((s) => [jobId, s, 1000]), 1000])) as Array<{ name: string }>;
    return rows.map((r) => r.name);
  }

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const ds = db.dataSource;
    const now = new Date('2026-03-04T05:06:07.089Z');
    const seeded = await seedInventory(ds, { hostgroups: ['plain'], proxies: [{ name: 'plain-proxy', url: '127.0.0.1:50199', capabilities: ['remote_execution'] }], hosts: [] });
    const proxyId = seeded.proxyIds.get('plain-proxy')!;
    const ping = proxyPluginAgents().find((a) => a.metadata?.name === 'rpcutil')!.actions.find((a) => a.name === 'ping')!;
    await ds.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (7, 'rpcutil', 'ping', '{"n":1.50}', 'plain', '${dbDate(now)}')`);
    repo = createJobInvocationRepository(ds);
    const stateOf = (h: number): HostState => (h % 7 === 3 ? 'failed' : h % 11 === 5 ? 'no_response' : h % 13 === 7 ? 'skipped' : h % 17 === 9 ? 'cancelled' : 'succeeded');
    const make = async (description: string, hosts: number, state: (h: number) => HostState) => {
      const rows = Array.from({ length: hosts }, (_, h) => ({ hostId: h + 1, hostName: `h-${String((h * 37) % 101).padStart(3, '0')}.example.com`, smartProxyId: proxyId, hostgroupId: seeded.hostgroupIds.get('plain')!, state: state(h), reason: null, finishedAt: now }));
      const counts = emptyCounts();
      for (const r of rows) counts[r.state] += 1;
      return repo.createJob({
        remoteActionId: 7, parentId: null, owner: 'admin', ownerId: null, description, targetingSearch: 'name ~ h-', targetingHostIds: null, targetingHostgroupId: null,
        factNames: [], concurrencyLevel: 5, batchSize: null, timeoutS: 60, ddl: JSON.stringify(ping), counts, smartProxyIds: [proxyId], leaseOwner: null, leaseExpiresAt: null, now, hosts: rows,
      });
    };
    jobIds.mixed = await make('mixed', 60, stateOf);
    jobIds.clean = await make('clean', 30, () => 'succeeded');
    jobIds.partial = await make('partial', 20, (h) => (h < 5 ? 'succeeded' : 'pending'));
    // Final, with every kind of column set: booleans, nullable dates and texts.
    await repo.updateJob(jobIds.mixed, { state: 'failed', startedAt: now, finishedAt: new Date(now.getTime() + 1234), deadlineAt: new Date(now.getTime() + 60_000), paused: true, pauseReason: 'why', cancelRequested: true }, now);
    await repo.updateJob(jobIds.clean, { state: 'succeeded', startedAt: now, finishedAt: now }, now);
    // Final before the app starts, so that no supervisor claims a job; this one with hosts still pending.
    await repo.updateJob(jobIds.partial, { state: 'cancelled', startedAt: now, finishedAt: now }, now);
    const noProxies = { listAgents: () => Promise.resolve([]) } as unknown as JobAppOptions['proxies'];
    app = await startJobApp({ dataSource: ds, proxies: noProxies, instanceId: 'plain-reads' });
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('reads a job, a remote action and a user as findOne does', async () => {
    const ds = db.dataSource;
    for (const id of Object.values(jobIds)) expect(await repo.findJob(id)).toStrictEqual(await ds.getRepository(JobInvocationEntity).findOne({ where: { id } }));
    const mixed = (await repo.findJob(jobIds.mixed))!;
    expect(mixed).toBeInstanceOf(JobInvocationEntity);
    expect(mixed).toMatchObject({ paused: true, cancelRequested: true, pauseReason: 'why', concurrencyLevel: 5, parentId: null, deadlineAt: new Date('2026-03-04T05:07:07.089Z') });
    expect(await repo.findJob(999_999)).toBeNull();
    expect(await repo.findRemoteAction(7)).toStrictEqual(await ds.getRepository(RemoteActionEntity).findOne({ where: { id: 7 } }));
    expect(await repo.findRemoteAction(999_999)).toBeNull();
    const users = createUserRepository(ds);
    const admin = (await ds.getRepository(UserEntity).findOne({ where: { login: 'admin' } }))!;
    expect(await users.findById(admin.id)).toStrictEqual(admin);
    expect((await users.findById(admin.id))!.admin).toBe(true);
    expect(await users.findById(999_999)).toBeNull();
  });

  it('answers findJobInScope as findJob, findRemoteAction and jobInScope answer', async () => {
    const scopes = [
      { sql: '1=1', params: [] },
      { sql: '1=0', params: [] },
      { sql: '(job.owner = ? AND ra.namespace = ?)', params: ['admin', 'rpcutil'] },
      { sql: '(ra.action IN (?, ?))', params: ['status', 'other'] },
      { sql: 'NOT EXISTS (SELECT 1 FROM job_invocation_hosts h WHERE h.job_invocation_id = job.id AND h.state = ?)', params: ['failed'] },
      { sql: '(job.owner_id IS NOT NULL AND job.owner_id = ?)', params: [1] },
    ];
    for (const id of Object.values(jobIds)) {
      for (const scope of scopes) {
        const read = await repo.findJobInScope(id, scope);
        expect(read).toStrictEqual({ job: await repo.findJob(id), action: await repo.findRemoteAction(7), visible: await repo.jobInScope(id, scope) });
      }
    }
    expect((await repo.findJobInScope(jobIds.mixed, scopes[4]))!.visible).toBe(false);
    expect((await repo.findJobInScope(jobIds.clean, scopes[4]))!.visible).toBe(true);
    expect(await repo.findJobInScope(999_999, scopes[0])).toBeNull();
  });

  it('reads the names of one state as the merge of several did', async () => {
    for (const id of Object.values(jobIds)) {
      for (const state of ['succeeded', 'failed', 'no_response', 'pending'] as HostState[]) expect(await repo.hostNames(id, [state], 1000)).toEqual(await namesAsBefore(id, [state]));
      expect(await repo.hostNames(id, ['succeeded'], 3)).toEqual((await namesAsBefore(id, ['succeeded'])).slice(0, 3));
    }
  });

  it('names as failed the hosts that fail a job (failed, no response, skipped), and the cancelled ones apart', async () => {
    const rows = (await db.dataSource.query('SELECT host_name AS name, state FROM job_invocation_hosts WHERE job_invocation_id = ?', [jobIds.mixed])) as Array<{ name: string; state: HostState }>;
    const namesIn = (states: HostState[]) => rows.filter((r) => states.includes(r.state)).map((r) => r.name).sort();
    expect(namesIn(['skipped']).length).toBeGreaterThan(0);
    expect(namesIn(['cancelled']).length).toBeGreaterThan(0);
    const res = await fetch(`${app.url}/api/v2/remote_execution/jobs/${jobIds.mixed}`, { headers: { Authorization: AUTH } });
    const job = (await res.json()) as JobStatus;
    expect(job.failed_hosts).toEqual(namesIn(['failed', 'no_response', 'skipped']));
    expect(job.cancelled_hosts).toEqual(namesIn(['cancelled']));
    expect(job.succeeded_hosts).toEqual(namesIn(['succeeded']));
  });

  it('answers the job show and its long poll with the body built as before', async () => {
    const ds = db.dataSource;
    for (const id of Object.values(jobIds)) {
      const job = (await ds.getRepository(JobInvocationEntity).findOne({ where: { id } }))!;
      const action = (await ds.getRepository(RemoteActionEntity).findOne({ where: { id: 7 } }))!;
      const before: JobStatus = { ...toJob(job, action), succeeded_hosts: await namesAsBefore(id, ['succeeded']), failed_hosts: await namesAsBefore(id, FAILED_STATES), cancelled_hosts: await namesAsBefore(id, ['cancelled']) };
      for (const query of ['', `?wait=30&since=${job.version - 1}`]) {
        const res = await fetch(`${app.url}/api/v2/remote_execution/jobs/${id}${query}`, { headers: { Authorization: AUTH } });
        expect(res.status).toBe(200);
        expect(await res.text()).toBe(JSON.stringify(before).replace('"arguments":{"n":1.5}', '"arguments":{"n":1.50}'));
      }
    }
  });
});

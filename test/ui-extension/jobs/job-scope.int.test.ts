/**
 * Jobs without host rows no longer pass every scope check (issue #24, finding 3; rule 4 in
 * auth/abilities.ts, auth/scope-sql.ts `jobScopeSql`): a job scheduled and not yet launched, one
 * that matched no host and one whose hosts retention purged are reached only by their owner and by
 * rules for their action without host conditions, for reading, hosts, events, cancel and replay,
 * and in every listing. Against the real app, proxies and fleet of the auth stack.
 */
import type { Job } from '@common/jobs';
import { emptyCounts } from '@server/jobs/host-states';
import { createJobInvocationRepository } from '@server/jobs/job-invocation.repository';
import { testDatabases } from '@test/support/databases';
import { startAuthStack, type AuthStack, type Persona } from '../auth/support/auth-stack';

jest.setTimeout(180_000);

const tomorrow = () => ({ start_at: new Date(Date.now() + 86_400_000).toISOString() });

describe.each(testDatabases())('jobs without host rows on $kind', (database) => {
  let s: AuthStack;
  const admin = () => s.as('admin');

  /** What each route of one job answers the persona, in order: show, hosts, events, replay, cancel. */
  async function reach(persona: Persona, jobId: number): Promise<number[]> {
    const as = s.as(persona);
    return [
      (await as.get(`/api/v2/remote_execution/jobs/${jobId}`)).status,
      (await as.get(`/api/v2/remote_execution/jobs/${jobId}/hosts`)).status,
      (await as.get(`/api/v2/remote_execution/jobs/${jobId}/events`)).status,
      (await as.post(`/api/v2/remote_execution/jobs/${jobId}/replay`, { targeting: { host_ids: [s.hosts.webA.id] } })).status,
      (await as.post(`/api/v2/remote_execution/jobs/${jobId}/cancel`)).status,
    ];
  }
  const listed = async (persona: Persona, marker: string) =>
    ((await s.as(persona).get(`/api/v2/remote_execution/jobs?per_page=100&search=${encodeURIComponent(`description ~ ${marker}`)}`).expect(200)).body as { results: Array<{ id: number }> }).results.map((j) => j.id);
  const state = async (jobId: number) => ((await admin().get(`/api/v2/remote_execution/jobs/${jobId}`).expect(200)).body as Job).state;

  /** A job of admin's secret package.status that matched no host, as jobs made before issue #17 are stored (final, no host rows). */
  async function storeJobWithoutHosts(description: string, search: string): Promise<number> {
    const secret = (await admin().get(`/api/v2/remote_execution/jobs/${s.jobs.dbSecret.id}`).expect(200)).body as Job;
    const repo = createJobInvocationRepository(s.db.dataSource);
    const [{ ddl }] = (await s.db.dataSource.query('SELECT ddl FROM job_invocations WHERE id = ?', [secret.id])) as Array<{ ddl: string }>;
    const now = new Date();
    const id = await repo.createJob({
      remoteActionId: secret.remote_action_id, parentId: null, owner: 'admin', ownerId: s.users.admin, description, targetingSearch: search, targetingHostIds: null, targetingHostgroupId: null,
      factNames: [], concurrencyLevel: null, batchSize: null, timeoutS: 5, ddl, counts: emptyCounts(), smartProxyIds: [], hosts: [], leaseOwner: null, leaseExpiresAt: null, now,
    });
    await repo.updateJob(id, { state: 'succeeded', startedAt: now, finishedAt: now }, now);
    return id;
  }

  beforeAll(async () => {
    s = await startAuthStack(database);
  });

  afterAll(async () => {
    await s?.close();
  });

  it("hides an administrator's scheduled job on a db host from a user limited to web, and it cannot cancel it", async () => {
    const marker = `${s.prefix}sched-db`;
    const job = (await admin().post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: s.secretPackage }, targeting: { host_ids: [s.hosts.dbA.id] }, description: marker, scheduling: tomorrow() } }).expect(201)).body as Job;
    expect(job).toMatchObject({ state: 'scheduled', total_hosts: 0 });
    expect(await reach('inScope', job.id)).toEqual([404, 404, 404, 404, 404]);
    expect(await listed('inScope', marker)).toEqual([]);
    expect(await state(job.id)).toBe('scheduled');
    // The owner and an unrestricted viewer still reach it.
    expect(await listed('admin', marker)).toEqual([job.id]);
    expect(await listed('viewer', marker)).toEqual([job.id]);
  });

  it('lets the owner of a scheduled job read and cancel it, and nobody limited to other hosts', async () => {
    const marker = `${s.prefix}sched-own`;
    const job = (await s.as('inScope').post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webA.id] }, description: marker, scheduling: tomorrow() } }).expect(201)).body as Job;
    expect(await listed('inScope', marker)).toEqual([job.id]);
    expect(await listed('outOfScope', marker)).toEqual([]);
    expect((await s.as('outOfScope').post(`/api/v2/remote_execution/jobs/${job.id}/cancel`)).status).toBe(404);
    await s.as('inScope').post(`/api/v2/remote_execution/jobs/${job.id}/cancel`).expect(200);
    expect(await state(job.id)).toBe('cancelled');
  });

  it('keeps a job with host rows to the hosts rule, for its owner too, once they are out of its scope', async () => {
    const marker = `${s.prefix}owned-db`;
    const job = (await s.as('outOfScope').post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.dbA.id] }, description: marker, timeout: 5 } }).expect(201)).body as Job;
    await s.waitFinal(job.id);
    expect(await listed('outOfScope', marker)).toEqual([job.id]);
    await admin().put(`/api/v2/users/${s.users.outOfScope}`, { user: { role_ids: [s.roles.webTeam] } }).expect(200);
    try {
      expect(await listed('outOfScope', marker)).toEqual([]);
      expect((await s.as('outOfScope').get(`/api/v2/remote_execution/jobs/${job.id}`)).status).toBe(404);
    } finally {
      await admin().put(`/api/v2/users/${s.users.outOfScope}`, { user: { role_ids: [s.roles.dbTeam] } }).expect(200);
    }
  });

  it('hides a job that matched no host, with its targeting and arguments, from users limited to some hosts', async () => {
    const marker = `${s.prefix}nohost`;
    // Such a job is refused now (422, issue #17); one made before that is stored as it was.
    await admin().post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: s.secretPackage }, targeting: { search: `name = ${s.prefix}nowhere` }, description: marker, timeout: 5 } }).expect(422);
    const job = { id: await storeJobWithoutHosts(marker, `name = ${s.prefix}nowhere`) };
    await s.waitFinal(job.id);
    expect(await reach('inScope', job.id)).toEqual([404, 404, 404, 404, 404]);
    expect(await reach('outOfScope', job.id)).toEqual([404, 404, 404, 404, 404]);
    expect(await listed('inScope', marker)).toEqual([]);
    const actions = (await s.as('inScope').get('/api/v2/remote_execution/actions?per_page=100').expect(200)).body as { results: Array<{ arguments: Record<string, unknown> }> };
    expect(JSON.stringify(actions.results)).not.toContain(s.secretPackage);
  });

  it('hides a job whose hosts retention purged from users limited to some hosts, and keeps it for its owner', async () => {
    const marker = `${s.prefix}purged`;
    const mine = (await s.as('inScope').post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webA.id] }, description: marker, timeout: 5 } }).expect(201)).body as Job;
    await s.waitFinal(mine.id);
    expect(await reach('outOfScope', s.jobs.webStatus.id)).toEqual([404, 404, 404, 404, 404]);
    await createJobInvocationRepository(s.db.dataSource).purgeHostsFinishedBefore(new Date(Date.now() + 60_000), new Date());
    expect(await reach('outOfScope', s.jobs.webStatus.id)).toEqual([404, 404, 404, 404, 404]);
    expect(await reach('outOfScope', mine.id)).toEqual([404, 404, 404, 404, 404]);
    // Of everything purged it still lists only its own job (from the test before).
    const others = [...Object.values(s.jobs).map((j) => j.id), mine.id];
    expect((await listed('outOfScope', s.prefix)).filter((id) => others.includes(id))).toEqual([]);
    expect(await listed('outOfScope', `${s.prefix}owned-db`)).toHaveLength(1);
    // Its owner keeps it; the job is final, so cancelling it says so.
    expect(await reach('inScope', mine.id)).toEqual([200, 200, 200, 201, 400]);
  });
});

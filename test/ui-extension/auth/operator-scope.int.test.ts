/**
 * An Operator limited to package.status on hostgroup web cannot run anything on a db host by any
 * route (issue #8): a direct job, a search, a hostgroup, a replay of someone else's job, a replay
 * of their own job with a new targeting, and the helper the scheduler calls at firing time. Also:
 * cancel only within scope, and replays re-checked with the owner's permissions of that moment.
 */
import type { Job, JobStatus } from '@common/jobs';
import { testDatabases } from '@test/support/databases';
import { startAuthStack, type AuthStack } from './support/auth-stack';

jest.setTimeout(180_000);

const statusJob = (targeting: object) => ({ job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting, timeout: 5 } });

describe.each(testDatabases())('web operator on $kind', (database) => {
  let s: AuthStack;
  const operator = () => s.as('operator');
  const jobCount = async () => ((await s.as('admin').get('/api/v2/remote_execution/jobs').expect(200)).body as { total: number }).total;

  beforeAll(async () => {
    s = await startAuthStack(database);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('refuses a job naming a db host with 403 saying how many hosts and why, and creates nothing', async () => {
    const before = await jobCount();
    const res = await operator().post('/api/v2/remote_execution/jobs', statusJob({ host_ids: [s.hosts.webA.id, s.hosts.dbA.id, s.hosts.dbB.id] })).expect(403);
    expect(res.body.error).toMatchObject({ code: 'PERMISSION_DENIED', details: { hosts_refused: 2, hosts_total: 3, missing_permissions: ['create_jobs'] } });
    expect(res.body.error.message).toBe('access denied: you may not run package.status on 2 of 3 target hosts: 2 do not exist or are not visible to you');
    expect(await jobCount()).toBe(before);
  });

  it('answers an administrator naming a host id of no host with 422 naming the id, not a refusal, and creates nothing', async () => {
    const before = await jobCount();
    const res = await s.as('admin').post('/api/v2/remote_execution/jobs', statusJob({ host_ids: [s.hosts.webA.id, 999_999_999] })).expect(422);
    expect(res.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { fields: [{ field: 'targeting.host_ids', rule: 'must name existing hosts' }], unknown_host_ids: [999_999_999] } });
    expect(res.body.error.message).toBe('targeting.host_ids: 1 of 2 ids name no host (999999999)');
    expect(await jobCount()).toBe(before);
  });

  it('names the hosts it may see but not run on when its view reaches further than its runs', async () => {
    const admin = s.as('admin');
    const viewerRole = ((await admin.get('/api/v2/roles/Viewer').expect(200)).body as { id: number }).id;
    await admin.post('/api/v2/users', { user: { login: `${s.prefix}peeker`, password: 'peeker-password', role_ids: [viewerRole, s.roles.webOperator] } }).expect(201);
    const res = await s.as('anonymous').post('/api/v2/remote_execution/jobs').auth(`${s.prefix}peeker`, 'peeker-password').send(statusJob({ host_ids: [s.hosts.webA.id, s.hosts.dbA.id] })).expect(403);
    expect(res.body.error.message).toBe(`access denied: you may not run package.status on 1 of 2 target hosts: 1 is outside the hostgroups, organizations and locations your create_jobs filters allow for package.status (${s.hosts.dbA.name})`);
    expect(res.body.error.details).toMatchObject({ hosts_refused: 1, hosts_total: 2, refused_hosts: [s.hosts.dbA.name] });
  });

  it('refuses an action its filters do not name, on its own hosts too', async () => {
    const res = await operator().post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'install', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webA.id] } } }).expect(403);
    expect(res.body.error.message).toBe('access denied: none of your create_jobs filters allows package.install');
  });

  it('matches no db host by search or by hostgroup, so nothing runs there', async () => {
    const job = (await operator().post('/api/v2/remote_execution/jobs', statusJob({ search: `name ^ (${s.hosts.webA.name}, ${s.hosts.dbA.name})` })).expect(201)).body as Job;
    const hosts = (await operator().get(`/api/v2/remote_execution/jobs/${job.id}/hosts`).expect(200)).body as { results: Array<{ host_name: string }> };
    expect(hosts.results.map((h) => h.host_name)).toEqual([s.hosts.webA.name]);
    // Only db hosts: the targeting matches no host it may run on, refused as an empty one (issue #17).
    for (const targeting of [{ search: 'hostgroup = db' }, { hostgroup_id: s.hostgroups.db }]) {
      const res = await operator().post('/api/v2/remote_execution/jobs', statusJob(targeting)).expect(422);
      expect(res.body.error.message).toMatch(/^targeting: (search "hostgroup = db"|hostgroup \d+) matches no host you may run package\.status on/);
    }
    const search = (await operator().get(`/api/v2/hosts?search=${encodeURIComponent('hostgroup = db')}`).expect(200)).body as { total: number; subtotal: number; results: unknown[] };
    expect(search).toMatchObject({ total: 3, subtotal: 0, results: [] });
  });

  it("cannot see or replay someone else's job on a db host", async () => {
    for (const body of [{ hosts: 'all' }, { targeting: { host_ids: [s.hosts.webA.id] } }]) {
      const res = await operator().post(`/api/v2/remote_execution/jobs/${s.jobs.dbSecret.id}/replay`, body).expect(404);
      expect(res.body.error.message).toBe(`job ${s.jobs.dbSecret.id} not found`);
    }
  });

  it("replays someone else's job on its own hosts, and refuses its replay onto a db host", async () => {
    const replay = (await operator().post(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}/replay`, { hosts: 'all' }).expect(201)).body as Job;
    expect(replay).toMatchObject({ parent_id: s.jobs.webStatus.id, owner: `${s.prefix}operator`, total_hosts: 1 });
    // A db host is as absent to it as one that does not exist (issue #17).
    const res = await operator().post(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}/replay`, { targeting: { host_ids: [s.hosts.dbA.id] } }).expect(422);
    expect(res.body.error.message).toBe(`targeting: host ids ${s.hosts.dbA.id} matches no host you may run package.status on; nothing was created (POST /api/v2/remote_execution/jobs/preview shows what a targeting matches)`);
    // Part of it visible: the rest is refused by name, as before.
    const mixed = await operator().post(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}/replay`, { targeting: { host_ids: [s.hosts.webA.id, s.hosts.dbA.id] } }).expect(403);
    expect(mixed.body.error.details).toMatchObject({ hosts_refused: 1, hosts_total: 2 });
  });

  it('refuses, through the helper the scheduler calls, a run on db hosts with the owner loaded at firing time', async () => {
    const owner = await s.services.auth.loadCurrentUser(s.users.operator);
    expect(owner).toMatchObject({ login: `${s.prefix}operator`, admin: false });
    await expect(s.services.jobs.authorizeRun(owner!, 'package', 'status', { hostgroup_id: s.hostgroups.db })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', httpStatus: 422 });
    await expect(s.services.jobs.authorizeRun(owner!, 'package', 'status', { host_ids: [s.hosts.dbB.id] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', httpStatus: 422 });
    await expect(s.services.jobs.authorizeRun(owner!, 'package', 'status', { host_ids: [s.hosts.webA.id, s.hosts.dbB.id] })).rejects.toMatchObject({ code: 'PERMISSION_DENIED', details: { hosts_refused: 1 } });
    await expect(s.services.jobs.create(owner!, { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: [s.hosts.webA.id] } })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const granted = await s.services.jobs.authorizeRun(owner!, 'package', 'status', { search: 'parent_hostgroup = web' });
    expect(granted.hosts.map((h) => h.name).sort()).toEqual([s.hosts.webA.name, s.hosts.webEuA.name, s.hosts.webB.name].sort());
  });

  it('cancels a running job on its hosts, and cannot touch one outside them', async () => {
    const admin = s.as('admin');
    const running = (await admin.post('/api/v2/remote_execution/jobs', statusJob({ host_ids: [s.hosts.webEuA.id] })).expect(201)).body as Job;
    const hidden = (await admin.post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webEuA.id, s.hosts.dbA.id] }, timeout: 60 } }).expect(201)).body as Job;
    await operator().post(`/api/v2/remote_execution/jobs/${hidden.id}/cancel`).expect(404);
    await s.as('manager').post(`/api/v2/remote_execution/jobs/${s.jobs.webBStatus.id}/cancel`).expect(404);
    const cancelled = (await operator().post(`/api/v2/remote_execution/jobs/${running.id}/cancel`).expect(200)).body as JobStatus;
    expect(['cancelled', 'running']).toContain(cancelled.state);
    expect((await s.waitFinal(running.id)).state).toBe('cancelled');
    await admin.post(`/api/v2/remote_execution/jobs/${hidden.id}/cancel`).expect(200);
  });

  it('lists only package with only status among the namespaces', async () => {
    const res = (await operator().get('/api/v2/remote_execution/namespaces').expect(200)).body as { results: Array<{ name: string; actions: Array<{ name: string }> }> };
    expect(res.results.map((n) => [n.name, n.actions.map((a) => a.name)])).toEqual([['package', ['status']]]);
  });

  it('checks a replay again with the permissions the owner has now', async () => {
    const own = (await operator().post('/api/v2/remote_execution/jobs', statusJob({ host_ids: [s.hosts.webA.id] })).expect(201)).body as Job;
    await s.waitFinal(own.id);
    const admin = s.as('admin');
    const filters = (await admin.get(`/api/v2/roles/${s.roles.webOperator}/filters`).expect(200)).body as { results: Array<{ id: number; permissions: Array<{ name: string }> }> };
    const jobFilter = filters.results.find((f) => f.permissions.some((p) => p.name === 'create_jobs'))!;
    await admin.put(`/api/v2/filters/${jobFilter.id}`, { filter: { permissions: ['view_jobs', 'cancel_jobs'] } }).expect(200);
    try {
      const res = await operator().post(`/api/v2/remote_execution/jobs/${own.id}/replay`, { hosts: 'all' }).expect(403);
      expect(res.body.error.message).toBe('access denied: running package.status needs the create_jobs permission');
    } finally {
      await admin.put(`/api/v2/filters/${jobFilter.id}`, { filter: { permissions: ['view_jobs', 'create_jobs', 'cancel_jobs'] } }).expect(200);
    }
    await operator().post(`/api/v2/remote_execution/jobs/${own.id}/replay`, { hosts: 'all' }).expect(201);
  });

  it('audits the creation, replay and cancel of jobs with the user and the source address', async () => {
    const res = (await s.as('operator').get(`/api/v2/audits?search=${encodeURIComponent('type = JobInvocation')}&per_page=100`).expect(200)).body as { results: Array<{ action: string; user_name: string; remote_address: string; audited_changes: Record<string, unknown> }> };
    const actions = new Set(res.results.map((a) => a.action));
    expect([...actions].sort()).toEqual(['cancel', 'create', 'replay']);
    expect(res.results.every((a) => a.user_name === `${s.prefix}operator` && /127\.0\.0\.1/.test(a.remote_address))).toBe(true);
    expect(res.results.find((a) => a.action === 'create')!.audited_changes).toMatchObject({ namespace: 'package', action: 'status' });
  });
});

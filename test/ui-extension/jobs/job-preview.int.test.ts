/**
 * Previews and empty targets (issue #17) against the real app, proxies and fleet of the auth stack:
 * a preview names, host for host, what a job with the same body then runs (for an administrator
 * and for a user limited to hostgroup web), and writes nothing; a job, a replay and a schedule
 * whose targeting matches no host the caller may run on are refused with 422, the same refusal
 * whether the hosts do not exist or lie outside the caller's scope.
 */
import type { JobPreview } from '@common/job-preview';
import type { Job, JobHost } from '@common/jobs';
import { createHostRepository } from '@server/inventory/host.repository';
import { databaseFingerprint, settle } from '@test/faults/support/database-fingerprint';
import { testDatabases } from '@test/support/databases';
import { startAuthStack, type AuthStack, type Persona } from '../auth/support/auth-stack';

jest.setTimeout(240_000);

const tomorrow = () => ({ start_at: new Date(Date.now() + 86_400_000).toISOString() });

describe.each(testDatabases())('job previews and empty targets on $kind', (database) => {
  let s: AuthStack;
  let fingerprint: () => Promise<string>;
  /** A web host without a smart proxy: every job on it records it skipped. */
  let orphan: { id: number; name: string };

  const statusJob = (targeting: object, extra: object = {}) => ({ job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting, timeout: 5, ...extra } });
  const preview = async (persona: Persona, body: object, query = '?per_page=1000'): Promise<JobPreview> =>
    (await s.as(persona).post(`/api/v2/remote_execution/jobs/preview${query}`, body).expect(200)).body as JobPreview;
  /** A preview's hosts as a job records them: name, smart proxy, skipped (with its reason) or run. */
  const planned = (p: JobPreview) => p.hosts.results.map((h) => `${h.name} ${h.smart_proxy_id} ${h.state === 'skipped' ? `skipped: ${h.reason}` : 'run'}`);
  const ran = async (jobId: number) => {
    await s.waitFinal(jobId);
    const hosts = ((await s.as('admin').get(`/api/v2/remote_execution/jobs/${jobId}/hosts?per_page=1000`).expect(200)).body as { results: JobHost[] }).results;
    return hosts.map((h) => `${h.host_name} ${h.smart_proxy_id} ${h.state === 'skipped' ? `skipped: ${h.reason}` : 'run'}`).sort();
  };

  beforeAll(async () => {
    s = await startAuthStack(database);
    const [row] = await createHostRepository(s.db.dataSource.manager).insertHosts([{ name: `${s.prefix}c-00001`, hostgroupId: s.hostgroups.web, smartProxyId: null, organizationId: s.organizations.a, locationId: null, lastSeenAt: new Date(), missingSince: null }], new Date());
    orphan = { id: row.id, name: row.name };
    fingerprint = databaseFingerprint(s);
  });

  afterAll(async () => {
    await s?.close();
  });

  it('previews for an administrator, host for host, what the job with the same body then runs, per smart proxy and with skipped reasons', async () => {
    const body = statusJob({ search: `name ~ ${s.prefix}` });
    const p = await preview('admin', body);
    expect(p).toMatchObject({
      total_hosts: 7,
      will_run: 6,
      skipped: 1,
      smart_proxies: [{ id: s.proxies.a.id, name: s.proxies.a.name, hosts: 3 }, { id: s.proxies.b.id, name: s.proxies.b.name, hosts: 3 }],
      skipped_reasons: [{ reason: 'host has no smart proxy', hosts: 1, host_names: [orphan.name] }],
      summary: '6 hosts on 2 smart proxies will run; 1 skipped: host has no smart proxy',
    });
    const job = (await s.as('admin').post('/api/v2/remote_execution/jobs', body).expect(201)).body as Job;
    expect(await ran(job.id)).toEqual(planned(p).sort());
  });

  it('previews for a user limited to hostgroup web (and below) only its hosts, and the job it then makes runs exactly those', async () => {
    const body = statusJob({ search: `name ~ ${s.prefix}` });
    const p = await preview('inScope', body);
    expect(p.hosts.results.map((h) => h.name)).toEqual([s.hosts.webA.name, s.hosts.webEuA.name, s.hosts.webB.name, orphan.name].sort());
    expect(p.summary).toBe('3 hosts on 2 smart proxies will run; 1 skipped: host has no smart proxy');
    const job = (await s.as('inScope').post('/api/v2/remote_execution/jobs', body).expect(201)).body as Job;
    expect(await ran(job.id)).toEqual(planned(p).sort());
  });

  it('pages the host names Foreman-style, by name', async () => {
    const all = await preview('admin', statusJob({ search: `name ~ ${s.prefix}` }));
    const second = await preview('admin', statusJob({ search: `name ~ ${s.prefix}` }), '?page=2&per_page=3');
    expect(second.hosts).toMatchObject({ total: 7, subtotal: 7, page: 2, per_page: 3, sort: { by: 'name', order: 'asc' } });
    expect(second.hosts.results.map((h) => h.name)).toEqual(all.hosts.results.slice(3, 6).map((h) => h.name));
  });

  it('writes nothing: the database fingerprint is unchanged by previews of jobs and replays', async () => {
    const before = await settle(fingerprint);
    await preview('admin', statusJob({ search: `name ~ ${s.prefix}` }));
    await preview('inScope', statusJob({ hostgroup_id: s.hostgroups.web }));
    await preview('outOfScope', statusJob({ host_ids: [s.hosts.webA.id] }));
    const replay = (await s.as('admin').post(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}/replay/preview`, { hosts: 'all' }).expect(200)).body as JobPreview;
    expect(replay).toMatchObject({ total_hosts: 1, will_run: 1, targeting: { host_ids: [s.hosts.webA.id] } });
    expect(await fingerprint()).toBe(before);
  });

  it('refuses PQL targeting to everyone but administrators, before PuppetDB is asked, and writes nothing', async () => {
    // A PQL query is answered over all of PuppetDB: its answer could reveal what a scope hides.
    const body = statusJob({ pql: 'inventory[certname] { facts.os.family = "Debian" }' });
    const before = await settle(fingerprint);
    for (const path of ['/api/v2/remote_execution/jobs', '/api/v2/remote_execution/jobs/preview']) {
      const refused = await s.as('operator').post(path, body).expect(403);
      expect(refused.body.error.message).toContain('targeting.pql is for administrators');
    }
    expect(await fingerprint()).toBe(before);
    // An administrator passes that check: this stack has no PuppetDB, which is the next answer.
    const admin = await s.as('admin').post('/api/v2/remote_execution/jobs/preview', body).expect(400);
    expect(admin.body.error.message).toContain('pql targeting needs PuppetDB');
  });

  it('checks a preview as the job: the same validation and the same permission', async () => {
    const bad = await s.as('admin').post('/api/v2/remote_execution/jobs/preview', { job: { namespace: 'package', action: 'status', arguments: {}, targeting: { search: '' } } }).expect(422);
    expect(bad.body.error.message).toMatch(/package/);
    await s.as('userManager').post('/api/v2/remote_execution/jobs/preview', statusJob({ search: '' })).expect(403);
    await s.as('admin').post('/api/v2/remote_execution/jobs/preview', { job: { namespace: 'package', action: 'status', targeting: { search: 'x', host_ids: [1] } } }).expect(400);
  });

  it('previews a targeting outside the caller\'s scope as one that matches nothing', async () => {
    const outside = await preview('outOfScope', statusJob({ host_ids: [s.hosts.webA.id] }));
    const nowhere = await preview('outOfScope', statusJob({ host_ids: [999_999_999] }));
    expect(outside).toMatchObject({ total_hosts: 0, will_run: 0, summary: 'no host you may run on matches this targeting' });
    expect({ ...outside, targeting: null }).toEqual({ ...nowhere, targeting: null });
  });

  describe('empty targets', () => {
    const refusal = (targeting: string) => `targeting: ${targeting} matches no host you may run package.status on; nothing was created (POST /api/v2/remote_execution/jobs/preview shows what a targeting matches)`;

    it('refuses a job whose search matches no host with 422 naming the search, and writes nothing', async () => {
      const before = await settle(fingerprint);
      const res = await s.as('admin').post('/api/v2/remote_execution/jobs', statusJob({ search: `hostgroup ~ ${s.prefix}base` })).expect(422);
      expect(res.body.error.message).toBe(refusal(`search "hostgroup ~ ${s.prefix}base"`));
      expect(res.body.error.code).toBe('INVALID_ARGUMENT');
      expect(await fingerprint()).toBe(before);
    });

    it('gives a user the same 422 for hosts outside its scope as for hosts that do not exist, naming none of them', async () => {
      const before = await settle(fingerprint);
      const outside = await s.as('inScope').post('/api/v2/remote_execution/jobs', statusJob({ search: `name = ${s.hosts.dbA.name}` })).expect(422);
      const nowhere = await s.as('inScope').post('/api/v2/remote_execution/jobs', statusJob({ search: `name = ${s.prefix}a-99999` })).expect(422);
      expect(outside.body.error.message).toBe(refusal(`search "name = ${s.hosts.dbA.name}"`));
      expect(nowhere.body.error.message).toBe(refusal(`search "name = ${s.prefix}a-99999"`));
      const byId = await s.as('inScope').post('/api/v2/remote_execution/jobs', statusJob({ host_ids: [s.hosts.dbA.id] })).expect(422);
      const unknownId = await s.as('inScope').post('/api/v2/remote_execution/jobs', statusJob({ host_ids: [999_999_999] })).expect(422);
      expect(byId.body.error.message).toBe(refusal(`host ids ${s.hosts.dbA.id}`));
      expect(unknownId.body.error.message).toBe(refusal('host ids 999999999'));
      expect(JSON.stringify(byId.body)).not.toContain(s.hosts.dbA.name);
      expect({ ...byId.body.error, message: null, requestId: null, details: { ...byId.body.error.details, targeting: null } }).toEqual({ ...unknownId.body.error, message: null, requestId: null, details: { ...unknownId.body.error.details, targeting: null } });
      expect(await fingerprint()).toBe(before);
    });

    it('refuses a replay on a targeting that matches nothing, and one of failed hosts when none failed', async () => {
      const before = await settle(fingerprint);
      const res = await s.as('admin').post(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}/replay`, { targeting: { hostgroup_id: 999_999 } }).expect(422);
      expect(res.body.error.message).toBe(refusal('hostgroup 999999'));
      const none = await s.as('admin').post(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}/replay`, { hosts: 'failed' }).expect(422);
      expect(none.body.error.message).toBe(refusal('host ids (none)'));
      expect(await fingerprint()).toBe(before);
    });

    it('refuses a schedule (one-time or recurring) whose targeting matches no host, and a stored action scheduled so', async () => {
      const one = await s.as('admin').post('/api/v2/remote_execution/jobs', statusJob({ search: `name = ${s.prefix}nowhere` }, { scheduling: tomorrow() })).expect(422);
      expect(one.body.error.message).toBe(refusal(`search "name = ${s.prefix}nowhere"`));
      await s.as('inScope').post('/api/v2/remote_execution/jobs', statusJob({ host_ids: [s.hosts.dbA.id] }, { recurrence: { cron_line: '0 3 * * *', time_zone: 'UTC' } })).expect(422);
      const job = (await s.as('admin').get(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}`).expect(200)).body as Job;
      const stored = await s.as('admin').post(`/api/v2/remote_execution/actions/${job.remote_action_id}/schedule`, { targeting: { search: `name = ${s.prefix}nowhere` }, scheduling: tomorrow() }).expect(422);
      expect(stored.body.error.message).toBe(refusal(`search "name = ${s.prefix}nowhere"`));
      const count = Number(((await s.db.dataSource.query('SELECT COUNT(*) AS n FROM schedules WHERE targeting_search = ?', [`name = ${s.prefix}nowhere`])) as Array<{ n: number | string }>)[0].n);
      expect(count).toBe(0);
    });

    it('stores no remote action for a refused schedule or job (422 empty targeting, 403): the database fingerprint is unchanged', async () => {
      // Arguments no job ever ran with: before the fix, a refused schedule left their remote_actions row behind.
      const fresh = (extra: object, targeting: object = { search: `name = ${s.prefix}nowhere` }) =>
        ({ job: { namespace: 'package', action: 'status', arguments: { package: `${s.prefix}never-stored` }, targeting, timeout: 5, ...extra } });
      const before = await settle(fingerprint);
      await s.as('admin').post('/api/v2/remote_execution/jobs', fresh({ scheduling: tomorrow() })).expect(422);
      await s.as('admin').post('/api/v2/remote_execution/jobs', fresh({ recurrence: { cron_line: '0 3 * * *', time_zone: 'UTC' } })).expect(422);
      await s.as('inScope').post('/api/v2/remote_execution/jobs', fresh({ scheduling: tomorrow() }, { host_ids: [s.hosts.dbA.id] })).expect(422);
      // The operator may run package.status on web but not schedule it.
      await s.as('operator').post('/api/v2/remote_execution/jobs', fresh({ scheduling: tomorrow() }, { host_ids: [s.hosts.webA.id] })).expect(403);
      await s.as('admin').post('/api/v2/remote_execution/jobs', fresh({})).expect(422);
      expect(await fingerprint()).toBe(before);
      const stored = (await s.db.dataSource.query('SELECT COUNT(*) AS n FROM remote_actions WHERE arguments LIKE ?', [`%${s.prefix}never-stored%`])) as Array<{ n: number | string }>;
      expect(Number(stored[0].n)).toBe(0);
      // Accepted, the same schedule stores its action once, with the schedule.
      const ok = (await s.as('admin').post('/api/v2/remote_execution/jobs', fresh({ scheduling: tomorrow() }, { host_ids: [s.hosts.webA.id] })).expect(201)).body as Job;
      const row = (await s.db.dataSource.query('SELECT id FROM remote_actions WHERE arguments LIKE ?', [`%${s.prefix}never-stored%`])) as Array<{ id: number | string }>;
      expect(row.map((r) => Number(r.id))).toEqual([ok.remote_action_id]);
    });
  });
});

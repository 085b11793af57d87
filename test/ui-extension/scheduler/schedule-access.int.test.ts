/**
 * Schedules no longer bypass host scope (issue #24, finding 2; rule 4 in auth/abilities.ts). A
 * schedule fires as its owner, so whoever reads or changes it needs every host its runs reach (its
 * targeting resolved through the owner's view) in scope, and changing another user's schedule needs
 * manage_others_schedules; a re-targeting reaching a host the caller sees out of scope is refused,
 * not narrowed; hosts the caller cannot see change no answer (no oracle); scheduling a stored action
 * needs seeing it. Run against the real app, proxies and fleet of the auth stack.
 */
import type { Job } from '@common/jobs';
import type { ScheduleDetail } from '@common/schedules';
import { createHostRepository } from '@server/inventory/host.repository';
import { testDatabases } from '@test/support/databases';
import { startAuthStack, type AuthStack } from '../auth/support/auth-stack';

jest.setTimeout(180_000);

const tomorrow = () => ({ start_at: new Date(Date.now() + 86_400_000).toISOString() });
const PASSWORD = 'schedule-access-password';

describe.each(testDatabases())('schedule access on $kind', (database) => {
  let s: AuthStack;
  /** A user with manage_schedules (and create/view jobs) on hostgroup web but not manage_others_schedules. */
  let ownOnly: ReturnType<AuthStack['as']>;

  const admin = () => s.as('admin');
  const inScope = () => s.as('inScope');
  const scheduleOf = async (targeting: object, description: string): Promise<number> =>
    ((await admin().post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting, description, scheduling: tomorrow() } }).expect(201)).body as { schedule_id: number }).schedule_id;
  const stored = async (id: number) => (await admin().get(`/api/v2/remote_execution/schedules/${id}`).expect(200)).body as ScheduleDetail;

  beforeAll(async () => {
    s = await startAuthStack(database);
    const role = (await admin().post('/api/v2/roles', { role: { name: `${s.prefix}own schedules` } }).expect(201)).body as { id: number };
    await admin().post('/api/v2/filters', { filter: { role_id: role.id, permissions: ['view_hosts', 'view_jobs', 'create_jobs', 'manage_schedules'], search: 'hostgroup = web' } }).expect(201);
    await admin().post('/api/v2/users', { user: { login: `${s.prefix}own-only`, password: PASSWORD, role_ids: [role.id] } }).expect(201);
    const as = s.as('anonymous');
    const login = `${s.prefix}own-only`;
    ownOnly = {
      get: (path: string) => as.get(path).auth(login, PASSWORD),
      post: (path: string, body?: unknown) => as.post(path, body).auth(login, PASSWORD),
      put: (path: string, body?: unknown) => as.put(path, body).auth(login, PASSWORD),
      delete: (path: string) => as.delete(path).auth(login, PASSWORD),
    };
  });

  afterAll(async () => {
    await s?.close();
  });

  it("refuses every change to another user's schedule without manage_others_schedules, even on its own hosts, and leaves it as it was", async () => {
    const id = await scheduleOf({ host_ids: [s.hosts.webA.id] }, 'admin on webA');
    const before = await stored(id);
    const answers = [
      await ownOnly.put(`/api/v2/remote_execution/schedules/${id}`, { scheduling: { start_at: new Date(Date.now() + 3_600_000).toISOString() } }),
      await ownOnly.put(`/api/v2/remote_execution/schedules/${id}`, { targeting: { host_ids: [s.hosts.webA.id] } }),
      await ownOnly.post(`/api/v2/remote_execution/schedules/${id}/disable`),
      await ownOnly.post(`/api/v2/remote_execution/schedules/${id}/enable`),
      await ownOnly.delete(`/api/v2/remote_execution/schedules/${id}`),
    ];
    expect(answers.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    expect(answers[2].body.error.message).toBe(`access denied: changing schedule ${id} of admin needs the manage_others_schedules permission`);
    expect(await stored(id)).toEqual(before);
  });

  it('lets the owner change, disable and delete its own schedule', async () => {
    const made = (await ownOnly.post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webA.id] }, scheduling: tomorrow() } }).expect(201)).body as Job;
    expect(made.state).toBe('scheduled');
    await ownOnly.get(`/api/v2/remote_execution/jobs/${made.id}`).expect(200);
    await ownOnly.put(`/api/v2/remote_execution/schedules/${made.schedule_id}`, { description: 'mine' }).expect(200);
    await ownOnly.post(`/api/v2/remote_execution/schedules/${made.schedule_id}/disable`).expect(200);
    await ownOnly.delete(`/api/v2/remote_execution/schedules/${made.schedule_id}`).expect(200);
  });

  it("refuses managing another's schedule whose runs reach beyond its scope, though it sees part of it", async () => {
    const id = await scheduleOf({ search: `name ^ (${s.hosts.webA.name}, ${s.hosts.dbA.name})` }, 'admin on webA and dbA');
    const before = await stored(id);
    // The Web team sees only webA of it: it may not read the schedule at all.
    await inScope().get(`/api/v2/remote_execution/schedules/${id}`).expect(404);
    for (const res of [await inScope().post(`/api/v2/remote_execution/schedules/${id}/disable`), await inScope().delete(`/api/v2/remote_execution/schedules/${id}`)]) expect(res.status).toBe(404);
    // A viewer of everything that manages only web schedules reads it and may not change it.
    const viewerRole = ((await admin().get('/api/v2/roles/Viewer').expect(200)).body as { id: number }).id;
    await admin().put(`/api/v2/users/${s.users.inScope}`, { user: { role_ids: [s.roles.webTeam, viewerRole] } }).expect(200);
    try {
      await inScope().get(`/api/v2/remote_execution/schedules/${id}`).expect(200);
      const res = await inScope().post(`/api/v2/remote_execution/schedules/${id}/disable`).expect(403);
      expect(res.body.error.message).toBe(`access denied: 1 of 2 hosts of the targeting of schedule ${id} (as its runs resolve it, through its owner's view) are outside what your create_jobs, manage_schedules, manage_others_schedules filters allow for package.status (${s.hosts.dbA.name})`);
      expect(res.body.error.details).toMatchObject({ hosts_refused: 1, hosts_total: 2 });
    } finally {
      await admin().put(`/api/v2/users/${s.users.inScope}`, { user: { role_ids: [s.roles.webTeam] } }).expect(200);
    }
    expect(await stored(id)).toEqual(before);
  });

  it("freezes a wide static re-targeting of another user's schedule to the hosts the caller sees, and refuses it dynamic before resolving anything", async () => {
    const id = await scheduleOf({ host_ids: [s.hosts.webA.id] }, 'admin on webA, to re-target');
    await inScope().get(`/api/v2/remote_execution/schedules/${id}`).expect(200);
    const wide = { search: `name ~ ${s.prefix}` };
    const res = await inScope().put(`/api/v2/remote_execution/schedules/${id}`, { targeting: wide, targeting_type: 'dynamic_query' }).expect(403);
    expect(res.body.error.message).toMatch(/^access denied: schedule \d+ of admin runs as admin; a dynamic query set by anyone else/);
    const after = await stored(id);
    expect(after.targeting).toMatchObject({ host_ids: [s.hosts.webA.id], search: null });
    expect(after.static_host_ids).toBeNull();
    // Frozen, it runs on exactly the hosts the caller sees now, as a job it made by hand would: those
    // it cannot see are not there for it (counting them would tell it about them).
    const moved = (await inScope().put(`/api/v2/remote_execution/schedules/${id}`, { targeting: wide, targeting_type: 'static_query' }).expect(200)).body as ScheduleDetail;
    expect(moved.static_host_ids?.sort()).toEqual([s.hosts.webA.id, s.hosts.webEuA.id, s.hosts.webB.id].sort());
  });

  it('lists each schedule by what its own owner\'s runs reach: two owners, one targeting, read apart', async () => {
    const search = `name ~ ${s.prefix}`;
    // The narrow owner's runs reach the web hosts it sees; the administrator's the db hosts too.
    const narrow = ((await ownOnly.post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { search }, scheduling: tomorrow() } }).expect(201)).body as Job).schedule_id!;
    const wide = await scheduleOf({ search }, 'admin on the same search');
    expect(wide).toBeGreaterThan(narrow);
    await inScope().get(`/api/v2/remote_execution/schedules/${narrow}`).expect(200);
    await inScope().get(`/api/v2/remote_execution/schedules/${wide}`).expect(404);
    const listed = ((await inScope().get('/api/v2/remote_execution/schedule_definitions?per_page=1000').expect(200)).body as { results: Array<{ id: number }> }).results.map((d) => d.id);
    expect(listed).toContain(narrow);
    expect(listed).not.toContain(wide);
  });

  it("refuses a dynamic re-targeting of another user's schedule to a caller whose runs reach every host but whose view does not", async () => {
    const role = (await admin().post('/api/v2/roles', { role: { name: `${s.prefix}runs everywhere, sees web` } }).expect(201)).body as { id: number };
    await admin().post('/api/v2/filters', { filter: { role_id: role.id, permissions: ['view_jobs', 'create_jobs', 'manage_schedules', 'manage_others_schedules'] } }).expect(201);
    await admin().post('/api/v2/filters', { filter: { role_id: role.id, permissions: ['view_hosts'], search: 'hostgroup = web' } }).expect(201);
    const login = `${s.prefix}wide-runs`;
    await admin().post('/api/v2/users', { user: { login, password: PASSWORD, role_ids: [role.id] } }).expect(201);
    const id = await scheduleOf({ host_ids: [s.hosts.webA.id] }, 'admin on webA, for a caller that sees web only');
    const before = await stored(id);
    // Resolved at every run through the administrator's view, this would reach dbA, which the caller cannot see.
    const res = await s.as('anonymous').put(`/api/v2/remote_execution/schedules/${id}`, { targeting: { search: `name = ${s.hosts.webA.name} or name = ${s.hosts.dbA.name}` }, targeting_type: 'dynamic_query' }).auth(login, PASSWORD).expect(403);
    expect(res.body.error.message).toMatch(/a dynamic query set by anyone else would be resolved again at every run/);
    expect(await stored(id)).toEqual(before);
  });

  it("refuses re-targeting another user's schedule to hosts its owner may not run on (every run would refuse them), naming them", async () => {
    const made = (await ownOnly.post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webA.id] }, scheduling: tomorrow() } }).expect(201)).body as Job;
    const id = made.schedule_id!;
    const before = await stored(id);
    const res = await admin().put(`/api/v2/remote_execution/schedules/${id}`, { targeting: { host_ids: [s.hosts.webA.id, s.hosts.dbA.id] }, targeting_type: 'static_query' }).expect(422);
    expect(res.body.error.message).toBe(`targeting: 1 of 2 hosts are outside what ${s.prefix}own-only may run package.status on (${s.hosts.dbA.name}); schedule ${id} runs as ${s.prefix}own-only, so every run would refuse them`);
    expect(await stored(id)).toEqual(before);
    await admin().put(`/api/v2/remote_execution/schedules/${id}`, { targeting: { host_ids: [s.hosts.webA.id, s.hosts.webB.id] }, targeting_type: 'static_query' }).expect(200);
  });

  it('answers alike whether a targeting matches hosts the caller cannot see (no oracle on their names or facts)', async () => {
    const made = async (search: string) => {
      const res = await ownOnly.post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { search }, scheduling: tomorrow() } });
      return { status: res.status, body: res.body as Job };
    };
    const withHidden = await made(`name = ${s.hosts.webA.name} or name = ${s.hosts.dbA.name}`);
    const withNothing = await made(`name = ${s.hosts.webA.name} or name = no-such-host.${s.prefix}`);
    expect([withHidden.status, withNothing.status]).toEqual([201, 201]);
    // Changing and enabling the schedule answer alike too: its runs resolve it through its owner's view.
    for (const job of [withHidden.body, withNothing.body]) {
      await ownOnly.post(`/api/v2/remote_execution/schedules/${job.schedule_id}/disable`).expect(200);
      await ownOnly.post(`/api/v2/remote_execution/schedules/${job.schedule_id}/enable`).expect(200);
      await ownOnly.put(`/api/v2/remote_execution/schedules/${job.schedule_id}`, { targeting: { search: `name = ${s.hosts.webA.name} or name = ${s.hosts.dbA.name}` }, targeting_type: 'static_query' }).expect(200);
      expect(((await ownOnly.get(`/api/v2/remote_execution/schedules/${job.schedule_id}`).expect(200)).body as ScheduleDetail).static_host_ids).toEqual([s.hosts.webA.id]);
    }
  });

  it("refuses a dynamic re-targeting of another user's schedule, which its owner's runs would resolve again beyond what was checked, and accepts it frozen as a static query", async () => {
    const id = await scheduleOf({ host_ids: [s.hosts.webA.id] }, 'admin on webA, to re-target with a time bomb');
    const before = await stored(id);
    // Today this matches webA only, inside the Web team's scope; from the day after tomorrow every
    // host the inventory sync touches matches too, and the schedule fires as the administrator.
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const timeBomb = { search: `name = ${s.hosts.webA.name} or last_seen > "${later}"` };
    for (const body of [{ targeting: timeBomb }, { targeting: timeBomb, targeting_type: 'dynamic_query' }]) {
      const res = await inScope().put(`/api/v2/remote_execution/schedules/${id}`, body).expect(403);
      expect(res.body.error.message).toBe(`access denied: schedule ${id} of admin runs as admin; a dynamic query set by anyone else would be resolved again at every run with admin's permissions, beyond the hosts checked now: re-target it with targeting_type static_query (it then runs on exactly the hosts checked now)`);
      expect(res.body.error.details).toMatchObject({ fields: [{ field: 'targeting_type', rule: "static_query on another user's schedule" }] });
    }
    expect(await stored(id)).toEqual(before);
    // Frozen, the same search runs on the hosts checked now and nothing else.
    const frozen = (await inScope().put(`/api/v2/remote_execution/schedules/${id}`, { targeting: timeBomb, targeting_type: 'static_query' }).expect(200)).body as ScheduleDetail;
    expect(frozen).toMatchObject({ targeting_type: 'static_query', static_host_ids: [s.hosts.webA.id] });
    // A static schedule cannot be turned dynamic by someone else either.
    await inScope().put(`/api/v2/remote_execution/schedules/${id}`, { targeting_type: 'dynamic_query' }).expect(403);
    // Its owner, and an administrator, may still make it dynamic: their runs are theirs.
    await admin().put(`/api/v2/remote_execution/schedules/${id}`, { targeting: timeBomb, targeting_type: 'dynamic_query' }).expect(200);
  });

  it("hides another user's schedule whose targeting matches no host now from users whose filters reach only some hosts, as a job without host rows", async () => {
    // Matched a host when it was made (an empty one is refused, issue #17), matches nothing today;
    // whatever it matches later, it runs as the administrator.
    const [gone] = await createHostRepository(s.db.dataSource.manager).insertHosts([{ name: `${s.prefix}not-yet-here`, hostgroupId: null, smartProxyId: s.proxies.b.id, organizationId: s.organizations.b, locationId: null, lastSeenAt: new Date(), missingSince: null }], new Date());
    const id = await scheduleOf({ search: `name = ${s.prefix}not-yet-here` }, 'admin on hosts to come');
    await s.db.dataSource.query('DELETE FROM hosts WHERE id = ?', [gone.id]);
    const before = await stored(id);
    const answers = [
      await inScope().get(`/api/v2/remote_execution/schedules/${id}`),
      await inScope().put(`/api/v2/remote_execution/schedules/${id}`, { scheduling: { start_at: new Date(Date.now() + 3_600_000).toISOString() } }),
      await inScope().post(`/api/v2/remote_execution/schedules/${id}/enable`),
      await inScope().post(`/api/v2/remote_execution/schedules/${id}/disable`),
      await inScope().delete(`/api/v2/remote_execution/schedules/${id}`),
    ];
    expect(answers.map((r) => r.status)).toEqual([404, 404, 404, 404, 404]);
    expect(await stored(id)).toEqual(before);
    const listed = ((await inScope().get('/api/v2/remote_execution/schedules?to=' + encodeURIComponent(new Date(Date.now() + 3 * 86_400_000).toISOString())).expect(200)).body as { results: Array<{ schedule_id: number }> }).results.map((r) => r.schedule_id);
    expect(listed).not.toContain(id);
    // A viewer of everything reads it, and still may not make it run with its web-only filters.
    const viewerRole = ((await admin().get('/api/v2/roles/Viewer').expect(200)).body as { id: number }).id;
    await admin().put(`/api/v2/users/${s.users.inScope}`, { user: { role_ids: [s.roles.webTeam, viewerRole] } }).expect(200);
    try {
      await inScope().get(`/api/v2/remote_execution/schedules/${id}`).expect(200);
      const res = await inScope().post(`/api/v2/remote_execution/schedules/${id}/enable`).expect(403);
      expect(res.body.error.message).toBe(`access denied: the targeting of schedule ${id} matches no host now, and its runs reach whatever matches then: only its owner, or a user whose create_jobs, manage_schedules, manage_others_schedules filters reach every host, may change it`);
    } finally {
      await admin().put(`/api/v2/users/${s.users.inScope}`, { user: { role_ids: [s.roles.webTeam] } }).expect(200);
    }
    expect(await stored(id)).toEqual(before);
    // Its owner still reads and changes it.
    await admin().put(`/api/v2/remote_execution/schedules/${id}`, { description: 'still mine' }).expect(200);
  });

  it('hides a schedule on hosts out of scope from reading by id and from the occurrences listing', async () => {
    const id = await scheduleOf({ host_ids: [s.hosts.dbB.id] }, `${s.prefix}admin on dbB`);
    await inScope().get(`/api/v2/remote_execution/schedules/${id}`).expect(404);
    await s.as('outOfScope').get(`/api/v2/remote_execution/schedules/${id}`).expect(200);
    const listed = async (persona: 'inScope' | 'outOfScope') => ((await s.as(persona).get('/api/v2/remote_execution/schedules?to=' + encodeURIComponent(new Date(Date.now() + 3 * 86_400_000).toISOString())).expect(200)).body as { results: Array<{ schedule_id: number }> }).results.map((r) => r.schedule_id);
    expect(await listed('inScope')).not.toContain(id);
    expect(await listed('outOfScope')).toContain(id);
  });

  it('refuses to schedule a stored action the caller may not see, as if it did not exist', async () => {
    const secretAction = ((await admin().get(`/api/v2/remote_execution/jobs/${s.jobs.dbSecret.id}`).expect(200)).body as { remote_action_id: number }).remote_action_id;
    const res = await inScope().post(`/api/v2/remote_execution/actions/${secretAction}/schedule`, { targeting: { host_ids: [s.hosts.webA.id] }, scheduling: tomorrow() }).expect(404);
    expect(res.body.error.message).toBe(`remote action ${secretAction} not found`);
    expect(JSON.stringify(res.body)).not.toContain(s.secretPackage);
    const visibleAction = ((await admin().get(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}`).expect(200)).body as { remote_action_id: number }).remote_action_id;
    await inScope().post(`/api/v2/remote_execution/actions/${visibleAction}/schedule`, { targeting: { host_ids: [s.hosts.webA.id] }, scheduling: tomorrow() }).expect(201);
  });
});

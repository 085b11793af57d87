/**
 * The permission matrix (issue #8): every route of the API x {anonymous, Viewer, Operator limited to
 * package.status on hostgroup web, Manager of one organization, Admin}, with the exact status each
 * must get and a check that no response names a host, job or smart proxy outside the caller's scope.
 *
 * The rows are keyed by the express router's own routes: a route without a row (one added later by
 * anyone) fails the suite until its row is written here, and so does a row whose route is gone.
 */
import { listRoutes } from '@test/support/routes';
import { testDatabases } from '@test/support/databases';
import { PASSWORD, PERSONAS, startAuthStack, type AuthStack, type Persona } from '../auth/support/auth-stack';

jest.setTimeout(180_000);

type Statuses = Record<Persona, number>;
interface Row {
  /** The concrete path to call (route parameters filled in). */
  path: (s: AuthStack, targets: Targets) => string;
  body?: (s: AuthStack, targets: Targets, persona: Persona) => unknown;
  expect: Statuses;
  /** Names a persona's response must contain: the scope is applied, not everything hidden. */
  sees?: (s: AuthStack) => Partial<Record<Persona, string[]>>;
}

/** Objects the rows act on that the stack does not already hold. */
interface Targets {
  bystander: number;
  bystanderToken: number;
  victim: number;
  doomedRole: number;
  matrixRole: number;
  editFilter: number;
  doomedFilter: number;
  viewerRole: number;
  adminAuditId: number;
  /** A schedule of package.status on webA, and one to delete; the stored action of jobs.webStatus. */
  schedule: number;
  doomedSchedule: number;
  storedAction: number;
}

/** A one-time run a day from now, on webA (inside every persona's view). */
const tomorrow = () => ({ start_at: new Date(Date.now() + 86_400_000).toISOString() });
const manageSchedules = (status: number): Statuses => ({ anonymous: 401, viewer: 403, operator: 403, manager: status, admin: status });

const all = (status: number): Statuses => ({ anonymous: 401, viewer: status, operator: status, manager: status, admin: status });
const adminOnly = (status: number): Statuses => ({ anonymous: 401, viewer: 403, operator: 403, manager: 403, admin: status });
const jobsOf = (s: AuthStack) => s.jobs;

const ROWS: Record<string, Row> = {
  'GET /api/v2/status': {
    path: () => '/api/v2/status',
    expect: { anonymous: 200, viewer: 200, operator: 200, manager: 200, admin: 200 },
    sees: ({ proxies: p }) => ({ viewer: [p.b.name], operator: [p.a.name, p.b.name], manager: [p.a.name], admin: [p.b.name] }),
  },

  // Describes routes, never data: open like /status.
  'GET /api/v2/openapi.json': { path: () => '/api/v2/openapi.json', expect: { anonymous: 200, viewer: 200, operator: 200, manager: 200, admin: 200 } },
  // Prometheus metrics: counts, never data. Guarded by its own bearer token (metrics.bearer_token),
  // never a user's; this app sets none, so it is open (metrics.int.test.ts checks the token).
  'GET /metrics': { path: () => '/metrics', expect: { anonymous: 200, viewer: 200, operator: 200, manager: 200, admin: 200 } },
  // Load balancer checks (issue #27): no login, and nothing but readiness in the body.
  'GET /livez': { path: () => '/livez', expect: { anonymous: 200, viewer: 200, operator: 200, manager: 200, admin: 200 } },
  'GET /readyz': { path: () => '/readyz', expect: { anonymous: 200, viewer: 200, operator: 200, manager: 200, admin: 200 } },

  // The web UI's login: each persona logs in with its own password (anonymous with a wrong one).
  'POST /api/v2/session': {
    path: () => '/api/v2/session',
    body: (s, _t, persona) => ({ login: persona === 'anonymous' ? `${s.prefix}nobody` : persona === 'admin' ? 'admin' : `${s.prefix}${persona}`, password: persona === 'anonymous' ? 'not-the-password' : PASSWORD }),
    expect: { anonymous: 401, viewer: 200, operator: 200, manager: 200, admin: 200 },
  },
  // These speak only of the session cookie: HTTP Basic credentials open no session.
  'GET /api/v2/session': { path: () => '/api/v2/session', expect: { anonymous: 401, viewer: 401, operator: 401, manager: 401, admin: 401 } },
  'DELETE /api/v2/session': { path: () => '/api/v2/session', expect: { anonymous: 401, viewer: 401, operator: 401, manager: 401, admin: 401 } },

  'GET /api/v2/hosts': {
    path: () => '/api/v2/hosts?per_page=100',
    expect: all(200),
    sees: ({ hosts: h }) => ({ viewer: Object.values(h).map((x) => x.name), operator: [h.webA.name, h.webEuA.name, h.webB.name], manager: [h.webA.name, h.webEuA.name, h.dbA.name] }),
  },
  'GET /api/v2/hosts/auto_complete_search': { path: (s) => `/api/v2/hosts/auto_complete_search?search=${encodeURIComponent(`name = ${s.prefix}`)}`, expect: all(200) },
  'GET /api/v2/hosts/:id': { path: (s) => `/api/v2/hosts/${s.hosts.dbA.id}`, expect: { anonymous: 401, viewer: 200, operator: 404, manager: 200, admin: 200 } },
  'GET /api/v2/hosts/:id/facts': { path: (s) => `/api/v2/hosts/${s.hosts.webB.id}/facts`, expect: { anonymous: 401, viewer: 200, operator: 200, manager: 404, admin: 200 } },
  'GET /api/v2/hostgroups': { path: () => '/api/v2/hostgroups', expect: all(200) },
  'GET /api/v2/hostgroups/:id': { path: (s) => `/api/v2/hostgroups/${s.hostgroups.db}`, expect: all(200) },
  'GET /api/v2/fact_names': { path: () => '/api/v2/fact_names', expect: all(200) },
  'GET /api/v2/organizations': { path: () => '/api/v2/organizations', expect: all(200) },
  'GET /api/v2/locations': { path: () => '/api/v2/locations', expect: all(200) },
  'GET /api/v2/smart_proxies': { path: () => '/api/v2/smart_proxies', expect: all(200), sees: ({ proxies: p }) => ({ viewer: [p.a.name, p.b.name], operator: [p.a.name, p.b.name], manager: [p.a.name] }) },
  'GET /api/v2/smart_proxies/:id': { path: (s) => `/api/v2/smart_proxies/${s.proxies.b.id}`, expect: { anonymous: 401, viewer: 200, operator: 200, manager: 404, admin: 200 } },
  'POST /api/v2/smart_proxies/:id/refresh': { path: (s) => `/api/v2/smart_proxies/${s.proxies.a.id}/refresh`, expect: adminOnly(200) },
  // PuppetDB is not configured in this stack: whoever may sync learns that (400).
  'POST /api/v2/inventory/puppetdb_sync': { path: () => '/api/v2/inventory/puppetdb_sync', expect: adminOnly(400) },
  'POST /api/v2/inventory/import': { path: () => '/api/v2/inventory/import', body: (s) => ({ organizations: [`${s.prefix}OrgA`] }), expect: adminOnly(200) },

  'GET /api/v2/remote_execution/jobs': {
    path: () => '/api/v2/remote_execution/jobs?per_page=100',
    expect: all(200),
    sees: ({ jobs: j }) => ({ viewer: Object.values(j).map((x) => x.marker), operator: [j.webStatus.marker, j.webBStatus.marker], manager: [j.webStatus.marker, j.webPing.marker] }),
  },
  'POST /api/v2/remote_execution/jobs': {
    path: () => '/api/v2/remote_execution/jobs',
    body: (s) => ({ job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webA.id] }, timeout: 5 } }),
    expect: { anonymous: 401, viewer: 403, operator: 201, manager: 201, admin: 201 },
  },
  'GET /api/v2/remote_execution/jobs/:id': { path: (s) => `/api/v2/remote_execution/jobs/${jobsOf(s).dbSecret.id}`, expect: { anonymous: 401, viewer: 200, operator: 404, manager: 404, admin: 200 } },
  'GET /api/v2/remote_execution/jobs/:id/hosts': { path: (s) => `/api/v2/remote_execution/jobs/${jobsOf(s).webBStatus.id}/hosts`, expect: { anonymous: 401, viewer: 200, operator: 200, manager: 404, admin: 200 } },
  'GET /api/v2/remote_execution/jobs/:id/events': { path: (s) => `/api/v2/remote_execution/jobs/${jobsOf(s).webPing.id}/events`, expect: { anonymous: 401, viewer: 200, operator: 404, manager: 200, admin: 200 } },
  'POST /api/v2/remote_execution/jobs/:id/replay': {
    path: (s) => `/api/v2/remote_execution/jobs/${jobsOf(s).webStatus.id}/replay`,
    body: () => ({ hosts: 'all' }),
    expect: { anonymous: 401, viewer: 403, operator: 201, manager: 201, admin: 201 },
  },
  // The job is finished: whoever may cancel it learns that (400); whoever may not, 403.
  'POST /api/v2/remote_execution/jobs/:id/cancel': { path: (s) => `/api/v2/remote_execution/jobs/${jobsOf(s).webStatus.id}/cancel`, expect: { anonymous: 401, viewer: 403, operator: 400, manager: 400, admin: 400 } },
  // puppet.runonce is outside the Web operator's create_jobs filter (package.status only).
  'POST /api/v2/hosts/:id/puppet_run': { path: (s) => `/api/v2/hosts/${s.hosts.webA.id}/puppet_run`, body: () => ({}), expect: { anonymous: 401, viewer: 403, operator: 403, manager: 201, admin: 201 } },
  'POST /api/v2/remote_execution/puppet_run': {
    path: () => '/api/v2/remote_execution/puppet_run',
    body: (s) => ({ targeting: { host_ids: [s.hosts.webA.id] }, timeout: 5 }),
    expect: { anonymous: 401, viewer: 403, operator: 403, manager: 201, admin: 201 },
  },
  'GET /api/v2/hosts/:id/remote_execution/jobs': { path: (s) => `/api/v2/hosts/${s.hosts.dbB.id}/remote_execution/jobs`, expect: all(200) },
  // The proxy command center's history: jobs with a stream to proxy-a, each caller's visible ones only.
  'GET /api/v2/smart_proxies/:id/remote_execution/jobs': {
    path: (s) => `/api/v2/smart_proxies/${s.proxies.a.id}/remote_execution/jobs?per_page=100`,
    expect: all(200),
    sees: ({ jobs: j }) => ({ viewer: [j.webStatus.marker, j.webPing.marker], operator: [j.webStatus.marker], manager: [j.webStatus.marker, j.webPing.marker], admin: [j.webPing.marker] }),
  },
  'GET /api/v2/hostgroups/:id/remote_execution/jobs': { path: (s) => `/api/v2/hostgroups/${s.hostgroups.db}/remote_execution/jobs`, expect: all(200) },
  'GET /api/v2/fact_names/:name/remote_execution/jobs': { path: () => '/api/v2/fact_names/osfamily/remote_execution/jobs', expect: all(200) },
  'GET /api/v2/remote_execution/actions': { path: () => '/api/v2/remote_execution/actions?per_page=100', expect: all(200) },
  'GET /api/v2/remote_execution/namespaces': { path: () => '/api/v2/remote_execution/namespaces', expect: { anonymous: 401, viewer: 403, operator: 200, manager: 200, admin: 200 } },

  'GET /api/v2/remote_execution/schedules': { path: () => '/api/v2/remote_execution/schedules', expect: all(200) },
  'GET /api/v2/remote_execution/schedules/:id': { path: (_s, t) => `/api/v2/remote_execution/schedules/${t.schedule}`, expect: all(200) },
  'PUT /api/v2/remote_execution/schedules/:id': { path: (_s, t) => `/api/v2/remote_execution/schedules/${t.schedule}`, body: () => ({ description: 'matrix schedule, changed' }), expect: manageSchedules(200) },
  'POST /api/v2/remote_execution/schedules/:id/disable': { path: (_s, t) => `/api/v2/remote_execution/schedules/${t.schedule}/disable`, expect: manageSchedules(200) },
  'POST /api/v2/remote_execution/schedules/:id/enable': { path: (_s, t) => `/api/v2/remote_execution/schedules/${t.schedule}/enable`, expect: manageSchedules(200) },
  // The Manager deletes it; the Admin, asking next, finds it gone.
  'DELETE /api/v2/remote_execution/schedules/:id': { path: (_s, t) => `/api/v2/remote_execution/schedules/${t.doomedSchedule}`, expect: { anonymous: 401, viewer: 403, operator: 403, manager: 200, admin: 404 } },
  'POST /api/v2/remote_execution/actions/:id/schedule': {
    path: (_s, t) => `/api/v2/remote_execution/actions/${t.storedAction}/schedule`,
    body: (s) => ({ targeting: { host_ids: [s.hosts.webA.id] }, scheduling: tomorrow(), description: 'matrix schedule' }),
    expect: manageSchedules(201),
  },

  'GET /api/v2/current_user': { path: () => '/api/v2/current_user', expect: all(200) },
  'GET /api/v2/users': { path: () => '/api/v2/users', expect: adminOnly(200) },
  'POST /api/v2/users': { path: () => '/api/v2/users', body: (s, _t, persona) => ({ user: { login: `${s.prefix}made-by-${persona}`, password: 'a-long-password' } }), expect: adminOnly(201) },
  'GET /api/v2/users/:id': { path: (_s, t) => `/api/v2/users/${t.bystander}`, expect: adminOnly(200) },
  'PUT /api/v2/users/:id': { path: (_s, t) => `/api/v2/users/${t.bystander}`, body: () => ({ user: { firstname: 'Changed' } }), expect: adminOnly(200) },
  'DELETE /api/v2/users/:id': { path: (_s, t) => `/api/v2/users/${t.victim}`, expect: adminOnly(200) },
  'GET /api/v2/users/:user_id/personal_access_tokens': { path: (_s, t) => `/api/v2/users/${t.bystander}/personal_access_tokens`, expect: adminOnly(200) },
  'POST /api/v2/users/:user_id/personal_access_tokens': { path: (_s, t) => `/api/v2/users/${t.bystander}/personal_access_tokens`, body: () => ({ personal_access_token: { name: 'matrix' } }), expect: adminOnly(201) },
  'GET /api/v2/users/:user_id/personal_access_tokens/:id': { path: (_s, t) => `/api/v2/users/${t.bystander}/personal_access_tokens/${t.bystanderToken}`, expect: adminOnly(200) },
  'DELETE /api/v2/users/:user_id/personal_access_tokens/:id': { path: (_s, t) => `/api/v2/users/${t.bystander}/personal_access_tokens/${t.bystanderToken}`, expect: adminOnly(200) },

  'GET /api/v2/permissions': { path: () => '/api/v2/permissions', expect: all(200) },
  'GET /api/v2/roles': { path: () => '/api/v2/roles', expect: adminOnly(200) },
  'POST /api/v2/roles': { path: () => '/api/v2/roles', body: (s, _t, persona) => ({ role: { name: `${s.prefix}role-by-${persona}` } }), expect: adminOnly(201) },
  'GET /api/v2/roles/:id': { path: (_s, t) => `/api/v2/roles/${t.viewerRole}`, expect: adminOnly(200) },
  'PUT /api/v2/roles/:id': { path: (_s, t) => `/api/v2/roles/${t.matrixRole}`, body: () => ({ role: { description: 'changed' } }), expect: adminOnly(200) },
  'DELETE /api/v2/roles/:id': { path: (_s, t) => `/api/v2/roles/${t.doomedRole}`, expect: adminOnly(200) },
  'POST /api/v2/roles/:id/clone': { path: (_s, t) => `/api/v2/roles/${t.viewerRole}/clone`, body: (s, _t, persona) => ({ role: { name: `${s.prefix}clone-by-${persona}` } }), expect: adminOnly(201) },
  'GET /api/v2/roles/:id/filters': { path: (_s, t) => `/api/v2/roles/${t.matrixRole}/filters`, expect: adminOnly(200) },
  'GET /api/v2/filters': { path: () => '/api/v2/filters', expect: adminOnly(200) },
  'POST /api/v2/filters': { path: () => '/api/v2/filters', body: (_s, t) => ({ filter: { role_id: t.matrixRole, permissions: ['view_hosts'], search: 'hostgroup = db' } }), expect: adminOnly(201) },
  'GET /api/v2/filters/:id': { path: (_s, t) => `/api/v2/filters/${t.editFilter}`, expect: adminOnly(200) },
  'PUT /api/v2/filters/:id': { path: (_s, t) => `/api/v2/filters/${t.editFilter}`, body: () => ({ filter: { search: 'hostgroup = web' } }), expect: adminOnly(200) },
  'DELETE /api/v2/filters/:id': { path: (_s, t) => `/api/v2/filters/${t.doomedFilter}`, expect: adminOnly(200) },

  'GET /api/v2/audits': { path: () => '/api/v2/audits?per_page=1000', expect: all(200) },
  'GET /api/v2/audits/:id': { path: (_s, t) => `/api/v2/audits/${t.adminAuditId}`, expect: { anonymous: 401, viewer: 404, operator: 404, manager: 404, admin: 200 } },
};

/** Names of hosts, proxies and jobs each persona must never see in any response body. */
function outOfScope(s: AuthStack, persona: Persona): string[] {
  const h = s.hosts;
  const j = s.jobs;
  const proxyB = [s.proxies.b.name, s.proxies.b.url];
  switch (persona) {
    case 'anonymous':
      return [...Object.values(h).map((x) => x.name), s.proxies.a.name, ...proxyB, ...Object.values(j).map((x) => x.marker), s.secretPackage];
    case 'operator':
      return [h.dbA.name, h.dbB.name, h.loneB.name, j.dbSecret.marker, j.webPing.marker, s.secretPackage];
    case 'manager':
      return [h.webB.name, h.dbB.name, h.loneB.name, ...proxyB, j.dbSecret.marker, j.webBStatus.marker, s.secretPackage];
    default:
      return [];
  }
}

describe.each(testDatabases())('permission matrix on $kind', (database) => {
  let s: AuthStack;
  let targets: Targets;

  beforeAll(async () => {
    s = await startAuthStack(database);
    const admin = s.as('admin');
    const user = async (name: string) => ((await admin.post('/api/v2/users', { user: { login: `${s.prefix}${name}`, password: 'a-long-password' } }).expect(201)).body as { id: number }).id;
    const role = async (name: string) => ((await admin.post('/api/v2/roles', { role: { name: `${s.prefix}${name}` } }).expect(201)).body as { id: number }).id;
    const filter = async (roleId: number) => ((await admin.post('/api/v2/filters', { filter: { role_id: roleId, permissions: ['view_jobs'], search: 'namespace = rpcutil' } }).expect(201)).body as { id: number }).id;
    const schedule = async () => ((await admin.post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webA.id] }, description: 'matrix schedule', scheduling: tomorrow() } }).expect(201)).body as { schedule_id: number }).schedule_id;
    const bystander = await user('bystander');
    const matrixRole = await role('matrix-role');
    const audits = (await admin.get(`/api/v2/audits?search=${encodeURIComponent(`type = JobInvocation and auditable_id = ${s.jobs.dbSecret.id}`)}`).expect(200)).body as { results: Array<{ id: number }> };
    targets = {
      bystander,
      bystanderToken: ((await admin.post(`/api/v2/users/${bystander}/personal_access_tokens`, { personal_access_token: { name: 'existing' } }).expect(201)).body as { id: number }).id,
      victim: await user('victim'),
      doomedRole: await role('doomed-role'),
      matrixRole,
      editFilter: await filter(matrixRole),
      doomedFilter: await filter(matrixRole),
      viewerRole: ((await admin.get('/api/v2/roles/Viewer').expect(200)).body as { id: number }).id,
      adminAuditId: audits.results[0].id,
      schedule: await schedule(),
      doomedSchedule: await schedule(),
      storedAction: ((await admin.get(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}`).expect(200)).body as { remote_action_id: number }).remote_action_id,
    };
  });

  afterAll(async () => {
    await s?.close();
  });

  it('has a row for every route of the API and a route for every row', () => {
    expect(listRoutes(s.app)).toEqual(Object.keys(ROWS).sort());
  });

  it.each(Object.entries(ROWS))('answers %s with the expected status for every persona and leaks nothing out of scope', async (_key, row) => {
    const method = _key.split(' ')[0];
    const seen: string[] = [];
    for (const persona of PERSONAS) {
      const client = s.as(persona);
      const path = row.path(s, targets);
      const body = row.body?.(s, targets, persona);
      const res = await (method === 'GET' ? client.get(path) : method === 'POST' ? client.post(path, body) : method === 'PUT' ? client.put(path, body) : client.delete(path));
      seen.push(`${persona}:${res.status}`);
      const text = JSON.stringify(res.body);
      const leaked = outOfScope(s, persona).filter((name) => text.includes(name));
      expect({ persona, leaked }).toEqual({ persona, leaked: [] });
      const missing = (row.sees?.(s)[persona] ?? []).filter((name) => !text.includes(name));
      expect({ persona, missing }).toEqual({ persona, missing: [] });
    }
    expect(seen).toEqual(PERSONAS.map((p) => `${p}:${row.expect[p]}`));
  });
});

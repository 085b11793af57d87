/**
 * The authorization matrix: who may call which route, on what. It is the one table behind
 * permission-matrix.int.test.ts (which calls every cell against the real app on both databases and
 * checks that a refused call changed nothing) and behind the matrix in docs/SECURITY.md
 * (permission-matrix.test.ts keeps the two in step, and fails for a route of the catalog without a
 * row here, or a row without a route).
 *
 * Personas (test/ui-extension/auth/support/auth-stack.ts builds them):
 *   anonymous    no credentials
 *   inScope      a limited user whose hostgroup (web) holds the objects acted on: web hosts, the
 *                administrator's jobs and schedules on them. It views hosts and proxies, and views,
 *                runs and cancels jobs and manages its own and others' schedules, all on web
 *   outOfScope   the same permissions on hostgroup db: the objects acted on are outside its scope
 *   userManager  manage_users and nothing else (no administrator)
 *   admin        the admin flag
 *
 * Each case answers, for every persona in that order, the status it must get. One more persona is
 * asked only by the cases that give its status (`templateRunner`):
 *
 *   templateRunner  view_hosts on web, and run_job_templates for the administrator's matrix template
 *                   on web (abilities.ts rule 6); no create_jobs, no view_jobs
 */
import type { AuthStack } from '../auth/support/auth-stack';

export const MATRIX_PERSONAS = ['anonymous', 'inScope', 'outOfScope', 'userManager', 'admin'] as const;
export type MatrixPersona = (typeof MATRIX_PERSONAS)[number];
/** Every persona a case may ask: the five of every case, and those only some cases ask. */
export const ASKED_PERSONAS = [...MATRIX_PERSONAS, 'templateRunner'] as const;
export type AskedPersona = (typeof ASKED_PERSONAS)[number];

/** How docs/SECURITY.md heads each persona's column. */
export const PERSONA_TITLES: Record<MatrixPersona, string> = {
  anonymous: 'anonymous',
  inScope: 'limited, in scope',
  outOfScope: 'limited, out of scope',
  userManager: 'manage_users only',
  admin: 'admin',
};

/** Statuses for anonymous, inScope, outOfScope, userManager and admin, in that order. */
export type Statuses = readonly [number, number, number, number, number];

/** Objects the cases act on, made by the administrator before the matrix runs; `Each` has one per persona. */
export interface Targets {
  /** The stored remote action of the administrator's package.status job on webA. */
  webAction: number;
  /** The administrator's schedule on webA, enabled. */
  webSchedule: number;
  retargetSchedules: Each;
  doomedSchedules: Each;
  /** The administrator's scheduled (not launched) jobs on webA: no host rows. */
  pendingJobs: Each;
  /** A user without any permission, its token, and one token per persona to revoke. */
  bystander: number;
  bystanderToken: number;
  bystanderTokens: Each;
  /** A user with the built-in Viewer role: more than manage_users. */
  viewerUser: number;
  /** A second administrator, its token, and one token per persona to revoke. */
  admin2: number;
  admin2Token: number;
  admin2Tokens: Each;
  victims: Each;
  adminVictims: Each;
  viewerRole: number;
  adminRole: number;
  /** A role with one manage_users filter (`coveredFilter`); roles and filters per persona to delete or widen. */
  coveredRole: number;
  /** A role the cases may add anything to (the administrator's successes widen it). */
  scratchRole: number;
  coveredFilter: number;
  doomedRoles: Each;
  wideRoles: Each;
  doomedFilters: Each;
  wideFilters: Each;
  wideningFilters: Each;
  /** An audit entry of the administrator's. */
  adminAudit: number;
  /** A webhook of the administrator's, and one per persona to delete. */
  webhook: number;
  doomedWebhooks: Each;
  /** The administrator's job template (service.status, default targeting webA), and one per persona to delete. */
  template: number;
  doomedTemplates: Each;
  /** A second template of the administrator's (service.status on webA) that the template runner's filter does not name. */
  otherTemplate: number;
}
export type Each = Record<AskedPersona, number>;

type Ctx = { s: AuthStack; t: Targets; p: AskedPersona };

export interface MatrixCase {
  /** What the case acts on, as the docs say it. */
  on: string;
  expect: Statuses;
  /** The template runner's status, when the case asks it (see the header). */
  templateRunner?: number;
  path: (c: Ctx) => string;
  body?: (c: Ctx) => unknown;
  /** A success answers a job: it is waited for, so no write runs on behind the next case's back. */
  job?: boolean;
  /** Why a refusal here writes to the database (then the fingerprint is not compared). */
  writesWhenRefused?: string;
}

const tomorrow = () => ({ start_at: new Date(Date.now() + 86_400_000).toISOString() });
const statusJob = (hostId: number) => ({ job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [hostId] }, timeout: 5 } });
const login = (c: Ctx) => (c.p === 'admin' ? 'admin' : `${c.s.prefix}${c.p}`);

/** Keyed `METHOD /path` as express lists routes (`/api/v2` included); one or more cases each. */
export const MATRIX: Record<string, MatrixCase[]> = {
  // Public and session routes ------------------------------------------------------------------
  'POST /api/v2/session': [{
    on: 'its own login (anonymous: a wrong password)',
    expect: [401, 200, 200, 200, 200],
    path: () => '/api/v2/session',
    body: (c) => ({ login: c.p === 'anonymous' ? `${c.s.prefix}nobody` : login(c), password: c.p === 'anonymous' ? 'not-the-password' : 'auth-test-password' }),
    writesWhenRefused: 'a failed login is audited and counted by the login throttle',
  }],
  // These speak only of the cookie session: HTTP Basic credentials open none.
  'GET /api/v2/session': [{ on: 'the cookie session', expect: [401, 401, 401, 401, 401], path: () => '/api/v2/session' }],
  'DELETE /api/v2/session': [{ on: 'the cookie session', expect: [401, 401, 401, 401, 401], path: () => '/api/v2/session' }],
  'GET /api/v2/status': [{ on: 'health (smart proxies as the caller sees them)', expect: [200, 200, 200, 200, 200], path: () => '/api/v2/status' }],
  'GET /api/v2/openapi.json': [{ on: 'the API description', expect: [200, 200, 200, 200, 200], path: () => '/api/v2/openapi.json' }],
  // Swagger UI on the document above: a page and its files, never data.
  'GET /apidoc': [{ on: 'the API documentation page', expect: [200, 200, 200, 200, 200], path: () => '/apidoc' }],
  // Counts, never data; guarded by its own bearer token (metrics.bearer_token) when one is set.
  'GET /metrics': [{ on: 'Prometheus metrics (no token configured)', expect: [200, 200, 200, 200, 200], path: () => '/metrics' }],
  // Load balancer checks (issue #27): no login, and nothing but liveness/readiness in the body.
  'GET /healthz': [{ on: 'liveness', expect: [200, 200, 200, 200, 200], path: () => '/healthz' }],
  'GET /livez': [{ on: 'liveness (the older name of /healthz)', expect: [200, 200, 200, 200, 200], path: () => '/livez' }],
  'GET /readyz': [{ on: 'readiness', expect: [200, 200, 200, 200, 200], path: () => '/readyz' }],

  // Inventory ----------------------------------------------------------------------------------
  'GET /api/v2/hosts': [{ on: 'hosts (each sees its own)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/hosts?per_page=100' }],
  'GET /api/v2/hosts/auto_complete_search': [{ on: 'completions (each from its own)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/hosts/auto_complete_search?search=hostgroup%20%3D%20' }],
  'GET /api/v2/hosts/:id': [{ on: 'host webA', expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/hosts/${c.s.hosts.webA.id}` }],
  'GET /api/v2/hosts/:id/facts': [{ on: 'host webA', expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/hosts/${c.s.hosts.webA.id}/facts` }],
  'GET /api/v2/hostgroups': [{ on: 'hostgroups (each sees its own)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/hostgroups' }],
  'GET /api/v2/hostgroups/:id': [{ on: 'hostgroup web', expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/hostgroups/${c.s.hostgroups.web}` }],
  'GET /api/v2/fact_names': [{ on: 'fact names (of hosts it sees)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/fact_names' }],
  'GET /api/v2/fact_names/:name/values': [{ on: 'fact matrix_rack (on web hosts only)', expect: [401, 200, 404, 403, 200], path: () => '/api/v2/fact_names/matrix_rack/values' }],
  'GET /api/v2/organizations': [{ on: 'organizations (of hosts it sees)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/organizations' }],
  'GET /api/v2/locations': [{ on: 'locations (of hosts it sees)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/locations' }],
  'GET /api/v2/smart_proxies': [{ on: 'smart proxies (serving a host it sees)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/smart_proxies' }],
  // Both proxies serve web and db hosts, so both limited users see both.
  'GET /api/v2/smart_proxies/:id': [{ on: 'proxy a (serves web and db hosts)', expect: [401, 200, 200, 403, 200], path: (c) => `/api/v2/smart_proxies/${c.s.proxies.a.id}` }],
  'POST /api/v2/smart_proxies': [{ on: 'a new proxy at proxy b\'s address', expect: [401, 403, 403, 403, 201], path: () => '/api/v2/smart_proxies', body: (c) => ({ smart_proxy: { name: `${c.s.prefix}proxy-by-${c.p}`, url: c.s.proxies.b.url } }) }],
  'PUT /api/v2/smart_proxies/:id': [{ on: 'proxy b: its address, unchanged', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/smart_proxies/${c.s.proxies.b.id}`, body: (c) => ({ smart_proxy: { url: c.s.proxies.b.url } }) }],
  'POST /api/v2/smart_proxies/:id/refresh': [{ on: 'proxy a', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/smart_proxies/${c.s.proxies.a.id}/refresh` }],
  'POST /api/v2/inventory/import': [{ on: 'an organization', expect: [401, 403, 403, 403, 200], path: () => '/api/v2/inventory/import', body: (c) => ({ organizations: [`${c.s.prefix}OrgA`] }) }],
  // PuppetDB is not configured here: whoever may sync learns that (400).
  'POST /api/v2/inventory/puppetdb_sync': [{ on: 'PuppetDB (not configured)', expect: [401, 403, 403, 403, 400], path: () => '/api/v2/inventory/puppetdb_sync' }],
  // Nor is Foreman: the same answers, naming Foreman.
  'POST /api/v2/inventory/foreman_sync': [{ on: 'Foreman (not configured)', expect: [401, 403, 403, 403, 400], path: () => '/api/v2/inventory/foreman_sync' }],

  // Jobs ---------------------------------------------------------------------------------------
  'GET /api/v2/remote_execution/jobs': [{ on: 'jobs (each sees those on its hosts, and its own)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/remote_execution/jobs?per_page=100' }],
  // A host outside the caller's scope is as absent as one that does not exist: the targeting matches no host (422, issue #17).
  'POST /api/v2/remote_execution/jobs': [{ on: 'package.status on webA', expect: [401, 201, 422, 403, 201], templateRunner: 403, path: () => '/api/v2/remote_execution/jobs', body: (c) => statusJob(c.s.hosts.webA.id), job: true }],
  // Whoever may create the job may preview it; out of scope, the preview matches no host (what the job would be refused for).
  'POST /api/v2/remote_execution/jobs/preview': [{ on: 'package.status on webA', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/remote_execution/jobs/preview', body: (c) => statusJob(c.s.hosts.webA.id) }],
  'GET /api/v2/remote_execution/jobs/:id': [
    { on: "the administrator's job on webA", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/remote_execution/jobs/${c.s.jobs.webStatus.id}` },
    { on: "the administrator's scheduled job on webA (no host rows)", expect: [401, 404, 404, 403, 200], path: (c) => `/api/v2/remote_execution/jobs/${c.t.pendingJobs[c.p]}` },
  ],
  'GET /api/v2/remote_execution/jobs/:id/hosts': [{ on: "the administrator's job on webA", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/remote_execution/jobs/${c.s.jobs.webStatus.id}/hosts` }],
  'GET /api/v2/remote_execution/jobs/:id/hosts/export': [{ on: "the administrator's job on webA, as CSV", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/remote_execution/jobs/${c.s.jobs.webStatus.id}/hosts/export?format=csv` }],
  'GET /api/v2/remote_execution/jobs/:id/events': [{ on: "the administrator's job on webA", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/remote_execution/jobs/${c.s.jobs.webStatus.id}/events` }],
  'POST /api/v2/remote_execution/jobs/:id/replay': [{ on: "the administrator's job on webA", expect: [401, 201, 404, 403, 201], path: (c) => `/api/v2/remote_execution/jobs/${c.s.jobs.webStatus.id}/replay`, body: () => ({ hosts: 'all' }), job: true }],
  'POST /api/v2/remote_execution/jobs/:id/replay/preview': [{ on: "the administrator's job on webA", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/remote_execution/jobs/${c.s.jobs.webStatus.id}/replay/preview`, body: () => ({ hosts: 'all' }) }],
  'POST /api/v2/remote_execution/jobs/:id/cancel': [
    // Finished: whoever may cancel it learns that (400).
    { on: "the administrator's finished job on webA", expect: [401, 400, 404, 403, 400], path: (c) => `/api/v2/remote_execution/jobs/${c.s.jobs.webStatus.id}/cancel` },
    { on: "the administrator's scheduled job on webA (no host rows)", expect: [401, 404, 404, 403, 200], path: (c) => `/api/v2/remote_execution/jobs/${c.t.pendingJobs[c.p]}/cancel` },
  ],
  // Pause and resume need what cancel needs; a finished or scheduled job cannot be paused (400).
  'POST /api/v2/remote_execution/jobs/:id/pause': [
    { on: "the administrator's finished job on webA", expect: [401, 400, 404, 403, 400], path: (c) => `/api/v2/remote_execution/jobs/${c.s.jobs.webStatus.id}/pause` },
    { on: "the administrator's scheduled job on webA (no host rows)", expect: [401, 404, 404, 403, 400], path: (c) => `/api/v2/remote_execution/jobs/${c.t.pendingJobs[c.p]}/pause` },
  ],
  'POST /api/v2/remote_execution/jobs/:id/resume': [
    { on: "the administrator's finished job on webA", expect: [401, 400, 404, 403, 400], path: (c) => `/api/v2/remote_execution/jobs/${c.s.jobs.webStatus.id}/resume` },
    { on: "the administrator's scheduled job on webA (no host rows)", expect: [401, 404, 404, 403, 400], path: (c) => `/api/v2/remote_execution/jobs/${c.t.pendingJobs[c.p]}/resume` },
  ],
  // Foreman REX's names for the same jobs (job-invocations.routes.ts): each as the route it aliases.
  'GET /api/v2/job_invocations': [{ on: 'jobs as job invocations', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/job_invocations?per_page=100' }],
  'POST /api/v2/job_invocations': [{ on: 'package.status on webA, Foreman\'s body', expect: [401, 201, 422, 403, 201], path: () => '/api/v2/job_invocations', body: (c) => ({ job_invocation: { namespace: 'package', action: 'status', inputs: { package: 'nginx' }, host_ids: [c.s.hosts.webA.id], execution_timeout_interval: 5 } }), job: true }],
  'GET /api/v2/job_invocations/:id': [{ on: "the administrator's job on webA", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/job_invocations/${c.s.jobs.webStatus.id}` }],
  'GET /api/v2/job_invocations/:id/hosts': [{ on: "the administrator's job on webA", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/job_invocations/${c.s.jobs.webStatus.id}/hosts` }],
  'GET /api/v2/job_invocations/:id/hosts/:host_id': [{ on: "webA's output in the administrator's job", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/job_invocations/${c.s.jobs.webStatus.id}/hosts/${c.s.hosts.webA.id}` }],
  'POST /api/v2/job_invocations/:id/rerun': [{ on: "the administrator's job on webA, all its hosts", expect: [401, 201, 404, 403, 201], path: (c) => `/api/v2/job_invocations/${c.s.jobs.webStatus.id}/rerun`, body: () => ({ failed_only: false }), job: true }],
  // A host or hostgroup the caller sees neither in the inventory nor in a job it may see is not found, as on /hosts/:id.
  'GET /api/v2/hosts/:id/remote_execution/jobs': [
    { on: 'host webA (jobs it sees)', expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/hosts/${c.s.hosts.webA.id}/remote_execution/jobs` },
    { on: 'host webA by name', expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/hosts/${c.s.hosts.webA.name}/remote_execution/jobs` },
  ],
  'GET /api/v2/hostgroups/:id/remote_execution/jobs': [{ on: 'hostgroup web (jobs it sees)', expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/hostgroups/${c.s.hostgroups.web}/remote_execution/jobs` }],
  'GET /api/v2/smart_proxies/:id/remote_execution/jobs': [{ on: 'proxy a (jobs it sees)', expect: [401, 200, 200, 403, 200], path: (c) => `/api/v2/smart_proxies/${c.s.proxies.a.id}/remote_execution/jobs?per_page=100` }],
  'GET /api/v2/fact_names/:name/remote_execution/jobs': [{ on: 'fact osfamily (jobs it sees)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/fact_names/osfamily/remote_execution/jobs' }],
  'GET /api/v2/remote_execution/actions': [{ on: 'stored actions (of jobs it sees)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/remote_execution/actions?per_page=100' }],
  'GET /api/v2/remote_execution/argument_history': [{ on: 'arguments of package.status (of jobs it sees)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/remote_execution/argument_history?namespace=package&action=status' }],
  'GET /api/v2/remote_execution/namespaces': [{ on: 'agents and actions it may run', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/remote_execution/namespaces' }],
  // puppet.runonce is a normal job: any agent on its hosts for the limited users.
  'POST /api/v2/hosts/:id/puppet_run': [{ on: 'host webA', expect: [401, 201, 404, 403, 201], path: (c) => `/api/v2/hosts/${c.s.hosts.webA.id}/puppet_run`, body: () => ({}), job: true }],
  'POST /api/v2/remote_execution/puppet_run': [{ on: 'host webA', expect: [401, 201, 422, 403, 201], path: () => '/api/v2/remote_execution/puppet_run', body: (c) => ({ targeting: { host_ids: [c.s.hosts.webA.id] }, timeout: 5 }), job: true }],

  // Schedules ----------------------------------------------------------------------------------
  'POST /api/v2/remote_execution/actions/:id/schedule': [{ on: "the administrator's stored action of a job on webA", expect: [401, 201, 404, 403, 201], path: (c) => `/api/v2/remote_execution/actions/${c.t.webAction}/schedule`, body: (c) => ({ targeting: { host_ids: [c.s.hosts.webA.id] }, scheduling: tomorrow(), description: `${c.s.prefix}matrix schedule` }) }],
  'GET /api/v2/remote_execution/schedules': [{ on: 'upcoming occurrences (of schedules it may read)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/remote_execution/schedules' }],
  'GET /api/v2/remote_execution/schedule_definitions': [{ on: 'schedule definitions (of schedules it may read)', expect: [401, 200, 200, 403, 200], path: () => '/api/v2/remote_execution/schedule_definitions' }],
  'GET /api/v2/remote_execution/schedules/:id': [{ on: "the administrator's schedule on webA", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/remote_execution/schedules/${c.t.webSchedule}` }],
  'PUT /api/v2/remote_execution/schedules/:id': [
    { on: "the administrator's schedule on webA: its description", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/remote_execution/schedules/${c.t.webSchedule}`, body: () => ({ description: 'matrix schedule, changed' }) },
    { on: "the administrator's schedule on webA: re-targeted to every host", expect: [401, 403, 404, 403, 200], path: (c) => `/api/v2/remote_execution/schedules/${c.t.retargetSchedules[c.p]}`, body: (c) => ({ targeting: { search: `name ~ ${c.s.prefix}` } }) },
  ],
  'POST /api/v2/remote_execution/schedules/:id/disable': [{ on: "the administrator's schedule on webA", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/remote_execution/schedules/${c.t.webSchedule}/disable` }],
  'POST /api/v2/remote_execution/schedules/:id/enable': [{ on: "the administrator's schedule on webA", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/remote_execution/schedules/${c.t.webSchedule}/enable` }],
  'DELETE /api/v2/remote_execution/schedules/:id': [{ on: "the administrator's schedule on webA", expect: [401, 200, 404, 403, 200], path: (c) => `/api/v2/remote_execution/schedules/${c.t.doomedSchedules[c.p]}` }],

  // Users and tokens ---------------------------------------------------------------------------
  'GET /api/v2/current_user': [{ on: 'itself', expect: [401, 200, 200, 200, 200], path: () => '/api/v2/current_user' }],
  'GET /api/v2/users': [{ on: 'users', expect: [401, 403, 403, 200, 200], path: () => '/api/v2/users' }],
  'POST /api/v2/users': [
    { on: 'a user without roles', expect: [401, 403, 403, 201, 201], path: () => '/api/v2/users', body: (c) => ({ user: { login: `${c.s.prefix}made-by-${c.p}`, password: 'a-long-password' } }) },
    { on: 'a user with the Viewer role (beyond manage_users)', expect: [401, 403, 403, 403, 201], path: () => '/api/v2/users', body: (c) => ({ user: { login: `${c.s.prefix}viewer-by-${c.p}`, password: 'a-long-password', role_ids: [c.t.viewerRole] } }) },
  ],
  'GET /api/v2/users/:id': [{ on: 'a user without permissions', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/users/${c.t.bystander}` }],
  'PUT /api/v2/users/:id': [
    { on: 'a user without permissions: its password', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/users/${c.t.bystander}`, body: () => ({ user: { password: 'reset-password-1' } }) },
    { on: 'a Viewer: its password', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/users/${c.t.viewerUser}`, body: () => ({ user: { password: 'reset-password-1' } }) },
    { on: 'another administrator: its password', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/users/${c.t.admin2}`, body: () => ({ user: { password: 'reset-password-1' } }) },
    { on: 'itself: the Admin role added', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/users/${c.p === 'anonymous' ? c.t.bystander : c.s.users[c.p]}`, body: (c) => ({ user: { role_ids: [c.t.adminRole] } }) },
  ],
  'DELETE /api/v2/users/:id': [
    { on: 'a user without permissions', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/users/${c.t.victims[c.p]}` },
    { on: 'an administrator', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/users/${c.t.adminVictims[c.p]}` },
  ],
  'GET /api/v2/users/:user_id/personal_access_tokens': [
    { on: 'those of a user without permissions', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/users/${c.t.bystander}/personal_access_tokens` },
    { on: 'those of another administrator', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/users/${c.t.admin2}/personal_access_tokens` },
  ],
  'POST /api/v2/users/:user_id/personal_access_tokens': [
    { on: 'one for a user without permissions', expect: [401, 403, 403, 201, 201], path: (c) => `/api/v2/users/${c.t.bystander}/personal_access_tokens`, body: () => ({ personal_access_token: { name: 'matrix' } }) },
    { on: 'one for another administrator', expect: [401, 403, 403, 403, 201], path: (c) => `/api/v2/users/${c.t.admin2}/personal_access_tokens`, body: () => ({ personal_access_token: { name: 'matrix' } }) },
  ],
  'GET /api/v2/users/:user_id/personal_access_tokens/:id': [
    { on: 'one of a user without permissions', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/users/${c.t.bystander}/personal_access_tokens/${c.t.bystanderToken}` },
    { on: 'one of another administrator', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/users/${c.t.admin2}/personal_access_tokens/${c.t.admin2Token}` },
  ],
  'DELETE /api/v2/users/:user_id/personal_access_tokens/:id': [
    { on: 'one of a user without permissions', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/users/${c.t.bystander}/personal_access_tokens/${c.t.bystanderTokens[c.p]}` },
    { on: 'one of another administrator', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/users/${c.t.admin2}/personal_access_tokens/${c.t.admin2Tokens[c.p]}` },
  ],

  // Roles and filters --------------------------------------------------------------------------
  'GET /api/v2/permissions': [{ on: 'the permissions', expect: [401, 200, 200, 200, 200], path: () => '/api/v2/permissions' }],
  'GET /api/v2/roles': [{ on: 'roles', expect: [401, 403, 403, 200, 200], path: () => '/api/v2/roles' }],
  'POST /api/v2/roles': [{ on: 'an empty role', expect: [401, 403, 403, 201, 201], path: () => '/api/v2/roles', body: (c) => ({ role: { name: `${c.s.prefix}role-by-${c.p}` } }) }],
  'GET /api/v2/roles/:id': [{ on: 'the built-in Viewer role', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/roles/${c.t.viewerRole}` }],
  'PUT /api/v2/roles/:id': [
    { on: 'a role granting manage_users', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/roles/${c.t.coveredRole}`, body: () => ({ role: { description: 'changed' } }) },
    { on: 'a role granting view_hosts everywhere', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/roles/${c.t.wideRoles[c.p]}`, body: () => ({ role: { description: 'changed' } }) },
  ],
  'DELETE /api/v2/roles/:id': [
    { on: 'a role granting manage_users', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/roles/${c.t.doomedRoles[c.p]}` },
    { on: 'a role granting view_hosts everywhere', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/roles/${c.t.wideRoles[c.p]}` },
  ],
  'POST /api/v2/roles/:id/clone': [
    { on: 'a role granting manage_users', expect: [401, 403, 403, 201, 201], path: (c) => `/api/v2/roles/${c.t.coveredRole}/clone`, body: (c) => ({ role: { name: `${c.s.prefix}clone-by-${c.p}` } }) },
    { on: 'the built-in Admin role', expect: [401, 403, 403, 403, 201], path: (c) => `/api/v2/roles/${c.t.adminRole}/clone`, body: (c) => ({ role: { name: `${c.s.prefix}admin-clone-by-${c.p}` } }) },
  ],
  'GET /api/v2/roles/:id/filters': [{ on: 'a role granting manage_users', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/roles/${c.t.coveredRole}/filters` }],
  'GET /api/v2/filters': [{ on: 'filters', expect: [401, 403, 403, 200, 200], path: () => '/api/v2/filters' }],
  'POST /api/v2/filters': [
    { on: 'manage_users, on a role', expect: [401, 403, 403, 201, 201], path: () => '/api/v2/filters', body: (c) => ({ filter: { role_id: c.t.coveredRole, permissions: ['manage_users'] } }) },
    { on: 'view_hosts everywhere, on a role', expect: [401, 403, 403, 403, 201], path: () => '/api/v2/filters', body: (c) => ({ filter: { role_id: c.t.scratchRole, permissions: ['view_hosts'] } }) },
  ],
  'GET /api/v2/filters/:id': [{ on: 'a manage_users filter', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/filters/${c.t.coveredFilter}` }],
  'PUT /api/v2/filters/:id': [
    { on: 'a manage_users filter, kept so', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/filters/${c.t.coveredFilter}`, body: () => ({ filter: { permissions: ['manage_users'] } }) },
    { on: 'a manage_users filter, widened to view_hosts', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/filters/${c.t.wideningFilters[c.p]}`, body: () => ({ filter: { permissions: ['view_hosts'] } }) },
  ],
  'DELETE /api/v2/filters/:id': [
    { on: 'a manage_users filter', expect: [401, 403, 403, 200, 200], path: (c) => `/api/v2/filters/${c.t.doomedFilters[c.p]}` },
    { on: 'a view_hosts filter without a search', expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/filters/${c.t.wideFilters[c.p]}` },
  ],

  // Audit --------------------------------------------------------------------------------------
  'GET /api/v2/audits': [{ on: 'audit entries (its own; all with view_audit_logs)', expect: [401, 200, 200, 200, 200], path: () => '/api/v2/audits?per_page=1000' }],
  'GET /api/v2/audits/:id': [{ on: "an entry of the administrator's", expect: [401, 404, 404, 404, 200], path: (c) => `/api/v2/audits/${c.t.adminAudit}` }],

  // Job templates: administrators manage them; running one is creating a job ---------------------
  'GET /api/v2/job_templates': [{ on: 'job templates (the template runner: those it may run)', expect: [401, 200, 200, 403, 200], templateRunner: 200, path: () => '/api/v2/job_templates' }],
  'POST /api/v2/job_templates': [{ on: 'a new template of service.status', expect: [401, 403, 403, 403, 201], templateRunner: 403, path: () => '/api/v2/job_templates', body: (c) => ({ job_template: { name: `${c.s.prefix}template-by-${c.p}`, namespace: 'service', action: 'status', inputs: [{ name: 'service', type: 'string', required: true }] } }) }],
  'GET /api/v2/job_templates/:id': [
    { on: "the administrator's template", expect: [401, 200, 200, 403, 200], templateRunner: 200, path: (c) => `/api/v2/job_templates/${c.t.template}` },
    { on: "another template of the administrator's", expect: [401, 200, 200, 403, 200], templateRunner: 404, path: (c) => `/api/v2/job_templates/${c.t.otherTemplate}` },
  ],
  'PUT /api/v2/job_templates/:id': [{ on: "the administrator's template", expect: [401, 403, 403, 403, 200], templateRunner: 403, path: (c) => `/api/v2/job_templates/${c.t.template}`, body: (c) => ({ job_template: { name: `${c.s.prefix}matrix-template`, namespace: 'service', action: 'status', inputs: [{ name: 'service', type: 'string', default: 'sshd' }], targeting: { host_ids: [c.s.hosts.webA.id] }, timeout: 5 } }) }],
  'DELETE /api/v2/job_templates/:id': [{ on: "a template of the administrator's", expect: [401, 403, 403, 403, 200], templateRunner: 403, path: (c) => `/api/v2/job_templates/${c.t.doomedTemplates[c.p]}` }],
  // The template runner runs the template its filter names, and neither another one nor the raw action (above).
  'POST /api/v2/job_templates/:id/run': [
    { on: "the administrator's template on webA", expect: [401, 201, 422, 403, 201], templateRunner: 201, path: (c) => `/api/v2/job_templates/${c.t.template}/run`, body: () => ({ inputs: { service: 'sshd' } }), job: true },
    { on: "another template of the administrator's on webA", expect: [401, 201, 422, 403, 201], templateRunner: 404, path: (c) => `/api/v2/job_templates/${c.t.otherTemplate}/run`, body: () => ({ inputs: { service: 'sshd' } }), job: true },
  ],
  // Webhooks: administrators only ------------------------------------------------------------
  'GET /api/v2/webhooks': [{ on: 'webhooks', expect: [401, 403, 403, 403, 200], path: () => '/api/v2/webhooks' }],
  'POST /api/v2/webhooks': [{ on: 'a new webhook', expect: [401, 403, 403, 403, 201], path: () => '/api/v2/webhooks', body: (c) => ({ webhook: { name: `${c.s.prefix}hook-by-${c.p}`, url: 'http://127.0.0.1:1/hook', secret: 'a-matrix-secret-1234' } }) }],
  'GET /api/v2/webhooks/:id': [{ on: "the administrator's webhook", expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/webhooks/${c.t.webhook}` }],
  'PUT /api/v2/webhooks/:id': [{ on: "the administrator's webhook: disabled", expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/webhooks/${c.t.webhook}`, body: () => ({ webhook: { enabled: false } }) }],
  'DELETE /api/v2/webhooks/:id': [{ on: "a webhook of the administrator's", expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/webhooks/${c.t.doomedWebhooks[c.p]}` }],
  'GET /api/v2/webhooks/:id/deliveries': [{ on: "the administrator's webhook", expect: [401, 403, 403, 403, 200], path: (c) => `/api/v2/webhooks/${c.t.webhook}/deliveries` }],
};

/** Routes besides the catalog's /api/v2 ones that the app serves (metrics.routes.ts, status.routes.ts). */
export const ROUTES_OUTSIDE_CATALOG = ['GET /metrics', 'GET /healthz', 'GET /livez', 'GET /readyz', 'GET /apidoc'];

/**
 * What is wrong between the routes the app declares and the matrix: a route without a row, a row
 * without a route. Empty when they agree.
 */
export function matrixProblems(routes: readonly string[], matrix: Record<string, readonly MatrixCase[]> = MATRIX): string[] {
  const rows = new Set(Object.keys(matrix));
  const declared = new Set(routes);
  return [
    ...[...declared].filter((r) => !rows.has(r)).map((r) => `${r} has no row in the authorization matrix (test/ui-extension/http/permission-matrix.ts)`),
    ...[...rows].filter((r) => !declared.has(r)).map((r) => `the matrix row ${r} names no route of the app`),
    ...Object.entries(matrix).filter(([, cases]) => cases.length === 0).map(([r]) => `the matrix row ${r} has no case`),
  ];
}

/** The matrix as the Markdown table in docs/SECURITY.md. */
export function renderMatrix(matrix: Record<string, readonly MatrixCase[]> = MATRIX): string {
  const head = `| route | on | ${MATRIX_PERSONAS.map((p) => PERSONA_TITLES[p]).join(' | ')} | run_job_templates for one template |`;
  const rule = `| --- | --- | ${MATRIX_PERSONAS.map(() => '---').join(' | ')} | --- |`;
  // The template runner is asked only where its column has a status; elsewhere it shows a dash.
  const lines = Object.entries(matrix).flatMap(([route, cases]) => cases.map((c) => `| \`${route}\` | ${c.on} | ${c.expect.join(' | ')} | ${c.templateRunner ?? '-'} |`));
  return [head, rule, ...lines].join('\n');
}

/**
 * The authorization matrix (permission-matrix.ts) against the real app on both databases: every
 * route of the app has its row, every case answers each persona the status the row says, a
 * refused call changes nothing in the database (a fingerprint of every table, as the fault suite
 * takes it) but its audit entry (every 403 counted once in a `denied` entry under its route), and
 * no answer names a host, job or secret outside the caller's scope.
 */
import type { Job } from '@common/jobs';
import { routeCatalog } from '@server/http/routes/catalog';
import { listRoutes } from '@test/support/routes';
import { testDatabases } from '@test/support/databases';
import { databaseFingerprint, deniedCount, settle } from '../../faults/support/database-fingerprint';
import { startAuthStack, type AuthStack } from '../auth/support/auth-stack';
import { ASKED_PERSONAS, MATRIX, MATRIX_PERSONAS, matrixProblems, type AskedPersona, type Each, type Targets } from './permission-matrix';

jest.setTimeout(300_000);

/** Each /api/v2 route's declared success body (route-spec.ts `response`), by `METHOD /api/v2/path`. */
const RESPONSES = new Map(routeCatalog().map((e) => [`${e.spec.method.toUpperCase()} /api/v2${e.spec.path}`, e.spec.response]));

/**
 * What is wrong with a success body against its route's declared schema (the OpenAPI document's
 * response): a field of the wrong type, a missing one, or one the schema does not declare.
 */
function responseProblems(route: string, body: unknown): string[] {
  const schema = RESPONSES.get(route);
  if (!schema) return [];
  const parsed = schema.safeParse(body);
  if (!parsed.success) return parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
  // Parsing strips undeclared fields: what it kept must be the whole answer.
  return undeclared(body, parsed.data as unknown, '').slice(0, 5).map((field) => `${field}: not declared`);
}

/** The fields of `body` that parsing dropped, as paths (`results.0.scheduled_at`). */
function undeclared(body: unknown, kept: unknown, at: string): string[] {
  if (Array.isArray(body) && Array.isArray(kept)) return body.flatMap((item, i) => undeclared(item, kept[i], `${at}${i}.`));
  if (!body || typeof body !== 'object' || !kept || typeof kept !== 'object') return [];
  return Object.entries(body).flatMap(([key, value]) => (key in kept ? undeclared(value, (kept as Record<string, unknown>)[key], `${at}${key}.`) : [`${at}${key}`]));
}

const tomorrow = () => ({ start_at: new Date(Date.now() + 86_400_000).toISOString() });

/** Names each persona must never find in any answer: hosts, jobs and secrets outside its scope. */
function neverSeen(s: AuthStack, persona: AskedPersona): string[] {
  const h = s.hosts;
  const j = s.jobs;
  const everything = [...Object.values(h).map((x) => x.name), ...Object.values(j).map((x) => x.marker), s.secretPackage];
  switch (persona) {
    case 'anonymous':
    case 'userManager':
      return [...everything, s.proxies.a.name, s.proxies.b.name];
    case 'inScope':
      return [h.dbA.name, h.dbB.name, h.loneB.name, j.dbSecret.marker, s.secretPackage];
    case 'templateRunner':
      return [h.dbA.name, h.dbB.name, h.loneB.name, j.dbSecret.marker, s.secretPackage, `${s.prefix}other-template`];
    case 'outOfScope':
      return [h.webA.name, h.webEuA.name, h.webB.name, h.loneB.name, j.webStatus.marker, j.webBStatus.marker, j.webPing.marker];
    default:
      return [];
  }
}

/** Names an answer must hold for the persona: the scope is applied, not everything hidden. */
function alwaysSeen(s: AuthStack, route: string): Partial<Record<AskedPersona, string[]>> {
  const h = s.hosts;
  switch (route) {
    case 'GET /api/v2/hosts':
      return { inScope: [h.webA.name, h.webEuA.name, h.webB.name], outOfScope: [h.dbA.name, h.dbB.name], admin: [h.loneB.name] };
    case 'GET /api/v2/remote_execution/jobs':
      return { inScope: [s.jobs.webStatus.marker, s.jobs.webBStatus.marker], outOfScope: [s.jobs.dbSecret.marker] };
    case 'GET /api/v2/job_templates':
      return { templateRunner: [`"${s.prefix}matrix-template"`] };
    case 'GET /api/v2/hostgroups':
      return { inScope: ['"web/eu"'], outOfScope: ['"db"'] };
    default:
      return {};
  }
}

describe.each(testDatabases())('authorization matrix on $kind', (database) => {
  let s: AuthStack;
  let t: Targets;
  let fingerprint: () => Promise<string>;

  beforeAll(async () => {
    s = await startAuthStack(database);
    fingerprint = databaseFingerprint(s);
    const admin = s.as('admin');
    const id = (res: { body: unknown }) => (res.body as { id: number }).id;
    const each = async (make: (p: AskedPersona) => Promise<number>): Promise<Each> => {
      const out = {} as Each;
      for (const p of ASKED_PERSONAS) out[p] = await make(p);
      return out;
    };
    const user = async (name: string, extra: Record<string, unknown> = {}) => id(await admin.post('/api/v2/users', { user: { login: `${s.prefix}${name}`, password: 'a-long-password', ...extra } }).expect(201));
    const role = async (name: string) => id(await admin.post('/api/v2/roles', { role: { name: `${s.prefix}${name}` } }).expect(201));
    const filter = async (roleId: number, permissions: string[]) => id(await admin.post('/api/v2/filters', { filter: { role_id: roleId, permissions } }).expect(201));
    const token = async (userId: number, name: string) => id(await admin.post(`/api/v2/users/${userId}/personal_access_tokens`, { personal_access_token: { name } }).expect(201));
    const schedule = async (description: string) => ((await admin.post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webA.id] }, description, scheduling: tomorrow() } }).expect(201)).body as Job);
    const webhook = async (name: string) => id(await admin.post('/api/v2/webhooks', { webhook: { name: `${s.prefix}${name}`, url: 'http://127.0.0.1:1/hook', secret: 'a-matrix-secret-1234' } }).expect(201));
    const template = async (name: string) => id(await admin.post('/api/v2/job_templates', { job_template: { name: `${s.prefix}${name}`, namespace: 'service', action: 'status', inputs: [{ name: 'service', type: 'string', required: true }], targeting: { host_ids: [s.hosts.webA.id] }, timeout: 5 } }).expect(201));
    const roleId = async (name: string) => id(await admin.get(`/api/v2/roles/${name}`).expect(200));

    const bystander = await user('bystander');
    const admin2 = await user('admin2', { admin: true });
    const coveredRole = await role('covered');
    const scratchRole = await role('scratch');
    const adminAudits = (await admin.get(`/api/v2/audits?search=${encodeURIComponent(`type = JobInvocation and auditable_id = ${s.jobs.dbSecret.id}`)}`).expect(200)).body as { results: Array<{ id: number }> };
    t = {
      webAction: ((await admin.get(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}`).expect(200)).body as Job).remote_action_id,
      webSchedule: (await schedule('matrix schedule')).schedule_id!,
      retargetSchedules: await each(async (p) => (await schedule(`to re-target by ${p}`)).schedule_id!),
      doomedSchedules: await each(async (p) => (await schedule(`to delete by ${p}`)).schedule_id!),
      pendingJobs: await each(async (p) => (await schedule(`pending for ${p}`)).id),
      bystander,
      bystanderToken: await token(bystander, 'existing'),
      bystanderTokens: await each((p) => token(bystander, `for ${p}`)),
      viewerUser: await user('viewer-user', { role_ids: [await roleId('Viewer')] }),
      admin2,
      admin2Token: await token(admin2, 'existing'),
      admin2Tokens: await each((p) => token(admin2, `for ${p}`)),
      victims: await each((p) => user(`victim-of-${p}`)),
      adminVictims: await each((p) => user(`admin-victim-of-${p}`, { admin: true })),
      viewerRole: await roleId('Viewer'),
      adminRole: await roleId('Admin'),
      coveredRole,
      coveredFilter: await filter(coveredRole, ['manage_users']),
      scratchRole,
      doomedRoles: await each(async (p) => {
        const r = await role(`doomed-by-${p}`);
        await filter(r, ['manage_users']);
        return r;
      }),
      wideRoles: await each(async (p) => {
        const r = await role(`wide-for-${p}`);
        await filter(r, ['view_hosts']);
        return r;
      }),
      doomedFilters: await each(() => filter(scratchRole, ['manage_users'])),
      wideFilters: await each(() => filter(scratchRole, ['view_hosts'])),
      wideningFilters: await each(() => filter(scratchRole, ['manage_users'])),
      adminAudit: adminAudits.results[0].id,
      webhook: await webhook('matrix'),
      doomedWebhooks: await each((p) => webhook(`doomed-by-${p}`)),
      template: await template('matrix-template'),
      doomedTemplates: await each((p) => template(`doomed-template-by-${p}`)),
      otherTemplate: await template('other-template'),
    };
  });

  afterAll(async () => {
    await s?.close();
  });

  it('has a row for every route the app serves and a route for every row', () => {
    expect(matrixProblems(listRoutes(s.app))).toEqual([]);
  });

  const cases = Object.entries(MATRIX).flatMap(([route, list]) => list.map((c) => ({ route, ...c })));
  /**
   * Every path each persona has asked for so far: a refusal's audit entry records the path, and a
   * persona's own audit list shows it back (GET /audits), which echoes the caller, not a leak.
   */
  const asked = new Map<string, string[]>();
  it.each(cases.map((c) => [`${c.route} on ${c.on}`, c] as const))('answers %s as the matrix says, changes nothing when it refuses, and leaks nothing', async (_name, c) => {
    const method = c.route.split(' ')[0];
    const seen: string[] = [];
    await settle(fingerprint);
    const personas = c.templateRunner === undefined ? [...MATRIX_PERSONAS] : [...ASKED_PERSONAS];
    for (const p of personas) {
      const client = s.as(p);
      const ctx = { s, t, p };
      const path = c.path(ctx);
      const body = c.body?.(ctx);
      asked.set(p, [...(asked.get(p) ?? []), path]);
      const login = p === 'admin' ? 'admin' : `${s.prefix}${p}`;
      const deniedBefore = p === 'anonymous' ? 0 : await deniedCount(s, login, c.route);
      const before = await fingerprint();
      const res = await (method === 'GET' ? client.get(path) : method === 'POST' ? client.post(path, body) : method === 'PUT' ? client.put(path, body) : client.delete(path));
      seen.push(`${p}:${res.status}`);
      if (res.status >= 200 && res.status < 300 && res.status !== 204) expect({ p, route: c.route, problems: responseProblems(c.route, res.body) }).toEqual({ p, route: c.route, problems: [] });
      if (res.status >= 400 && !c.writesWhenRefused) expect({ p, changed: await fingerprint() !== before }).toEqual({ p, changed: false });
      // The one write a 403 makes, left out of the fingerprint on purpose: its audit entry, counted once.
      if (p !== 'anonymous') expect({ p, audited: (await deniedCount(s, login, c.route)) - deniedBefore }).toEqual({ p, audited: res.status === 403 ? 1 : 0 });
      if (c.job && res.status === 201) await s.waitFinal((res.body as Job).id);
      const text = JSON.stringify(res.body);
      // A 404 names what the caller asked for (`host not found by id or name 'x'`), and its audit
      // entries the paths it asked for: echoing the caller's own paths is no leak.
      const echoed = (name: string) => (asked.get(p) ?? []).some((a) => a.includes(name));
      expect({ p, leaked: neverSeen(s, p).filter((name) => text.includes(name) && !echoed(name)) }).toEqual({ p, leaked: [] });
      expect({ p, missing: (alwaysSeen(s, c.route)[p] ?? []).filter((name) => !text.includes(name)) }).toEqual({ p, missing: [] });
    }
    expect(seen).toEqual(personas.map((p, i) => `${p}:${i < c.expect.length ? c.expect[i] : c.templateRunner}`));
  });
});

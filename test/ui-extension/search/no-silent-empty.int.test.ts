/**
 * No silent empty (issue #22): every list endpoint with `search=` either answers or refuses. On the
 * demo data (the demo inventory, its two demo proxies and their nodes, a few jobs, a user, a role
 * and a filter), every field each endpoint documents (its search definition, which also feeds the
 * OpenAPI document and docs/API.md) finds something for at least one value; an unknown field, an
 * operator the field does not take and a broken search answer 400 with the position; and a list
 * that takes no search refuses one instead of ignoring it.
 */
import type { Job } from '@common/jobs';
import { declaresQueryKey } from '@server/http/route-spec';
import { routeCatalog } from '@server/http/routes/catalog';
import { searchFields, type SearchDefinition } from '@server/search/compiler';
import { testDatabases } from '@test/support/databases';
import { startDemoStack, waitForJob, type DemoStack } from './support/demo-stack';

jest.setTimeout(120_000);

const q = encodeURIComponent;
const ALL_OPERATORS = ['=', '!=', '~', '!~', '^', '!^', '>', '<', '>=', '<='];

/** What the examples refer to, made on the demo data before the checks run. */
interface Ctx {
  host: { id: number; name: string; smart_proxy_id: number; smart_proxy_name: string };
  osfamily: string;
  baseId: number;
  webId: number;
  ping: Job;
  nginx: Job;
  replay: Job;
  userId: number;
  roleId: number;
  filterId: number;
  audit: { remote_address: string; request_uuid: string };
  organizationId: number;
  locationId: number;
}

interface Example {
  /** The list's path with its parameters filled in. */
  path: string;
  /** A search per documented field that matches something on the demo data. */
  fields: Record<string, string>;
}

const recent = '> "1 day ago"';

/** The job search examples hold for the ping, the nginx status and the replay: all three are in every history below. */
const jobFields = (c: Ctx): Record<string, string> => ({
  id: `id = ${c.ping.id}`,
  parent_id: `parent_id = ${c.ping.id}`,
  namespace: 'namespace = rpcutil',
  action: 'action = ping',
  arguments: 'arguments ~ nginx',
  state: 'state = failed',
  owner: 'owner = admin',
  description: 'description ~ "demo ping"',
  targeting: 'targeting ~ rex_demo',
  created_at: `created_at ${recent}`,
  started_at: `started_at ${recent}`,
  finished_at: `finished_at ${recent}`,
  host: `host = ${c.host.name}`,
  host_id: `host_id = ${c.host.id}`,
  hostgroup: 'hostgroup = base/web',
  hostgroup_id: `hostgroup_id = ${c.webId}`,
  smart_proxy: `smart_proxy = ${c.host.smart_proxy_name}`,
  smart_proxy_id: `smart_proxy_id = ${c.host.smart_proxy_id}`,
  fact: 'fact = rex_demo',
  'facts.<name>': `facts.osfamily = "${c.osfamily}"`,
});

const EXAMPLES: Record<string, (c: Ctx) => Example> = {
  'GET /hosts': (c) => ({
    path: '/hosts',
    fields: {
      name: `name = ${c.host.name}`,
      id: `id = ${c.host.id}`,
      hostgroup: 'hostgroup = base/web',
      hostgroup_id: `hostgroup_id = ${c.webId}`,
      hostgroup_fullname: 'hostgroup_fullname = base/web',
      hostgroup_title: 'hostgroup_title = base/web',
      parent_hostgroup: 'parent_hostgroup = base',
      puppetmaster: `puppetmaster = ${c.host.smart_proxy_name}`,
      smart_proxy: `smart_proxy = ${c.host.smart_proxy_name}`,
      organization: 'organization = "Demo Org"',
      location: 'location = Amsterdam',
      last_seen: `last_seen ${recent}`,
      'facts.<name>': `facts.osfamily = "${c.osfamily}"`,
    },
  }),
  'GET /hosts/:id/facts': (c) => ({ path: `/hosts/${c.host.id}/facts`, fields: { name: 'name = osfamily', value: `value = "${c.osfamily}"` } }),
  'GET /hostgroups': (c) => ({ path: '/hostgroups', fields: { name: 'name = web', title: 'title = base/web', id: `id = ${c.webId}`, parent_id: `parent_id = ${c.baseId}`, parent: 'parent = base' } }),
  'GET /fact_names': () => ({ path: '/fact_names', fields: { name: 'name = osfamily' } }),
  'GET /smart_proxies': () => ({
    path: '/smart_proxies',
    fields: { name: 'name = puppet-a.demo', url: 'url ~ 127.0.0.1', status: 'status = online', transport: 'transport = demo', feature: 'feature = "Remote Execution"' },
  }),
  'GET /organizations': (c) => ({ path: '/organizations', fields: { id: `id = ${c.organizationId}`, name: 'name = "Demo Org"' } }),
  'GET /locations': (c) => ({ path: '/locations', fields: { id: `id = ${c.locationId}`, name: 'name = Amsterdam' } }),
  'GET /remote_execution/jobs': (c) => ({ path: '/remote_execution/jobs', fields: jobFields(c) }),
  // Foreman REX's names for the same lists (job-invocations.routes.ts): the same searches.
  'GET /job_invocations': (c) => ({ path: '/job_invocations', fields: jobFields(c) }),
  'GET /job_invocations/:id/hosts': (c) => ({ ...EXAMPLES['GET /remote_execution/jobs/:id/hosts'](c), path: `/job_invocations/${c.nginx.id}/hosts` }),
  'GET /hosts/:id/remote_execution/jobs': (c) => ({ path: `/hosts/${q(c.host.name)}/remote_execution/jobs`, fields: jobFields(c) }),
  'GET /hostgroups/:id/remote_execution/jobs': (c) => ({ path: `/hostgroups/${q('base/web')}/remote_execution/jobs`, fields: jobFields(c) }),
  'GET /smart_proxies/:id/remote_execution/jobs': (c) => ({ path: `/smart_proxies/${c.host.smart_proxy_id}/remote_execution/jobs`, fields: jobFields(c) }),
  'GET /fact_names/:name/remote_execution/jobs': (c) => ({ path: '/fact_names/rex_demo/remote_execution/jobs', fields: jobFields(c) }),
  'GET /remote_execution/jobs/:id/hosts': (c) => ({
    path: `/remote_execution/jobs/${c.nginx.id}/hosts`,
    fields: {
      name: `name = ${c.host.name}`,
      host_id: `host_id = ${c.host.id}`,
      state: 'state = failed',
      smart_proxy: `smart_proxy = ${c.host.smart_proxy_name}`,
      hostgroup: 'hostgroup = base/web',
      parent_hostgroup: 'parent_hostgroup = base',
      statuscode: 'statuscode = 1',
      statusmsg: 'statusmsg ~ "Could not find service"',
      reason: 'reason ~ "no smart proxy"',
      output: 'output ~ running',
      started_at: `started_at ${recent}`,
      finished_at: `finished_at ${recent}`,
      // Not a Puppet run: each host that ended has no run outcome.
      outcome: 'outcome = not_run',
    },
  }),
  'GET /remote_execution/argument_history': (c) => ({ path: '/remote_execution/argument_history?namespace=service&action=status', fields: { id: `id = ${c.nginx.remote_action_id}`, namespace: 'namespace = service', action: 'action = status', arguments: 'arguments ~ nginx' } }),
  'GET /remote_execution/actions': (c) => ({ path: '/remote_execution/actions', fields: { id: `id = ${c.ping.remote_action_id}`, namespace: 'namespace = rpcutil', action: 'action = ping', arguments: 'arguments ~ nginx' } }),
  'GET /users': (c) => ({ path: '/users', fields: { id: `id = ${c.userId}`, login: 'login = searcher', mail: 'mail ~ example.com', firstname: 'firstname = Sam', lastname: 'lastname = Searcher' } }),
  'GET /roles': (c) => ({ path: '/roles', fields: { id: `id = ${c.roleId}`, name: 'name = Searchers', description: 'description ~ "finds things"' } }),
  'GET /roles/:id/filters': (c) => ({ path: `/roles/${c.roleId}/filters`, fields: filterFields(c) }),
  'GET /filters': (c) => ({ path: '/filters', fields: filterFields(c) }),
  'GET /audits': (c) => ({
    path: '/audits',
    fields: {
      id: 'id > 0',
      user: 'user = admin',
      user_id: 'user_id = 1',
      action: 'action = create',
      type: 'type = JobInvocation',
      auditable_type: 'auditable_type = JobInvocation',
      auditable_id: `auditable_id = ${c.ping.id}`,
      auditable_name: 'auditable_name ~ "demo ping"',
      remote_address: `remote_address = "${c.audit.remote_address}"`,
      request_uuid: `request_uuid = "${c.audit.request_uuid}"`,
      time: `time ${recent}`,
    },
  }),
};

function filterFields(c: Ctx): Record<string, string> {
  return { id: `id = ${c.filterId}`, role_id: `role_id = ${c.roleId}`, role: 'role = Searchers', permission: 'permission = view_hosts', search: 'search ~ base/web' };
}

/** Every list the API declares with a search, by `METHOD /path` as its spec writes it. */
// The hosts export answers a file (CSV or JSON lines), not a list: it takes the hosts list's search
// definition, whose fields are checked through the list; its own refusals are checked at the end.
const EXPORT_ROUTE = 'GET /remote_execution/jobs/:id/hosts/export';
const SEARCHABLE = routeCatalog().filter((e) => e.spec.search && e.spec.response !== null).map((e) => ({ key: `${e.spec.method.toUpperCase()} ${e.spec.path}`, definition: e.spec.search as SearchDefinition }));

/** A field and an operator it does not take, when the definition has one. */
function refusedOperator(definition: SearchDefinition): { key: string; operator: string } | undefined {
  for (const field of searchFields(definition)) {
    const operator = ALL_OPERATORS.find((op) => !field.operators.includes(op));
    if (operator && !field.key.includes('<')) return { key: field.key, operator };
  }
  return undefined;
}

describe('the search catalog', () => {
  it('gives every GET route whose query takes a search its search definition (the autocomplete completes host searches)', () => {
    const undeclared = routeCatalog().filter((e) => e.spec.method === 'get' && declaresQueryKey(e.spec.query, 'search') && !e.spec.search).map((e) => e.spec.path);
    expect(undeclared).toEqual(['/hosts/auto_complete_search']);
  });

  it('has demo-data examples for exactly the searchable lists', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(SEARCHABLE.map((s) => s.key).sort());
  });
});

describe.each(testDatabases())('no silent empty on the demo data on $kind', (database) => {
  let stack: DemoStack;
  let ctx: Ctx;

  beforeAll(async () => {
    stack = await startDemoStack(database, {
      extraHosts: [{ name: 'orphan.demo', hostgroup: 'base/web', smart_proxy: null, organization: 'Demo Org', location: 'Amsterdam', facts: { rex_demo: 'true' } }],
    });
    const hosts = (await stack.get('/api/v2/hosts?per_page=1000').expect(200)).body.results as Array<Ctx['host'] & { hostgroup_title: string | null }>;
    const host = hosts.find((h) => h.hostgroup_title === 'base/web' && h.smart_proxy_name !== null)!;
    const facts = (await stack.get(`/api/v2/hosts/${host.id}/facts?per_page=1000`).expect(200)).body.results as Array<{ name: string; value: string }>;
    const group = async (title: string) => ((await stack.get(`/api/v2/hostgroups/${q(title)}`).expect(200)).body as { id: number }).id;
    const run = async (path: string, body: unknown): Promise<Job> => {
      const job = (await stack.post(path, body).expect(201)).body as Job;
      await waitForJob(stack, job.id);
      return job;
    };
    const everyDemoHost = { search: 'facts.rex_demo = true' };
    const ping = await run('/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: everyDemoHost, description: 'demo ping', timeout: 5 } });
    const nginx = await run('/api/v2/remote_execution/jobs', { job: { namespace: 'service', action: 'status', arguments: { service: 'nginx' }, targeting: everyDemoHost, timeout: 5 } });
    const replay = await run(`/api/v2/remote_execution/jobs/${ping.id}/replay`, { targeting: everyDemoHost });
    const user = (await stack.post('/api/v2/users', { user: { login: 'searcher', password: 'searcher-password', mail: 'sam@example.com', firstname: 'Sam', lastname: 'Searcher' } }).expect(201)).body as { id: number };
    const role = (await stack.post('/api/v2/roles', { role: { name: 'Searchers', description: 'finds things' } }).expect(201)).body as { id: number };
    const filter = (await stack.post('/api/v2/filters', { filter: { role_id: role.id, permissions: ['view_hosts'], search: 'hostgroup = base/web' } }).expect(201)).body as { id: number };
    const audit = ((await stack.get('/api/v2/audits?per_page=1').expect(200)).body.results as Array<Ctx['audit']>)[0];
    const taxonomy = async (kind: string, name: string) => ((await stack.get(`/api/v2/${kind}?per_page=100`).expect(200)).body.results as Array<{ id: number; name: string }>).find((t) => t.name === name)!.id;
    ctx = {
      host,
      osfamily: facts.find((f) => f.name === 'osfamily')!.value,
      baseId: await group('base'),
      webId: await group('base/web'),
      ping,
      nginx,
      replay,
      userId: user.id,
      roleId: role.id,
      filterId: filter.id,
      audit,
      organizationId: await taxonomy('organizations', 'Demo Org'),
      locationId: await taxonomy('locations', 'Amsterdam'),
    };
    // A proxy's stored status is the proxy monitor's to write, within its first round or two.
    const until = Date.now() + 20_000;
    while ((await stack.get(`/api/v2/smart_proxies?search=${q('status = online')}`).expect(200)).body.subtotal === 0) {
      if (Date.now() > until) throw new Error('no smart proxy was recorded online');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each(SEARCHABLE)('finds something for each field $key documents', async ({ key, definition }) => {
    const example = EXAMPLES[key](ctx);
    const documented = searchFields(definition).map((f) => f.key);
    expect(Object.keys(example.fields).sort()).toEqual([...documented].sort());
    const empty: string[] = [];
    for (const [field, search] of Object.entries(example.fields)) {
      const res = await stack.get(`/api/v2${example.path}${example.path.includes('?') ? '&' : '?'}per_page=1&search=${q(search)}`);
      if (res.status !== 200 || res.body.subtotal === 0 || res.body.results.length === 0) empty.push(`${field}: ${search} -> ${res.status} ${JSON.stringify(res.body.error ?? { subtotal: res.body.subtotal })}`);
    }
    expect(empty).toEqual([]);
  });

  it.each(SEARCHABLE)('answers 400 with the position when $key gets an unknown field', async ({ key }) => {
    const example = EXAMPLES[key](ctx);
    const valid = Object.values(example.fields)[0];
    const position = valid.length + ' and '.length + 1;
    const res = await stack.get(`/api/v2${example.path}${example.path.includes('?') ? '&' : '?'}search=${q(`${valid} and nosuchfield = 1`)}`).expect(400);
    expect(res.body.error.details).toMatchObject({ position });
    expect(res.body.error.message).toContain(`unknown field 'nosuchfield' at position ${position}`);
  });

  it.each(SEARCHABLE)('answers 400 with the position when $key gets an operator a field does not take, or a broken search', async ({ key, definition }) => {
    const example = EXAMPLES[key](ctx);
    const refused = refusedOperator(definition);
    if (refused) {
      const res = await stack.get(`/api/v2${example.path}${example.path.includes('?') ? '&' : '?'}search=${q(`${refused.key} ${refused.operator} 1`)}`).expect(400);
      expect(res.body.error.details).toMatchObject({ position: 1 });
      expect(res.body.error.message).toContain(`operator '${refused.operator}' cannot be used with ${refused.key} at position 1`);
    }
    const broken = await stack.get(`/api/v2${example.path}${example.path.includes('?') ? '&' : '?'}search=${q('(name = x')}`).expect(400);
    expect(broken.body.error.details).toMatchObject({ position: 10 });
  });

  it('searches a job\'s hosts export as the hosts list does, and refuses an unknown field with its position', async () => {
    expect(routeCatalog().some((e) => `${e.spec.method.toUpperCase()} ${e.spec.path}` === EXPORT_ROUTE && e.spec.search)).toBe(true);
    const path = `/api/v2/remote_execution/jobs/${ctx.nginx.id}/hosts/export?format=jsonl`;
    const found = await stack.get(`${path}&search=${q(`name = ${ctx.host.name}`)}`).expect(200);
    expect(found.text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { host_name: string }).host_name)).toEqual([ctx.host.name]);
    const res = await stack.get(`${path}&search=${q(`name = ${ctx.host.name} and nosuchfield = 1`)}`).expect(400);
    expect(res.body.error.details).toMatchObject({ position: `name = ${ctx.host.name}`.length + ' and '.length + 1 });
  });

  it.each(['/remote_execution/schedules', '/remote_execution/namespaces', '/users/admin/personal_access_tokens', '/current_user', '/audits/1'])('refuses a search on %s, which takes none, instead of ignoring it', async (path) => {
    const res = await stack.get(`/api/v2${path}?search=${q('name = x')}`).expect(400);
    expect(res.body.error.message).toMatch(/takes no search$/);
  });
});

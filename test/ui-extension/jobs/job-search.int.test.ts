/**
 * Job searches and histories answer or refuse (issue #22 items 1 and 2), on the demo data over
 * HTTP, on SQLite and MariaDB: the job list through the same parser and compiler as the host
 * search, a job's hosts by name, state, proxy, hostgroup and output, histories addressed by id or
 * name, facts as they were when a job ran, and from/to on the time a job ran or will run.
 */
import type { Job, JobHost } from '@common/jobs';
import { testDatabases } from '@test/support/databases';
import { startDemoStack, waitForJob, type DemoStack } from '../search/support/demo-stack';

jest.setTimeout(120_000);

interface Host {
  id: number;
  name: string;
  hostgroup_title: string | null;
  smart_proxy_name: string | null;
}

const q = encodeURIComponent;

describe.each(testDatabases())('job searches on the demo data on $kind', (database) => {
  let stack: DemoStack;
  let hosts: Host[];
  let web: Host;
  /** rpcutil ping on every demo host, then service status nginx on them (fails where nginx is missing). */
  let ping: Job;
  let nginx: Job;
  let byGroup: Job;
  let osfamilyOfWeb: string;

  const ids = async (path: string): Promise<number[]> => ((await stack.get(path).expect(200)).body.results as Job[]).map((j) => j.id);
  const page = async <T>(path: string): Promise<{ total: number; subtotal: number; results: T[] }> => (await stack.get(path).expect(200)).body as { total: number; subtotal: number; results: T[] };
  const run = async (job: Record<string, unknown>): Promise<Job> => {
    const created = (await stack.post('/api/v2/remote_execution/jobs', { job: { timeout: 5, ...job } }).expect(201)).body as Job;
    await waitForJob(stack, created.id);
    return created;
  };

  beforeAll(async () => {
    stack = await startDemoStack(database, {
      // Not on any proxy: every job on the demo hosts skips it, with its reason.
      extraHosts: [{ name: 'orphan.demo', hostgroup: 'base/web', smart_proxy: null, organization: 'Demo Org', location: 'Amsterdam', facts: { rex_demo: 'true', osfamily: 'Solaris' } }],
    });
    hosts = (await page<Host>('/api/v2/hosts?per_page=1000')).results;
    web = hosts.find((h) => h.hostgroup_title === 'base/web' && h.smart_proxy_name !== null)!;
    osfamilyOfWeb = (await page<{ name: string; value: string }>(`/api/v2/hosts/${web.id}/facts?per_page=1000`)).results.find((f) => f.name === 'osfamily')!.value;
    ping = await run({ namespace: 'rpcutil', action: 'ping', targeting: { search: 'facts.rex_demo = true' }, description: 'demo ping' });
    nginx = await run({ namespace: 'service', action: 'status', arguments: { service: 'nginx' }, targeting: { search: 'facts.rex_demo = true' } });
    const baseDb = ((await stack.get(`/api/v2/hostgroups/${q('base/db')}`).expect(200)).body as { id: number }).id;
    byGroup = await run({ namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: baseDb } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('GET /remote_execution/jobs?search=', () => {
    it('combines terms with or, parentheses and not, which the old search refused', async () => {
      expect(await ids(`/api/v2/remote_execution/jobs?search=${q('(namespace = service or description ~ "demo ping") and not state = running')}`)).toEqual([nginx.id, ping.id]);
    });

    it('accepts a hostgroup by its title, with the groups below it, where it wanted a numeric id', async () => {
      expect(await ids(`/api/v2/remote_execution/jobs?search=${q('hostgroup = base/db')}`)).toEqual([byGroup.id, nginx.id, ping.id]);
      expect(await ids(`/api/v2/remote_execution/jobs?search=${q('hostgroup = base and namespace = service')}`)).toEqual([nginx.id]);
      expect(await ids(`/api/v2/remote_execution/jobs?search=${q('hostgroup = nosuch/group')}`)).toEqual([]);
    });

    it('lists several values with ^ when states are asked for', async () => {
      expect(await ids(`/api/v2/remote_execution/jobs?search=${q('state ^ (failed, cancelled) and namespace = service')}`)).toEqual([nginx.id]);
    });

    it('answers 400 with the position when a field, an operator or a state is unknown', async () => {
      const unknown = await stack.get(`/api/v2/remote_execution/jobs?search=${q('namespace = rpcutil and colour = red')}`).expect(400);
      expect(unknown.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { position: 25 } });
      expect(unknown.body.error.message).toMatch(/^search: unknown field 'colour' at position 25; valid fields are /);
      const operator = await stack.get(`/api/v2/remote_execution/jobs?search=${q('id ~ 1')}`).expect(400);
      expect(operator.body.error.message).toBe("search: operator '~' cannot be used with id at position 1; use one of = != ^ !^ > < >= <=");
      const state = await stack.get(`/api/v2/remote_execution/jobs?search=${q('state = done')}`).expect(400);
      expect(state.body.error.message).toContain("'done' is not a value of state at position 1");
    });

    it('refuses a search on the stored actions list with a job field, and finds actions by arguments', async () => {
      const refused = await stack.get(`/api/v2/remote_execution/actions?search=${q('state = failed')}`).expect(400);
      expect(refused.body.error.message).toMatch(/^search: unknown field 'state' at position 1/);
      const found = await page<{ namespace: string }>(`/api/v2/remote_execution/actions?search=${q('arguments ~ nginx or (namespace = rpcutil and action = ping)')}`);
      expect(found.results.map((a) => a.namespace).sort()).toEqual(['rpcutil', 'service']);
    });
  });

  describe('GET /remote_execution/jobs/:id/hosts?search=', () => {
    it('finds the hosts whose name, state or status message match, which answered 0 rows before', async () => {
      const all = await page<JobHost>(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?per_page=1000`);
      const failed = all.results.filter((h) => h.state === 'failed');
      expect(failed.length).toBeGreaterThan(0);
      expect((await page<JobHost>(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?per_page=1000&search=${q('state = failed')}`)).results.map((h) => h.host_name)).toEqual(failed.map((h) => h.host_name));
      expect((await page<JobHost>(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?per_page=1000&search=${q('statusmsg ~ "Could not find service"')}`)).subtotal).toBe(failed.length);
      expect((await page<JobHost>(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?per_page=1000&search=${q(`name ~ ${web.name}`)}`)).results.map((h) => h.host_name)).toEqual([web.name]);
    });

    it('searches output across status message, reason and reply data', async () => {
      const all = (await page<JobHost>(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?per_page=1000`)).results;
      const running = all.filter((h) => JSON.stringify(h.output).includes('running')).map((h) => h.host_name);
      expect(running.length).toBeGreaterThan(0);
      expect((await page<JobHost>(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?per_page=1000&search=${q('output ~ running')}`)).results.map((h) => h.host_name)).toEqual(running);
      // The skipped host's reason names the missing proxy.
      expect((await page<JobHost>(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?search=${q('output ~ proxy and state = skipped')}`)).results.map((h) => h.host_name)).toEqual(['orphan.demo']);
    });

    it('matches hosts by proxy, hostgroup title and exit status, combined with or and not', async () => {
      const all = (await page<JobHost & { smart_proxy_id: number | null }>(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?per_page=1000`)).results;
      const onA = hosts.filter((h) => h.smart_proxy_name === 'puppet-a.demo').map((h) => h.name).sort();
      expect((await page<JobHost>(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?per_page=1000&search=${q('smart_proxy = puppet-a.demo')}`)).results.map((h) => h.host_name)).toEqual(onA);
      const inWeb = hosts.filter((h) => h.hostgroup_title === 'base/web').map((h) => h.name).sort();
      expect((await page<JobHost>(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?per_page=1000&search=${q('hostgroup = base/web')}`)).results.map((h) => h.host_name)).toEqual(inWeb);
      const failedOrSkipped = all.filter((h) => h.state !== 'succeeded').length;
      expect((await page<JobHost>(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?search=${q('statuscode = 1 or not set? statuscode')}`)).subtotal).toBe(failedOrSkipped);
    });

    it('answers 400 with the position for an unknown field or an operator output does not take', async () => {
      const unknown = await stack.get(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?search=${q('state = failed and colour = red')}`).expect(400);
      expect(unknown.body.error.message).toMatch(/^search: unknown field 'colour' at position 20; valid fields are name, host_id, state, smart_proxy, hostgroup/);
      const operator = await stack.get(`/api/v2/remote_execution/jobs/${nginx.id}/hosts?search=${q('output = x')}`).expect(400);
      expect(operator.body.error.details).toMatchObject({ position: 1 });
    });
  });

  describe('histories addressed by id or name', () => {
    it('lists a host\'s jobs by its name as by its id', async () => {
      const byId = await ids(`/api/v2/hosts/${web.id}/remote_execution/jobs`);
      expect(byId).toEqual([nginx.id, ping.id]);
      expect(await ids(`/api/v2/hosts/${q(web.name)}/remote_execution/jobs`)).toEqual(byId);
    });

    it('lists a hostgroup\'s jobs by its title as by its id, and a smart proxy\'s by its name', async () => {
      const baseDb = ((await stack.get(`/api/v2/hostgroups/${q('base/db')}`).expect(200)).body as { id: number }).id;
      expect(await ids(`/api/v2/hostgroups/${q('base/db')}/remote_execution/jobs`)).toEqual(await ids(`/api/v2/hostgroups/${baseDb}/remote_execution/jobs`));
      expect(await ids(`/api/v2/hostgroups/base/remote_execution/jobs`)).toContain(byGroup.id);
      const proxy = ((await stack.get('/api/v2/smart_proxies/puppet-a.demo').expect(200)).body as { id: number }).id;
      expect(await ids('/api/v2/smart_proxies/puppet-a.demo/remote_execution/jobs')).toEqual(await ids(`/api/v2/smart_proxies/${proxy}/remote_execution/jobs`));
    });

    it('counts the subject\'s history in total, and the search in subtotal', async () => {
      const history = await page<Job>(`/api/v2/hosts/${q(web.name)}/remote_execution/jobs?search=${q('namespace = service')}`);
      expect(history).toMatchObject({ total: 2, subtotal: 1 });
    });

    it('answers 404 naming what was looked for when no such host, hostgroup or proxy exists', async () => {
      expect((await stack.get('/api/v2/hosts/nosuch.example.com/remote_execution/jobs').expect(404)).body.error.message).toBe("host not found by id or name 'nosuch.example.com'");
      expect((await stack.get(`/api/v2/hostgroups/${q('base/nosuch')}/remote_execution/jobs`).expect(404)).body.error.message).toBe("hostgroup not found by id or title 'base/nosuch'");
      expect((await stack.get('/api/v2/smart_proxies/nosuch/remote_execution/jobs').expect(404)).body.error.message).toBe("smart proxy not found by id or name 'nosuch'");
    });

    it('reads only decimal digits as an id, so 0x10 is looked up as a name', async () => {
      expect((await stack.get('/api/v2/hosts/0x10/remote_execution/jobs').expect(404)).body.error.message).toBe("host not found by id or name '0x10'");
    });
  });

  describe('facts in the history', () => {
    it('keeps the fact history to jobs whose targeting named the fact', async () => {
      expect(await ids('/api/v2/fact_names/rex_demo/remote_execution/jobs')).toEqual([nginx.id, ping.id]);
      expect(await ids('/api/v2/fact_names/osfamily/remote_execution/jobs')).toEqual([]);
    });

    it('finds the jobs that ran on hosts with a fact value, as the value was when they ran', async () => {
      const ran = await ids(`/api/v2/fact_names/osfamily/remote_execution/jobs?value=${q(osfamilyOfWeb)}`);
      expect(ran).toEqual(expect.arrayContaining([nginx.id, ping.id]));
      expect(await ids(`/api/v2/remote_execution/jobs?search=${q(`facts.osfamily = "${osfamilyOfWeb}" and namespace = service`)}`)).toEqual([nginx.id]);
      // The skipped host never ran: its value is not the job's.
      expect(await ids(`/api/v2/remote_execution/jobs?search=${q('facts.osfamily = Solaris')}`)).toEqual([]);
      // A fact changed since: the jobs keep the value they ran with.
      await stack.post('/api/v2/inventory/import', { hosts: [{ name: web.name, facts: { osfamily: 'Changed', rex_demo: 'true' } }] }).expect(200);
      expect(await ids(`/api/v2/remote_execution/jobs?search=${q('facts.osfamily = Changed')}`)).toEqual([]);
      expect(await ids(`/api/v2/fact_names/osfamily/remote_execution/jobs?value=${q(osfamilyOfWeb)}`)).toEqual(ran);
    });

    it('answers 400 naming jobs.recorded_facts when a fact\'s values are not recorded', async () => {
      const refused = await stack.get(`/api/v2/fact_names/kernelrelease/remote_execution/jobs?value=x`).expect(400);
      expect(refused.body.error.message).toContain('jobs.recorded_facts');
    });

    it('answers 404 for a fact no host has and no job mentions', async () => {
      await stack.get('/api/v2/fact_names/nosuchfact/remote_execution/jobs').expect(404);
    });
  });

  describe('from and to', () => {
    it('finds a job by the time it will run, not the time it was created', async () => {
      const at = new Date(Date.now() + 86_400_000);
      const scheduled = (await stack.post('/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: [web.id] }, scheduling: { start_at: at.toISOString() } } }).expect(201)).body as Job;
      const around = (ms: number) => `from=${q(new Date(at.getTime() - ms).toISOString())}&to=${q(new Date(at.getTime() + ms).toISOString())}`;
      expect(await ids(`/api/v2/remote_execution/jobs?${around(3_600_000)}`)).toEqual([scheduled.id]);
      expect(await ids(`/api/v2/remote_execution/jobs?to=${q(new Date(Date.now() + 3_600_000).toISOString())}&search=${q(`id = ${scheduled.id}`)}`)).toEqual([]);
      expect(await ids(`/api/v2/remote_execution/jobs?from=${q(new Date(Date.now() - 3_600_000).toISOString())}&to=${q(new Date(Date.now() + 3_600_000).toISOString())}`)).toEqual(expect.arrayContaining([byGroup.id, nginx.id, ping.id]));
      await stack.post(`/api/v2/remote_execution/jobs/${scheduled.id}/cancel`, {}).expect(200);
    });
  });
});

/**
 * Puppet runs followed to their end (issue 18), on SQLite and MariaDB, through the real stack: the
 * ui-extension's HTTP API and gRPC client, two proxy-plugins on the Choria transport, the local NATS
 * server and a virtual Choria fleet whose Puppet runs take time and end with summaries whose counts
 * vary per node.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { buildNodeProfiles } from '@proxy/broker/fleet/node-profiles';
import { seededFraction, type VirtualNodeOptions } from '@proxy/broker/fleet/virtual-node';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import type { Job, JobStatus, PuppetRunJobHost, PuppetRunOutcome } from '@common/jobs';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { createTestProxyClient, startTestProxy, type TestProxy } from './support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp, type SeededInventory } from './support/job-stack';
import { runRex } from '../cli/support/rex-process';

jest.setTimeout(120_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const RUN_SECONDS = 2;
const FAILED_RUN_RATE = 0.25;
/** Nodes 1-6 run for RUN_SECONDS; node 7 is disabled; node 8 runs far longer than any job here waits; node 9 runs BUSY_RUN_SECONDS. */
const NODES = 9;
const DISABLED = 7;
const SLOW = 8;
const BUSY = 9;
const BUSY_RUN_SECONDS = 6;

interface Fixture {
  prefix: string;
  fleet: ChoriaFleet;
  proxies: TestProxy[];
  client: ProxyClients;
}

async function startFixture(): Promise<Fixture> {
  // A fleet (names and seed) whose first runs on nodes 1-6 include failed resources and clean ones, so
  // that both outcomes are checked every time (the virtual agent fails a share of runs, by seed).
  let prefix: string;
  let profiles: VirtualNodeOptions[];
  do {
    prefix = `prun-${randomBytes(3).toString('hex')}-`;
    const seed = prefix;
    profiles = buildNodeProfiles({ count: NODES, identityPrefix: prefix, seed }).map((p, i) => ({ ...p, puppetRunSeconds: i + 1 === SLOW ? 600 : i + 1 === BUSY ? BUSY_RUN_SECONDS : RUN_SECONDS, puppetFailedRunRate: FAILED_RUN_RATE }));
    const fails = profiles.slice(0, 6).map((p) => seededFraction(seed, `${p.identity}:puppet:failed:1`) < FAILED_RUN_RATE);
    if (fails.includes(true) && fails.includes(false)) break;
  } while (true);
  const collective = `rexprun${randomBytes(4).toString('hex')}`;
  const fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: NODES, nodes: profiles, seed: prefix, failureRate: 0 });
  const proxies: TestProxy[] = [];
  for (const name of ['proxy-a', 'proxy-b']) proxies.push(await startTestProxy({ name, natsUrl: NATS_URL, collective, overrides: { 'puppet.status_interval_ms': 250 } }));
  return { prefix, fleet, proxies, client: createTestProxyClient() };
}

/** The resources named by the run's log entries of one level (the fleet logs `.../File[/etc/x]/content`). */
function titlesLogged(logs: unknown, level: string): string[] {
  return (logs as Array<{ level: string; source: string }>).filter((l) => l.level === level).flatMap((l) => /(?:File|Service)\[[^\]]+\]/.exec(l.source) ?? []);
}

describe.each(testDatabases())('puppet runs followed to their end on $kind', (database) => {
  let db: OpenTestDataSource;
  let fixture: Fixture;
  let app: JobApp;
  let ids: SeededInventory;
  const identity = (i: number) => fixture.fleet.identities[i - 1];
  const hostId = (i: number) => ids.hostIds.get(identity(i))!;
  const http = {
    get: (path: string) => request(app.url).get(path).set('Authorization', AUTH),
    post: (path: string, body: unknown) => request(app.url).post(path).set('Authorization', AUTH).send(body as object),
  };

  async function waitFinal(id: number, timeoutMs = 60_000): Promise<JobStatus> {
    const until = Date.now() + timeoutMs;
    let since = 0;
    for (;;) {
      const job = (await http.get(`/api/v2/remote_execution/jobs/${id}?wait=5&since=${since}`).expect(200)).body as JobStatus;
      if (['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
      if (Date.now() > until) throw new Error(`job ${id} still ${job.state} after ${timeoutMs} ms`);
      since = job.version;
    }
  }

  async function hostsOf(id: number): Promise<Map<string, PuppetRunJobHost>> {
    const page = (await http.get(`/api/v2/remote_execution/jobs/${id}/hosts?per_page=100`).expect(200)).body as { results: PuppetRunJobHost[] };
    return new Map(page.results.map((h) => [h.host_name, h]));
  }

  async function runJob(body: Record<string, unknown>): Promise<JobStatus> {
    const job = (await http.post('/api/v2/remote_execution/jobs', { job: body }).expect(201)).body as Job;
    return waitFinal(job.id);
  }

  async function puppetRun(hosts: number[], timeout: number): Promise<JobStatus> {
    const job = (await http.post('/api/v2/remote_execution/puppet_run', { targeting: { host_ids: hosts.map(hostId) }, timeout }).expect(201)).body as Job;
    return waitFinal(job.id);
  }

  beforeAll(async () => {
    db = await openTestDataSource(database);
    fixture = await startFixture();
    const hosts = fixture.fleet.identities.map((name, i) => ({ name, proxy: i < NODES / 2 ? 'proxy-a' : 'proxy-b', hostgroup: 'puppet' }));
    ids = await seedInventory(db.dataSource, {
      hostgroups: ['puppet'],
      proxies: fixture.proxies.map((p) => ({ name: p.name, url: p.url, capabilities: ['remote_execution', 'choria'] })),
      hosts,
    });
    app = await startJobApp({ dataSource: db.dataSource, proxies: fixture.client });
    const disabled = await runJob({ namespace: 'puppet', action: 'disable', arguments: { message: 'kernel upgrade, ask ops' }, targeting: { host_ids: [hostId(DISABLED)] }, timeout: 10 });
    expect(disabled.state).toBe('succeeded');
  });

  afterAll(async () => {
    await app?.close();
    fixture?.client.close();
    for (const p of fixture?.proxies ?? []) await p.stop();
    await fixture?.fleet.stop();
    await db?.close();
  });

  let firstRun: JobStatus | undefined;

  it('ends each host only after its run ended, with the outcome its last_run_summary reports', async () => {
    const normal = [1, 2, 3, 4, 5, 6];
    const startedAt = Date.now();
    const done = await puppetRun(normal, 30);
    firstRun = done;
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(RUN_SECONDS * 1000);
    const hosts = await hostsOf(done.id);

    // What each node says of its last run now, asked in a job of its own.
    const summaries = await runJob({ namespace: 'puppet', action: 'last_run_summary', arguments: { logs: true }, targeting: { host_ids: normal.map(hostId) }, timeout: 10 });
    const reported = await hostsOf(summaries.id);
    const tally = { changed: 0, unchanged: 0, failed: 0, noop_pending: 0, not_run: 0 };
    for (const i of normal) {
      const host = hosts.get(identity(i))!;
      const summary = reported.get(identity(i))!.data as Record<string, number | string | Record<string, unknown>>;
      const failed = summary.failed_resources as number;
      const changed = summary.changed_resources as number;
      const expected: PuppetRunOutcome = {
        outcome: failed > 0 ? 'failed' : changed > 0 ? 'changed' : 'unchanged',
        changed_resources: changed,
        failed_resources: failed,
        out_of_sync_resources: summary.out_of_sync_resources as number,
        total_resources: summary.total_resources as number,
        run_time: summary.total_time as number,
        config_version: summary.config_version as string,
        environment: (summary.summary as { environment: string }).environment,
        noop: false,
        failed_resource_titles: titlesLogged(summary.logs, 'err'),
        changed_resource_titles: titlesLogged(summary.logs, 'notice'),
      };
      expect(expected.failed_resource_titles).toHaveLength(failed);
      expect(expected.changed_resource_titles).toHaveLength(changed);
      expect(host.puppet_run).toEqual(expected);
      expect(host.state).toBe(failed > 0 ? 'failed' : 'succeeded');
      if (failed > 0) expect(host.statusmsg).toBe(`puppet run failed: ${failed} failed resources`);
      // The run began after the request and ended before the host's result.
      expect((summary.lastrun as number) * 1000).toBeGreaterThanOrEqual(Math.floor(new Date(host.started_at!).getTime() / 1000) * 1000);
      tally[expected.outcome]++;
    }
    expect(tally.failed).toBeGreaterThan(0);
    expect(tally.failed).toBeLessThan(normal.length);
    expect(done.aggregates).toContainEqual({ function: 'puppet_run', output: 'run', display_as: 'Puppet Run Outcome', value: tally });
    // The fleet's counts vary per node: not every host reports the same resources.
    expect(new Set(normal.map((i) => hosts.get(identity(i))!.puppet_run!.total_resources)).size).toBeGreaterThan(1);
  });

  it('prints each host\'s run in rex job show, as puppet job show lists its nodes', async () => {
    const token = await request(app.url).post('/api/v2/users/admin/personal_access_tokens').set('Authorization', AUTH).send({ personal_access_token: { name: `prun-${database.kind}` } }).expect(201);
    const env = { REX_URL: app.url, REX_USER: 'admin', REX_TOKEN: (token.body as { token_value: string }).token_value };
    const shown = await runRex(['job', 'show', String(firstRun!.id)], env);
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toContain('PUPPET RUNS (6)');
    expect(shown.stdout).toContain('Summary of Puppet Run Outcome');
    const hosts = await hostsOf(firstRun!.id);
    for (const i of [1, 2, 3, 4, 5, 6]) {
      const run = hosts.get(identity(i))!.puppet_run!;
      const line = shown.stdout.split('\n').find((l) => l.startsWith(`${identity(i)} `));
      expect(line?.replace(/ +/g, ' ')).toBe(
        `${identity(i)} ${run.outcome.replace('_', ' ')} Applied configuration version ${run.config_version} in ${run.environment} with ${run.changed_resources} changes, ${run.failed_resources} failures; ${run.total_resources} resources, ${run.run_time} s`,
      );
      for (const title of run.failed_resource_titles) expect(shown.stdout).toContain(`failed: ${title}\n`);
    }
  });

  it('filters the hosts by run outcome: outcome=, the outcome search key, the export, rex job hosts and rex job show --outcome', async () => {
    const id = firstRun!.id;
    const hosts = [...(await hostsOf(id)).values()];
    const named = (outcomes: string[]) => hosts.filter((h) => outcomes.includes(h.puppet_run!.outcome)).map((h) => h.host_name).sort();
    const listed = async (query: string) => ((await http.get(`/api/v2/remote_execution/jobs/${id}/hosts?per_page=100&${query}`).expect(200)).body as { results: PuppetRunJobHost[]; subtotal: number }).results.map((h) => h.host_name).sort();
    const failed = named(['failed']);
    expect(failed.length).toBeGreaterThan(0);
    expect(await listed('outcome=failed')).toEqual(failed);
    expect(await listed('outcome=failed,changed')).toEqual(named(['failed', 'changed']));
    expect(await listed(`search=${encodeURIComponent('outcome ^ (changed, unchanged)')}`)).toEqual(named(['changed', 'unchanged']));
    expect(await listed(`search=${encodeURIComponent('outcome != failed')}`)).toEqual(named(['changed', 'unchanged', 'noop_pending']));
    expect(await listed('outcome=not_run')).toEqual([]);
    // With a search: both must hold.
    expect(await listed(`outcome=failed&search=${encodeURIComponent(`name = ${failed[0]}`)}`)).toEqual([failed[0]]);
    expect(await listed(`outcome=unchanged,changed&search=${encodeURIComponent(`name = ${failed[0]}`)}`)).toEqual([]);

    // A value that is no outcome answers 400 naming the parameter (or the search's key) and the values it takes.
    const bad = await http.get(`/api/v2/remote_execution/jobs/${id}/hosts?outcome=failed,broken`).expect(400);
    expect(bad.body.error.details.fields).toEqual([{ field: 'outcome', rule: 'must be among changed, unchanged, failed, noop_pending, not_run' }]);
    const badSearch = await http.get(`/api/v2/remote_execution/jobs/${id}/hosts?search=${encodeURIComponent('outcome = broken')}`).expect(400);
    expect(badSearch.body.error.message).toContain('changed, unchanged, failed, noop_pending, not_run');

    const exported = await http.get(`/api/v2/remote_execution/jobs/${id}/hosts/export?format=jsonl&outcome=failed`).expect(200);
    expect(exported.text.trim().split('\n').map((l) => (JSON.parse(l) as { host_name: string }).host_name).sort()).toEqual(failed);

    const token = await request(app.url).post('/api/v2/users/admin/personal_access_tokens').set('Authorization', AUTH).send({ personal_access_token: { name: `prun-outcome-${database.kind}` } }).expect(201);
    const env = { REX_URL: app.url, REX_USER: 'admin', REX_TOKEN: (token.body as { token_value: string }).token_value };
    const cliHosts = await runRex(['job', 'hosts', String(id), '--outcome', 'failed', '--output', 'json'], env);
    expect(cliHosts.stderr).toBe('');
    expect((JSON.parse(cliHosts.stdout) as { results: Array<{ host_name: string }> }).results.map((h) => h.host_name).sort()).toEqual(failed);
    const shown = await runRex(['job', 'show', String(id), '--outcome', 'failed'], env);
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toContain(`PUPPET RUNS WITH OUTCOME failed (${failed.length})`);
    const lines = shown.stdout.split('\n').filter((l) => hosts.some((h) => l.startsWith(`${h.host_name} `)));
    expect(lines.map((l) => l.split(' ')[0]).sort()).toEqual(failed);
  });

  it('fails a host whose agent is disabled with the disable message, without asking it to run', async () => {
    const done = await puppetRun([DISABLED], 10);
    expect(done.state).toBe('failed');
    const host = (await hostsOf(done.id)).get(identity(DISABLED))!;
    expect(host).toMatchObject({ state: 'failed', statuscode: 1, statusmsg: 'puppet agent disabled: kernel upgrade, ask ops', puppet_run: null });
    // Asked for its status only: the disabled agent never got a runonce.
    expect(fixture.fleet.seen()['puppet#runonce']?.received[identity(DISABLED)]).toBeUndefined();
    expect(fixture.fleet.seen()['puppet#status'].received[identity(DISABLED)]).toBe(1);
    expect(done.aggregates).toContainEqual(expect.objectContaining({ function: 'puppet_run', value: { changed: 0, unchanged: 0, failed: 0, noop_pending: 0, not_run: 1 } }));
    // The host without a run is found as not_run, and as no other outcome.
    const notRun = ((await http.get(`/api/v2/remote_execution/jobs/${done.id}/hosts?outcome=not_run`).expect(200)).body as { results: PuppetRunJobHost[] }).results;
    expect(notRun.map((h) => h.host_name)).toEqual([identity(DISABLED)]);
    expect(((await http.get(`/api/v2/remote_execution/jobs/${done.id}/hosts?outcome=failed`).expect(200)).body as { results: unknown[] }).results).toEqual([]);
  });

  it('ends a run that outlives the timeout no_response saying it never finished, and refuses a second run while it applies', async () => {
    const first = await puppetRun([SLOW], 3);
    const slow = (await hostsOf(first.id)).get(identity(SLOW))!;
    expect(slow).toMatchObject({ state: 'no_response', reason: 'puppet run never finished: still applying when the 3 s timeout passed', puppet_run: null });

    const second = await puppetRun([SLOW], 10);
    const busy = (await hostsOf(second.id)).get(identity(SLOW))!;
    expect(busy).toMatchObject({ state: 'failed', statuscode: 1, statusmsg: 'puppet agent already applying a catalog: not started', puppet_run: null });

    // Told to wait, the job waits for the run in progress as long as its timeout lets it, then says so.
    const waited = (await http.post('/api/v2/remote_execution/puppet_run', { targeting: { host_ids: [hostId(SLOW)] }, timeout: 3, if_running: 'wait' }).expect(201)).body as Job;
    const startedAt = Date.now();
    const third = (await hostsOf((await waitFinal(waited.id)).id)).get(identity(SLOW))!;
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2500);
    expect(third).toMatchObject({ state: 'failed', statuscode: 1, statusmsg: 'puppet agent still applying a run begun before the request when the 3 s timeout passed: not started', puppet_run: null });
    expect(((await http.get(`/api/v2/remote_execution/jobs/${waited.id}/hosts?outcome=not_run`).expect(200)).body as { subtotal: number }).subtotal).toBe(1);
  });

  it('with if_running wait (rex puppet run --if-running wait), starts a run on a host already applying once that run ended, and follows it', async () => {
    const runonces = () => fixture.fleet.seen()['puppet#runonce']?.received[identity(BUSY)] ?? 0;
    const before = runonces();
    const first = (await http.post('/api/v2/remote_execution/puppet_run', { targeting: { host_ids: [hostId(BUSY)] }, timeout: 30 }).expect(201)).body as Job;
    // Once the first job's runonce reached the node, it applies a catalog for BUSY_RUN_SECONDS.
    for (const until = Date.now() + 10_000; runonces() === before && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
    expect(runonces()).toBe(before + 1);
    const applyingSince = Date.now();
    const token = await request(app.url).post('/api/v2/users/admin/personal_access_tokens').set('Authorization', AUTH).send({ personal_access_token: { name: `prun-wait-${database.kind}` } }).expect(201);
    const env = { REX_URL: app.url, REX_USER: 'admin', REX_TOKEN: (token.body as { token_value: string }).token_value };
    const cli = await runRex(['puppet', 'run', identity(BUSY), '--if-running', 'wait', '--timeout', '30'], env);
    expect(cli.stderr).toBe('');
    const secondId = Number(/Job (\d+)/.exec(cli.stdout)?.[1]);
    // Made while the first run still applied (so this job found the host busy), with room to spare.
    expect(Date.now() - applyingSince).toBeLessThan((BUSY_RUN_SECONDS - 2) * 1000);
    const [a, b] = await Promise.all([waitFinal(first.id), waitFinal(secondId)]);
    expect(b.arguments).toEqual({ force: true, if_running: 'wait' });
    const hostA = (await hostsOf(a.id)).get(identity(BUSY))!;
    const hostB = (await hostsOf(b.id)).get(identity(BUSY))!;
    // Both ran to their end: the node refuses runonce while it applies, so the second run began after the first had ended.
    expect(hostA.puppet_run).not.toBeNull();
    expect(hostB.puppet_run).not.toBeNull();
    expect(hostB.reason).toBeNull();
    expect(runonces()).toBe(before + 2);
    expect(new Date(hostB.finished_at!).getTime() - new Date(hostA.finished_at!).getTime()).toBeGreaterThanOrEqual((BUSY_RUN_SECONDS - 1) * 1000);
    // The runonce the node got has no if_running: that input is rex's own.
    expect((hostB.data as { summary: string }).summary).not.toContain('if_running');
  });

  it('refuses an if_running that is neither skip nor wait, naming it, on the Puppet run routes and in a job\'s arguments', async () => {
    const bad = await http.post('/api/v2/remote_execution/puppet_run', { targeting: { host_ids: [hostId(1)] }, if_running: 'later' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields).toEqual([{ field: 'if_running', rule: 'must be one of skip, wait' }]);
    await http.post(`/api/v2/hosts/${hostId(1)}/puppet_run`, { if_running: 'sometimes' }).expect(400);
    const job = await http.post('/api/v2/remote_execution/jobs', { job: { namespace: 'puppet', action: 'runonce', arguments: { if_running: 'later' }, targeting: { host_ids: [hostId(1)] } } });
    expect(job.status).toBe(422);
    expect(JSON.stringify(job.body.error)).toContain('if_running');
  });
});

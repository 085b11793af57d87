/**
 * Puppet Tasks, on-demand Puppet runs and PuppetDB targeting against the real things (issue 11):
 * a Puppet Server 7 and PuppetDB 7 from Debian's packages on loopback (puppet-harness.ts), the
 * test module test/puppet/modules/rextest, a proxy-plugin with its Choria client on the local NATS
 * reading the Puppet Server's task API with its own certificate, 20 virtual Choria nodes whose
 * bolt_tasks agent downloads the task files from the Puppet Server with a node certificate and runs
 * them, and the ui-extension over HTTP on SQLite and MariaDB. The servers start once for this file
 * (about a minute); every Puppet test lives here so that they start only once per run.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { JobHost, JobStatus, Namespace, PuppetRunOutcome } from '@common/jobs';
import type { AgentDdl__Output } from '@protos/generated/rex/proxy/v1/AgentDdl';
import { AppError } from '@server/errors';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { createPuppetDbClient, type PuppetDbClient } from '@server/puppetdb/puppetdb.client';
import { createPuppetServerClient } from '@proxy/tasks/puppet-server.client';
import { planTask } from '@proxy/tasks/task-spec';
import { buildNodeProfiles } from '@proxy/broker/fleet/node-profiles';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { readAuditLines, waitForAuditLines } from '@test/support/audit-log';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { createTestProxyClient, startTestProxy, type TestProxy } from '@test/ui-extension/jobs/support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp } from '@test/ui-extension/jobs/support/job-stack';
import { startPuppetDb, startPuppetServer, submitFacts, TEST_MODULES_DIR, type PuppetDbHandle, type PuppetServerHandle } from './puppet-harness';

jest.setTimeout(300_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const NODES = 20;
/** Seconds a simulated Puppet run of nodes 15-19 takes. */
const RUN_SECONDS = 3;
const PROXY_CERT = 'rex-proxy.example.com';
const FLEET_CERT = 'fleet-node.example.com';
const UI_CERT = 'rex-ui.example.com';
const PACKAGE_PATTERN = 'Pattern[/\\A[a-z0-9.+-]+\\z/]';

interface World {
  server: PuppetServerHandle;
  puppetdb: PuppetDbHandle;
  fleet: ChoriaFleet;
  fleetDir: string;
  proxy: TestProxy;
  client: ProxyClients;
  puppetdbClient: PuppetDbClient;
  collective: string;
  identities: string[];
}

let world: World | undefined;

function w(): World {
  if (!world) throw new Error('the Puppet world did not start; see the beforeAll failure');
  return world;
}

beforeAll(async () => {
  const server = await startPuppetServer({ certnames: [PROXY_CERT, FLEET_CERT, UI_CERT] });
  let puppetdb: PuppetDbHandle | undefined;
  try {
    puppetdb = await startPuppetDb(server);
    const proxyCert = await server.cert(PROXY_CERT);
    const fleetCert = await server.cert(FLEET_CERT);
    const uiCert = await server.cert(UI_CERT);
    const prefix = `ptask-${randomBytes(3).toString('hex')}-`;
    const collective = `rexptask${randomBytes(4).toString('hex')}`;
    const fleetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-fleet-tasks-'));
    // Nodes 15-19 run Puppet for RUN_SECONDS; 18 and 19 fail resources on every run, the others never
    // (report tests). Node 14's reports never reach PuppetDB, as when Puppet Server's submission is lost.
    const profiles = buildNodeProfiles({ count: NODES, identityPrefix: prefix, seed: prefix }).map((p, i) => ({
      ...p,
      ...(i >= 15 ? { puppetRunSeconds: RUN_SECONDS, puppetFailedRunRate: i >= 18 ? 1 : 0 } : {}),
      ...(i === 14 ? { puppetReports: () => undefined } : {}),
    }));
    const fleet = await startChoriaFleet({
      natsUrl: NATS_URL,
      collective,
      count: NODES,
      nodes: profiles,
      seed: prefix,
      tasks: { puppetServerUrl: server.url, caFile: server.caFile, certFile: fleetCert.certFile, keyFile: fleetCert.keyFile, directory: fleetDir },
      // Every simulated run's report goes to the real PuppetDB, as Puppet Server would send it.
      puppetdb: { url: puppetdb.httpUrl, producer: 'puppet' },
    });
    const proxy = await startTestProxy({
      name: 'puppet-proxy',
      natsUrl: NATS_URL,
      collective,
      overrides: {
        'tasks.puppet_server_url': server.url,
        'tasks.ca_file': server.caFile,
        'tasks.cert_file': proxyCert.certFile,
        'tasks.key_file': proxyCert.keyFile,
        // Long enough that the sha256 test can change a file behind the cached metadata.
        'tasks.cache_ttl_s': 3600,
        'tasks.status_interval_ms': 500,
        'puppet.status_interval_ms': 250,
      },
    });
    const puppetdbClient = createPuppetDbClient({ url: puppetdb.httpsUrl, caFile: server.caFile, certFile: uiCert.certFile, keyFile: uiCert.keyFile, timeoutMs: 10_000 });
    world = { server, puppetdb, fleet, fleetDir, proxy, client: createTestProxyClient(), puppetdbClient, collective, identities: fleet.identities };
  } catch (error) {
    await puppetdb?.stop();
    await server.stop();
    throw error;
  }
});

afterAll(async () => {
  if (!world) return;
  world.client.close();
  world.puppetdbClient.close();
  await world.proxy.stop();
  await world.fleet.stop();
  fs.rmSync(world.fleetDir, { recursive: true, force: true });
  await world.puppetdb.stop();
  await world.server.stop();
});

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const moduleFile = (...parts: string[]) => path.join(TEST_MODULES_DIR, 'rextest', ...parts);

function tasksAgent(agents: AgentDdl__Output[]): AgentDdl__Output {
  const agent = agents.find((a) => a.metadata?.name === 'tasks');
  if (!agent) throw new Error(`no tasks namespace among ${agents.map((a) => a.metadata?.name).join(', ')}`);
  return agent;
}

interface AuditLine {
  execution_id: string;
  action: string;
  data: Record<string, unknown>;
  outcome: { state: string };
}

function auditLines(): AuditLine[] {
  return readAuditLines<AuditLine>(w().proxy.auditFile);
}

/** The first audit line that matches, once it has been written. */
async function auditLine(match: (line: AuditLine, index: number) => boolean): Promise<AuditLine | undefined> {
  return (await waitForAuditLines<AuditLine>(w().proxy.auditFile, (lines) => lines.some(match))).find(match);
}

function fileDownloads(pathPart: string): number {
  return fs.readFileSync(w().server.accessLog, 'utf8').split('\n').filter((line) => line.includes(`GET /puppet/v3/file_content/${pathPart}`)).length;
}

/** The job API of one app, as a user drives it over HTTP. */
function api(appOf: () => JobApp) {
  const http = () => ({
    get: (p: string) => request(appOf().url).get(p).set('Authorization', AUTH),
    post: (p: string, body: unknown) => request(appOf().url).post(p).set('Authorization', AUTH).send(body as object),
  });

  async function createJob(body: Record<string, unknown>): Promise<JobStatus> {
    const res = await http().post('/api/v2/remote_execution/jobs', { job: body });
    if (res.status !== 201) throw new Error(`job not created: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as JobStatus;
  }

  async function waitFinal(id: number, limitS = 120): Promise<JobStatus> {
    const deadline = Date.now() + limitS * 1000;
    let version = 0;
    for (;;) {
      const res = await http().get(`/api/v2/remote_execution/jobs/${id}?wait=10&since=${version}`);
      const job = res.body as JobStatus;
      if (['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state} after ${limitS} s: ${JSON.stringify(job.counts)}`);
      version = job.version;
    }
  }

  async function hostsOf(id: number): Promise<JobHost[]> {
    return (await http().get(`/api/v2/remote_execution/jobs/${id}/hosts?per_page=1000`)).body.results as JobHost[];
  }

  return { http, createJob, waitFinal, hostsOf };
}

const nodes = (from: number, count: number) => w().identities.slice(from, from + count);

type PuppetRunHost = JobHost & { puppet_run: PuppetRunOutcome | null };

interface PdbReportRow {
  hash: string;
  status: string;
  noop: boolean;
  noop_pending: boolean;
  corrective_change: boolean | null;
  configuration_version: string;
  environment: string;
  start_time: string;
  end_time: string;
  transaction_uuid: string;
  producer: string;
  metrics: { data: Array<{ category: string; name: string; value: number }> };
}

/** The reports PuppetDB holds for a node and configuration version, asked over its plain-HTTP query API. */
async function pdbReports(certname: string, configVersion: string): Promise<PdbReportRow[]> {
  const response = await fetch(new URL('/pdb/query/v4', w().puppetdb.httpUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query: `reports { certname = ${JSON.stringify(certname)} and configuration_version = ${JSON.stringify(configVersion)} }` }),
  });
  if (response.status !== 200) throw new Error(`PuppetDB answered HTTP ${response.status}: ${await response.text()}`);
  return (await response.json()) as PdbReportRow[];
}

const metric = (row: PdbReportRow, category: string, name: string): number | null => row.metrics.data.find((m) => m.category === category && m.name === name)?.value ?? null;
const searchFor = (names: string[]) => `name ^ (${names.join(', ')})`;

/** A scratch database with the fleet's hosts on the Puppet proxy, and the app on it. */
async function startStack(database: Parameters<typeof openTestDataSource>[0]): Promise<{ db: OpenTestDataSource; app: JobApp; hostIds: Map<string, number>; hostgroupId: number }> {
  const db = await openTestDataSource(database);
  const seeded = await seedInventory(db.dataSource, {
    hostgroups: ['tasks'],
    proxies: [{ name: 'puppet-proxy', url: w().proxy.url, capabilities: ['remote_execution', 'choria', 'puppet_tasks'] }],
    hosts: w().identities.map((name) => ({ name, hostgroup: 'tasks', proxy: 'puppet-proxy' })),
  });
  const app = await startJobApp({ dataSource: db.dataSource, proxies: w().client, puppetdb: w().puppetdbClient });
  return { db, app, hostIds: seeded.hostIds, hostgroupId: seeded.hostgroupIds.get('tasks')! };
}

describe('Puppet Server task API through the proxy', () => {
  it('lists the module tasks with their parameters, types and sensitive flags when the proxy reads the real Puppet Server', async () => {
    const agent = tasksAgent(await w().client.listAgents(w().proxy.url));
    const names = agent.actions.map((a) => a.name).filter((n) => n.startsWith('rextest::')).sort();
    expect(names).toEqual(['rextest::echo', 'rextest::fail', 'rextest::multi', 'rextest::package', 'rextest::secret', 'rextest::sleep']);
    expect(agent.source).toBe('puppet_server');
    const info = await w().client.getInfo(w().proxy.url);
    expect(info.capabilities).toContain('puppet_tasks');

    const pkg = agent.actions.find((a) => a.name === 'rextest::package')!;
    expect(pkg.description).toBe('Report or pretend to install a package');
    const inputs = Object.fromEntries(pkg.inputs.map((i) => [i.name, i]));
    expect(inputs.name).toMatchObject({ puppet_type: PACKAGE_PATTERN, type: 'string', optional: false, description: 'Package name' });
    expect(inputs.action).toMatchObject({ puppet_type: 'Enum[status, install]', type: 'list', list: ['status', 'install'], optional: false });
    expect(inputs.version).toMatchObject({ puppet_type: 'Optional[String[1]]', optional: true });
    expect(inputs._noop).toMatchObject({ type: 'boolean', optional: true });
    const secret = agent.actions.find((a) => a.name === 'rextest::secret')!;
    expect(secret.inputs.find((i) => i.name === 'token')).toMatchObject({ sensitive: true, puppet_type: 'String[8]' });
    expect(agent.actions.find((a) => a.name === 'rextest::echo')!.inputs.map((i) => i.name)).toEqual(['message']);
  });

  it('describes every file of the multi-file task with the sha256 and size of the module on disk', async () => {
    const cert = await w().server.cert(PROXY_CERT);
    const server = createPuppetServerClient({ url: w().server.url, caFile: w().server.caFile, certFile: cert.certFile, keyFile: cert.keyFile, requestTimeoutMs: 10_000 });
    try {
      const details = await server.getTask('rextest::multi', 'production');
      const expected = [
        ['multi.sh', moduleFile('tasks', 'multi.sh')],
        ['multi.ps1', moduleFile('tasks', 'multi.ps1')],
        ['rextest/files/lib.sh', moduleFile('files', 'lib.sh')],
        ['rextest/files/data.txt', moduleFile('files', 'data.txt')],
      ];
      expect(details.files.map((f) => [f.filename, f.sha256, f.size_bytes])).toEqual(expected.map(([name, file]) => [name, sha256(file), fs.statSync(file).size]));
      // A POSIX node runs the shell implementation with both extra files, the executable first.
      expect(planTask(details).files.map((f) => f.filename)).toEqual(['multi.sh', 'rextest/files/lib.sh', 'rextest/files/data.txt']);
      expect(planTask(details).inputMethod).toBe('environment');
    } finally {
      server.close();
    }
  });
});

describe.each(testDatabases())('Puppet Tasks, Puppet runs and PQL through the ui-extension on $kind', (database) => {
  let db: OpenTestDataSource;
  let app: JobApp;
  let hostIds: Map<string, number>;
  let hostgroupId: number;

  beforeAll(async () => {
    ({ db, app, hostIds, hostgroupId } = await startStack(database));
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const { http, createJob, waitFinal, hostsOf } = api(() => app);
  it('shows the tasks namespace with its actions when the namespaces API asks the proxy', async () => {
    const res = await http().get('/api/v2/remote_execution/namespaces');
    const tasks = (res.body.results as Namespace[]).find((n) => n.name === 'tasks');
    expect(tasks?.actions.map((a) => a.name)).toEqual(expect.arrayContaining(['rextest::multi', 'rextest::package']));
    expect(tasks?.timeout).toBe(3600);
  });

  it('runs the multi-file task on all 20 nodes, each fetching its three files from the Puppet Server', async () => {
    const before = { script: fileDownloads('tasks/rextest/multi.sh'), lib: fileDownloads('modules/rextest/lib.sh'), data: fileDownloads('modules/rextest/data.txt') };
    const downloadsBefore = [...w().fleet.nodes.values()].reduce((n, node) => n + (node.tasks?.downloads ?? 0), 0);
    const job = await createJob({ namespace: 'tasks', action: 'rextest::multi', arguments: { count: 3 }, targeting: { hostgroup_id: hostgroupId } });
    expect(job.total_hosts).toBe(NODES);
    const done = await waitFinal(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.counts.succeeded).toBe(NODES);
    const hosts = await hostsOf(job.id);
    for (const host of hosts) {
      expect(host.data).toMatchObject({ exitcode: 0, result: { lines: ['alpha', 'bravo', 'charlie'], helper: 'lib.sh' } });
      expect(host.output.map((o) => o.name)).toEqual(expect.arrayContaining(['result', 'exitcode']));
    }
    // The first run on these nodes: every node fetched every file itself (nothing was cached).
    const downloadsAfter = [...w().fleet.nodes.values()].reduce((n, node) => n + (node.tasks?.downloads ?? 0), 0);
    if (database.kind === 'sqlite') {
      expect(downloadsAfter - downloadsBefore).toBe(NODES * 3);
      expect(fileDownloads('tasks/rextest/multi.sh') - before.script).toBe(NODES);
      expect(fileDownloads('modules/rextest/lib.sh') - before.lib).toBe(NODES);
      expect(fileDownloads('modules/rextest/data.txt') - before.data).toBe(NODES);
    } else {
      // The same nodes again: their cache holds the files with the right sha256, as Choria's does.
      expect(downloadsAfter).toBe(downloadsBefore);
    }
  });

  it('runs the new file at once, downloaded again by the nodes that cached the old one, when a task file changed on the Puppet Server', async () => {
    const script = path.join(w().server.modulesDir, 'rextest', 'tasks', 'echo.sh');
    const original = fs.readFileSync(script);
    const targets = nodes(0, 3);
    // The nodes cache the current file, and the proxy its metadata (its TTL is an hour).
    const first = await waitFinal((await createJob({ namespace: 'tasks', action: 'rextest::echo', arguments: { message: 'hello' }, targeting: { search: searchFor(targets) } })).id);
    expect(first.state).toBe('succeeded');
    // Different on each database's run, so that no node holds the changed file in its cache yet.
    const changed = original.toString('utf8').replace('"task": "%s"}', `"task": "%s", "version": "${database.kind}"}`);
    expect(changed).not.toBe(original.toString('utf8'));
    fs.writeFileSync(script, changed);
    try {
      const downloadsBefore = fileDownloads('tasks/rextest/echo.sh');
      const job = await createJob({ namespace: 'tasks', action: 'rextest::echo', arguments: { message: 'hello' }, targeting: { search: searchFor(targets) } });
      const done = await waitFinal(job.id);
      expect(done.state).toBe('succeeded');
      for (const host of await hostsOf(job.id)) {
        expect(host.data).toMatchObject({ result: { message: 'hello', version: database.kind }, exitcode: 0 });
        expect(fs.existsSync(path.join(w().fleetDir, host.host_name, 'cache', sha256(script)))).toBe(true);
      }
      expect(fileDownloads('tasks/rextest/echo.sh') - downloadsBefore).toBe(3);
    } finally {
      fs.writeFileSync(script, original);
    }
  });

  it('lists a task added on the Puppet Server at once when the proxy is refreshed', async () => {
    const task = `fresh_${database.kind}`;
    const tasksDir = path.join(w().server.modulesDir, 'rextest', 'tasks');
    const names = async () => ((await http().get('/api/v2/remote_execution/namespaces')).body.results as Namespace[]).find((n) => n.name === 'tasks')?.actions.map((a) => a.name) ?? [];
    expect(await names()).not.toContain(`rextest::${task}`);
    fs.writeFileSync(path.join(tasksDir, `${task}.json`), JSON.stringify({ description: 'Added while the proxy runs', parameters: { count: { type: 'Integer' } } }));
    fs.writeFileSync(path.join(tasksDir, `${task}.sh`), '#!/bin/sh\necho "{}"\n', { mode: 0o755 });
    try {
      // The proxy's list is cached for an hour (tasks.cache_ttl_s) and the ui-extension's for 30 s.
      expect(await names()).not.toContain(`rextest::${task}`);
      const refreshed = await http().post('/api/v2/smart_proxies/puppet-proxy/refresh', {});
      expect(refreshed.status).toBe(200);
      expect(await names()).toContain(`rextest::${task}`);
    } finally {
      fs.rmSync(path.join(tasksDir, `${task}.json`), { force: true });
      fs.rmSync(path.join(tasksDir, `${task}.sh`), { force: true });
    }
  });

  it('refuses with 422 naming the parameter and its Pattern when a value breaks it', async () => {
    const res = await http().post('/api/v2/remote_execution/jobs', { job: { namespace: 'tasks', action: 'rextest::package', arguments: { action: 'status', name: 'Bad Name' }, targeting: { search: searchFor(nodes(0, 1)) } } });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain('parameter name of rextest::package');
    expect(res.body.error.message).toContain(PACKAGE_PATTERN);
  });

  it("refuses 3.0 for an Integer parameter, as Puppet's types do, and runs 3", async () => {
    // Raw JSON: supertest's .send would write 3.0 as 3.
    const post = (seconds: string) =>
      request(app.url).post('/api/v2/remote_execution/jobs').set('Authorization', AUTH).set('Content-Type', 'application/json')
        .send(`{"job":{"namespace":"tasks","action":"rextest::sleep","arguments":{"seconds":${seconds}},"targeting":{"search":${JSON.stringify(searchFor(nodes(4, 1)))}}}}`);
    const refused = await post('3.0');
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toBe('parameter seconds of rextest::sleep must be a value of type Integer[0, 86400]: expects an Integer value, got Float 3.0');
    const ran = await post('0');
    expect(ran.status).toBe(201);
    // Finished before the next test counts what reached the nodes.
    expect((await waitFinal(ran.body.id as number)).state).toBe('succeeded');
  });

  it('refuses a bad Pattern value at the proxy too when it is sent there directly over gRPC', async () => {
    const executionId = `direct-${randomBytes(4).toString('hex')}`;
    const before = w().fleet.stats.received;
    const error = await w().client
      .execute(w().proxy.url, { execution_id: executionId, agent: 'tasks', action: 'rextest::package', arguments_json: JSON.stringify({ action: 'status', name: 'Bad Name' }), identities: nodes(0, 2), caller: 'direct-test' }, () => undefined)
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('INVALID_ARGUMENT');
    expect((error as AppError).details).toEqual({ input: 'name', rule: 'puppet_type' });
    expect((error as AppError).message).toContain(PACKAGE_PATTERN);
    // Nothing was sent to the nodes, and the refusal is in the proxy's audit log.
    expect(w().fleet.stats.received).toBe(before);
    expect((await auditLine((line) => line.execution_id === executionId))?.outcome.state).toBe('rejected');
  });

  it('passes _noop to a task that supports it and refuses it for one that does not', async () => {
    const job = await createJob({ namespace: 'tasks', action: 'rextest::package', arguments: { action: 'install', name: 'nginx', _noop: true }, targeting: { search: searchFor(nodes(3, 2)) } });
    const done = await waitFinal(job.id);
    expect(done.state).toBe('succeeded');
    for (const host of await hostsOf(job.id)) expect(host.data).toMatchObject({ result: { mode: 'noop', input: { action: 'install', name: 'nginx', _noop: true } } });
    const refused = await http().post('/api/v2/remote_execution/jobs', { job: { namespace: 'tasks', action: 'rextest::sleep', arguments: { seconds: 0, _noop: true }, targeting: { search: searchFor(nodes(3, 1)) } } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain('_noop');
  });

  it('keeps stdout that is not JSON as _output with the exit code and the task error when a task fails', async () => {
    const job = await createJob({ namespace: 'tasks', action: 'rextest::fail', arguments: { code: 3 }, targeting: { search: searchFor(nodes(5, 2)) } });
    const done = await waitFinal(job.id);
    expect(done.state).toBe('failed');
    for (const host of await hostsOf(job.id)) {
      expect(host.state).toBe('failed');
      expect(host.data).toMatchObject({ exitcode: 3, stderr: 'something went wrong\n', result: { _output: 'not JSON: failing with 3\n' }, _error: { kind: 'choria.tasks/task-error' } });
    }
    expect(done.aggregates).toEqual([{ function: 'summary', output: 'exitcode', display_as: 'Exit Code', value: {} }]);
  });

  it('masks a sensitive parameter in the stored job, the results and the proxy audit, and refuses a replay without it', async () => {
    const token = `tok-${randomBytes(8).toString('hex')}`;
    const audited = auditLines().length;
    const job = await createJob({ namespace: 'tasks', action: 'rextest::secret', arguments: { user: 'alice', token }, targeting: { search: searchFor(nodes(7, 2)) } });
    expect(job.arguments).toEqual({ user: 'alice', token: '********' });
    const done = await waitFinal(job.id);
    expect(done.state).toBe('succeeded');
    const hosts = await hostsOf(job.id);
    expect(JSON.stringify(hosts)).not.toContain(token);
    for (const host of hosts) expect(host.data).toMatchObject({ result: { user: 'alice', token_seen: '********' }, stderr: 'token for alice is ********\n' });
    expect((await http().get('/api/v2/remote_execution/actions?namespace=tasks&per_page=100')).text).not.toContain(token);
    const audit = await auditLine((line, index) => index >= audited && line.action === 'rextest::secret');
    expect(audit?.data).toEqual({ user: 'alice', token: '********' });
    expect(fs.readFileSync(w().proxy.auditFile, 'utf8')).not.toContain(token);
    const replay = await http().post(`/api/v2/remote_execution/jobs/${job.id}/replay`, { hosts: 'all' });
    expect(replay.status).toBe(400);
    expect(replay.body.error.message).toContain('sensitive arguments (token)');
  });

  it('runs Puppet on one host from the host API and ends with a per-host result', async () => {
    const name = nodes(9, 1)[0];
    const res = await http().post(`/api/v2/hosts/${name}/puppet_run`, {});
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ namespace: 'puppet', action: 'runonce', arguments: { force: true }, targeting: { host_ids: [hostIds.get(name)] } });
    const done = await waitFinal(res.body.id);
    expect(done.state).toBe('succeeded');
    const [host] = await hostsOf(res.body.id);
    expect(host).toMatchObject({ host_name: name, state: 'succeeded', statuscode: 0 });
    expect(String(host.data?.summary)).toContain("Started a Puppet run using the 'puppet agent --onetime");
    expect(host.data?.initiated_at).toEqual(expect.any(Number));
  });

  it('runs Puppet in noop on a targeting in bulk and reports each host', async () => {
    const targets = nodes(10, 4);
    const res = await http().post('/api/v2/remote_execution/puppet_run', { targeting: { search: searchFor(targets) }, arguments: { noop: true } });
    expect(res.status).toBe(201);
    const done = await waitFinal(res.body.id);
    expect(done).toMatchObject({ state: 'succeeded', total_hosts: 4 });
    for (const host of await hostsOf(res.body.id)) expect(String(host.data?.summary)).toContain('--noop');
    const bad = await http().post('/api/v2/remote_execution/puppet_run', { targeting: { search: searchFor(targets) }, arguments: { tags: 'a;rm -rf /' } });
    expect(bad.status).toBe(422);
  });

  /** Host results once every host has its PuppetDB report lookup stored (found or not: puppetdb.report_wait_s, 10 s). */
  async function hostsWithReports(id: number, limitS = 40): Promise<PuppetRunHost[]> {
    const deadline = Date.now() + limitS * 1000;
    for (;;) {
      const hosts = (await hostsOf(id)) as PuppetRunHost[];
      if (hosts.every((h) => h.puppetdb_report)) return hosts;
      if (Date.now() > deadline) throw new Error(`job ${id}: no PuppetDB report lookup stored for ${hosts.filter((h) => !h.puppetdb_report).map((h) => h.host_name).join(', ')} after ${limitS} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('ends a Puppet run job only after the runs end and keeps, host by host, the summary of the report PuppetDB holds for each run', async () => {
    const targets = nodes(15, 5);
    const res = await http().post('/api/v2/remote_execution/puppet_run', { targeting: { search: searchFor(targets) } });
    expect(res.status).toBe(201);
    const done = await waitFinal(res.body.id);
    // Nodes 18 and 19 fail resources on every run: their hosts and so the job failed.
    expect(done).toMatchObject({ state: 'failed', total_hosts: 5, counts: { succeeded: 3, failed: 2 } });
    const hosts = await hostsWithReports(res.body.id);
    expect(hosts.map((h) => h.host_name).sort()).toEqual([...targets].sort());
    const jobStarted = Date.parse(done.started_at!);
    for (const host of hosts) {
      const run = host.puppet_run!;
      const stored = host.puppetdb_report!;
      expect(stored.reason).toBeNull();
      // PuppetDB asked directly: the one report of this node for this run's catalog.
      const rows = await pdbReports(host.host_name, run.config_version);
      expect(rows).toHaveLength(1);
      const [row] = rows;
      expect(stored.hash).toBe(row.hash);
      expect(stored.url).toBe(`${w().puppetdbClient.url}/pdb/query/v4/reports?query=${encodeURIComponent(JSON.stringify(['=', 'hash', row.hash]))}`);
      expect(stored.summary).toEqual({
        status: row.status,
        noop: row.noop,
        noop_pending: row.noop_pending,
        corrective_change: row.corrective_change,
        changed_resources: metric(row, 'resources', 'changed'),
        failed_resources: metric(row, 'resources', 'failed'),
        out_of_sync_resources: metric(row, 'resources', 'out_of_sync'),
        total_resources: metric(row, 'resources', 'total'),
        run_time: metric(row, 'time', 'total'),
        configuration_version: row.configuration_version,
        environment: row.environment,
        start_time: row.start_time,
        end_time: row.end_time,
        transaction_uuid: row.transaction_uuid,
        producer: row.producer,
      });
      // The same run as the agent's last_run_summary told the proxy.
      expect([row.status, metric(row, 'resources', 'changed'), metric(row, 'resources', 'failed'), metric(row, 'resources', 'out_of_sync'), metric(row, 'resources', 'total')])
        .toEqual([run.outcome, run.changed_resources, run.failed_resources, run.out_of_sync_resources, run.total_resources]);
      expect(Date.parse(row.end_time)).toBe((host.data!.run as { last_run: number }).last_run * 1000);
      // The run began after the request (to the second: lastrun is whole seconds) and took its RUN_SECONDS;
      // the host ended only after it.
      expect(Date.parse(row.end_time) - Date.parse(row.start_time)).toBe(RUN_SECONDS * 1000);
      expect(Date.parse(row.start_time)).toBeGreaterThanOrEqual(jobStarted - 1000);
      expect(Date.parse(host.finished_at!)).toBeGreaterThanOrEqual(Date.parse(row.end_time));
      expect(Date.parse(done.finished_at!)).toBeGreaterThanOrEqual(Date.parse(row.end_time));
      const failing = nodes(18, 2).includes(host.host_name);
      expect([host.state, row.status === 'failed', metric(row, 'resources', 'failed')! > 0]).toEqual([failing ? 'failed' : 'succeeded', failing, failing]);
    }
  });

  it("keeps a noop run's report as PuppetDB holds it: noop, and noop_pending when resources were out of sync", async () => {
    const targets = nodes(15, 3);
    const res = await http().post('/api/v2/remote_execution/puppet_run', { targeting: { search: searchFor(targets) }, arguments: { noop: true } });
    expect(res.status).toBe(201);
    expect((await waitFinal(res.body.id)).state).toBe('succeeded');
    for (const host of await hostsWithReports(res.body.id)) {
      const [row] = await pdbReports(host.host_name, host.puppet_run!.config_version);
      expect(row.noop).toBe(true);
      expect(host.puppetdb_report).toMatchObject({ hash: row.hash, summary: { noop: true, noop_pending: row.noop_pending, changed_resources: 0, out_of_sync_resources: host.puppet_run!.out_of_sync_resources } });
      expect(row.noop_pending).toBe(host.puppet_run!.out_of_sync_resources > 0);
    }
  });

  it("keeps why there is no report, and the host's own outcome, when PuppetDB never gets the run's report", async () => {
    const name = nodes(14, 1)[0];
    const res = await http().post(`/api/v2/hosts/${name}/puppet_run`, {});
    expect(res.status).toBe(201);
    expect((await waitFinal(res.body.id)).state).toBe('succeeded');
    const [host] = await hostsWithReports(res.body.id);
    expect(host.state).toBe('succeeded');
    expect(host.puppetdb_report).toMatchObject({ hash: null, url: null, summary: null });
    expect(host.puppetdb_report!.reason).toMatch(new RegExp(`^no report in PuppetDB for this run after 10 s \\(certname ${name}, configuration version ${host.puppet_run!.config_version}, ended `));
    expect(await pdbReports(name, host.puppet_run!.config_version)).toEqual([]);
  });

  describe('PQL targeting through PuppetDB', () => {
    const role = `r${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      // Facts as agents would submit them; only PuppetDB gets them (the inventory has none).
      for (const [index, name] of nodes(14, 6).entries()) {
        await submitFacts(w().puppetdb, name, { rex_role: index < 3 ? `${role}-web` : `${role}-db`, os: { family: index % 2 === 0 ? 'Debian' : 'RedHat' }, kernel: 'Linux' });
      }
    });

    it('runs on exactly the nodes whose submitted facts match and stores the query as written', async () => {
      const pql = `inventory[certname] { facts.rex_role = "${role}-web" }`;
      const job = await createJob({ namespace: 'rpcutil', action: 'ping', targeting: { pql } });
      expect(job.targeting).toMatchObject({ pql, search: null, host_ids: null, hostgroup_id: null });
      const done = await waitFinal(job.id);
      expect(done.state).toBe('succeeded');
      expect((await hostsOf(job.id)).map((h) => h.host_name).sort()).toEqual(nodes(14, 3).sort());
      expect((await http().get(`/api/v2/remote_execution/jobs/${job.id}`)).body.targeting.pql).toBe(pql);
    });

    it('asks inventory for a bare condition and combines facts like PuppetDB does', async () => {
      const job = await createJob({ namespace: 'rpcutil', action: 'ping', targeting: { pql: `facts.rex_role ~ "^${role}-" and facts.os.family = "Debian"` } });
      await waitFinal(job.id);
      const expected = nodes(14, 6).filter((_, index) => index % 2 === 0).sort();
      expect((await hostsOf(job.id)).map((h) => h.host_name).sort()).toEqual(expected);
    });

    it("refuses with 422 and PuppetDB's message when the query does not parse", async () => {
      const res = await http().post('/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { pql: 'inventory[certname] { facts.x = }' } } });
      expect(res.status).toBe(422);
      expect(res.body.error.message).toContain('PQL parse error');
    });

    it('syncs the nodes and their facts into the inventory when an administrator asks', async () => {
      const res = await http().post('/api/v2/inventory/puppetdb_sync', {});
      expect(res.status).toBe(200);
      expect(res.body.nodes).toBeGreaterThanOrEqual(6);
      const facts = await http().get(`/api/v2/hosts/${nodes(14, 1)[0]}/facts?per_page=100`);
      expect(Object.fromEntries((facts.body.results as Array<{ name: string; value: string }>).map((f) => [f.name, f.value]))).toMatchObject({ rex_role: `${role}-web`, 'os::family': 'Debian' });
      const searched = await http().get(`/api/v2/hosts?search=${encodeURIComponent(`facts.rex_role = ${role}-db`)}`);
      expect(searched.body.subtotal).toBe(3);
    });
  });
});

// Once, on MariaDB (production's database): a minute per database would only repeat the same path.
describe('a long-running Puppet Task on mysql', () => {
  let db: OpenTestDataSource;
  let app: JobApp;

  beforeAll(async () => {
    ({ db, app } = await startStack(testDatabases().find((d) => d.kind === 'mysql')!));
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const { http, createJob, hostsOf } = api(() => app);

  it('shows a 60-second task running while it runs and then succeeded', async () => {
    const targets = nodes(0, 2);
    const started = Date.now();
    const job = await createJob({ namespace: 'tasks', action: 'rextest::sleep', arguments: { seconds: 60 }, targeting: { search: searchFor(targets) }, timeout: 600 });
    const seen: string[] = [];
    let done: JobStatus | undefined;
    while (!done) {
      const status = (await http().get(`/api/v2/remote_execution/jobs/${job.id}`)).body as JobStatus;
      seen.push(status.state);
      if (Date.now() - started > 5_000 && Date.now() - started < 55_000) {
        expect(status.state).toBe('running');
        expect(status.counts.running).toBe(2);
      }
      if (['succeeded', 'failed', 'cancelled'].includes(status.state)) done = status;
      else await new Promise((r) => setTimeout(r, 2_000));
      if (Date.now() - started > 180_000) throw new Error('the 60-second task did not finish in 3 minutes');
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(60_000);
    expect(seen).toContain('running');
    expect(done.state).toBe('succeeded');
    for (const host of await hostsOf(job.id)) expect(host.data).toMatchObject({ exitcode: 0, result: { slept: 60 } });
  });
});

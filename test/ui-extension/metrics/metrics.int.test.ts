/**
 * GET /metrics on both sides after real work: the production server (startServer: config,
 * migrations, the real gRPC proxy client) on SQLite and MariaDB, a real proxy-plugin with its
 * metrics listener on, the Choria test fleet on the system NATS. Every value checked must have
 * moved because of what the test did.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Job, JobStatus } from '@common/jobs';
import { loadConfig } from '@server/config';
import { silentLogger } from '@server/logger';
import { startServer, type RunningServer } from '@server/server';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { startTestProxy, unreachableProxyUrl, type TestProxy } from '../jobs/support/grpc-proxies';
import { seedInventory, type SeededInventory } from '../jobs/support/job-stack';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

jest.setTimeout(120_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const PASSWORD = 'metrics-test-password';
const AUTH = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
const TOKEN = 'ui-metrics-token-0123456789';
const PROXY_TOKEN = 'proxy-metrics-token-0123456789';
const HOSTS = 40;
const SILENT = 3;

/** One sample of the exposition text; labels must match exactly (order as written by prom-client). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(/,(?=[a-zA-Z_]\w*=")/) : [];
    if (wanted.every((w) => have.includes(w)) && have.length === wanted.length) return Number(m[3]);
  }
  return undefined;
}

async function scrape(url: string, token?: string): Promise<string> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

async function post(base: string, body: unknown): Promise<Job> {
  const res = await fetch(`${base}/api/v2/remote_execution/jobs`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as Job;
}

async function waitFinal(base: string, id: number, timeoutMs = 60_000): Promise<JobStatus> {
  const until = Date.now() + timeoutMs;
  let since = 0;
  for (;;) {
    const res = await fetch(`${base}/api/v2/remote_execution/jobs/${id}?wait=5&since=${since}`, { headers: AUTH });
    const job = (await res.json()) as JobStatus;
    if (['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.state}`);
    since = job.version;
  }
}

describe.each(testDatabases())('GET /metrics on $kind', (database) => {
  let db: OpenTestDataSource;
  let fleet: ChoriaFleet;
  let proxy: TestProxy;
  let server: RunningServer;
  let ids: SeededInventory;
  let dir: string;
  const prefix = `metrics-${randomBytes(3).toString('hex')}-`;

  beforeAll(async () => {
    db = await openTestDataSource(database, { migrate: false });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-metrics-'));
    const collective = `rexmetrics${randomBytes(4).toString('hex')}`;
    const silent = Array.from({ length: SILENT }, (_, i) => `${prefix}${String(i + 1).padStart(5, '0')}`);
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: HOSTS, identityPrefix: prefix, silentIdentities: silent, seed: prefix, failureRate: 0 });
    proxy = await startTestProxy({ name: 'proxy-m', natsUrl: NATS_URL, collective, overrides: { 'metrics.enabled': true, 'metrics.port': 0, 'metrics.bearer_token': PROXY_TOKEN } });
    const config = loadConfig({
      env: {},
      overrides: {
        'http.port': 0,
        'database.type': db.database.type,
        'database.url': db.database.url,
        'database.sqlite_path': db.database.sqlite_path,
        'database.pool_size': 7,
        'admin.password': PASSWORD,
        'admin.password_file': path.join(dir, 'pw'),
        'proxies.sync_interval_s': 0,
        'proxies.plaintext': true,
        'proxies.caller_secret': TEST_PROXY_SECRET,
        'metrics.bearer_token': TOKEN,
        'scheduler.poll_interval_ms': 200,
      },
    });
    server = await startServer({ config, logger: silentLogger(), migrate: true });
    const hosts = Array.from({ length: HOSTS }, (_, i) => ({ name: `${prefix}${String(i + 1).padStart(5, '0')}`, proxy: 'proxy-m', hostgroup: 'web' }));
    hosts.push({ name: `${prefix}down-1`, proxy: 'proxy-down', hostgroup: 'down' });
    ids = await seedInventory(server.dataSource, {
      hostgroups: ['web', 'down'],
      proxies: [
        { name: 'proxy-m', url: proxy.url, capabilities: ['remote_execution', 'choria'] },
        { name: 'proxy-down', url: await unreachableProxyUrl(), capabilities: ['remote_execution', 'choria'] },
      ],
      hosts,
    });
  });

  afterAll(async () => {
    await server?.close();
    await proxy?.stop();
    await fleet?.stop();
    await db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a scrape without the bearer token on both sides, with 401 and an error body', async () => {
    const ui = await fetch(`${server.url}/metrics`);
    expect(ui.status).toBe(401);
    expect(ui.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await ui.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    // A user's password is no scrape credential.
    expect((await fetch(`${server.url}/metrics`, { headers: AUTH })).status).toBe(401);
    const px = await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics`);
    expect(px.status).toBe(401);
    expect(((await px.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    expect((await fetch(`http://127.0.0.1:${proxy.metricsPort}/other`, { headers: { authorization: `Bearer ${PROXY_TOKEN}` } })).status).toBe(404);
  });

  it('moves job, host result, stream latency, HTTP and proxy counters after a real job', async () => {
    const uiBefore = await scrape(`${server.url}/metrics`, TOKEN);
    const proxyBefore = await scrape(`http://127.0.0.1:${proxy.metricsPort}/metrics`, PROXY_TOKEN);
    const succeededBefore = sample(uiBefore, 'rex_host_results_total', { state: 'succeeded' }) ?? 0;
    const jobsSucceededBefore = sample(uiBefore, 'rex_jobs', { state: 'failed' }) ?? 0;
    const latencyBefore = sample(uiBefore, 'rex_proxy_stream_latency_seconds_count', { proxy: 'proxy-m' }) ?? 0;
    const proxyResultsBefore = sample(proxyBefore, 'rex_proxy_host_results_total', { state: 'succeeded' }) ?? 0;

    const job = await post(server.url, { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('web') }, timeout: 2 } });
    const done = await waitFinal(server.url, job.id);
    expect(done.counts).toMatchObject({ succeeded: HOSTS - SILENT, no_response: SILENT });

    const ui = await scrape(`${server.url}/metrics`, TOKEN);
    expect(sample(ui, 'rex_host_results_total', { state: 'succeeded' })).toBe(succeededBefore + HOSTS - SILENT);
    expect(sample(ui, 'rex_host_results_total', { state: 'no_response' })).toBeGreaterThanOrEqual(SILENT);
    // A job with silent hosts ends failed (not every host succeeded).
    expect(sample(ui, 'rex_jobs', { state: 'failed' })).toBe(jobsSucceededBefore + 1);
    expect(sample(ui, 'rex_jobs', { state: 'running' })).toBe(0);
    expect(sample(ui, 'rex_database_up')).toBe(1);
    expect(sample(ui, 'rex_proxy_stream_latency_seconds_count', { proxy: 'proxy-m' })).toBe(latencyBefore + HOSTS - SILENT);
    expect(sample(ui, 'rex_http_request_duration_seconds_count', { method: 'POST', route: '/api/v2/remote_execution/jobs', status: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(sample(ui, 'rex_http_request_duration_seconds_count', { method: 'GET', route: '/api/v2/remote_execution/jobs/:id', status: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(sample(ui, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(ui, 'rex_long_polls_waiting')).toBe(0);
    if (database.kind === 'mysql') {
      expect(sample(ui, 'rex_db_pool_connections', { state: 'size' })).toBe(7);
      expect(sample(ui, 'rex_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(1);
      expect(sample(ui, 'rex_db_pool_connections', { state: 'waiting' })).toBe(0);
    } else {
      expect(sample(ui, 'rex_db_pool_connections', { state: 'size' })).toBeUndefined();
    }

    const px = await scrape(`http://127.0.0.1:${proxy.metricsPort}/metrics`, PROXY_TOKEN);
    expect(sample(px, 'rex_proxy_host_results_total', { state: 'succeeded' })).toBe(proxyResultsBefore + HOSTS - SILENT);
    expect(sample(px, 'rex_proxy_host_results_total', { state: 'no_response' })).toBeGreaterThanOrEqual(SILENT);
    expect(sample(px, 'rex_proxy_executions_total', { state: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sample(px, 'rex_proxy_executions_running')).toBe(0);
    expect(sample(px, 'rex_proxy_reply_latency_seconds_count')).toBeGreaterThanOrEqual(HOSTS - SILENT);
    expect(sample(px, 'rex_proxy_broker_connected', { transport: 'choria' })).toBe(1);
    expect(sample(px, 'rex_proxy_broker_reconnects_total', { transport: 'choria' })).toBe(0);
    expect(sample(px, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts the stream errors of a proxy that is down, by proxy and status', async () => {
    const before = sample(await scrape(`${server.url}/metrics`, TOKEN), 'rex_proxy_stream_errors_total', { proxy: 'proxy-down', code: 'UNAVAILABLE' }) ?? 0;
    const job = await post(server.url, { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('down') }, timeout: 2 } });
    const done = await waitFinal(server.url, job.id);
    expect(done.counts.failed).toBe(1);
    expect(sample(await scrape(`${server.url}/metrics`, TOKEN), 'rex_proxy_stream_errors_total', { proxy: 'proxy-down', code: 'UNAVAILABLE' })).toBeGreaterThan(before);
  });

  it('records the scheduler lag of an occurrence it fired', async () => {
    const before = sample(await scrape(`${server.url}/metrics`, TOKEN), 'rex_scheduler_lag_seconds_count') ?? 0;
    const startAt = new Date(Date.now() + 1500).toISOString();
    const job = await post(server.url, { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('web') }, timeout: 2, scheduling: { start_at: startAt } } });
    expect(job.state).toBe('scheduled');
    const until = Date.now() + 30_000;
    let text = '';
    while (Date.now() < until) {
      text = await scrape(`${server.url}/metrics`, TOKEN);
      if ((sample(text, 'rex_scheduler_lag_seconds_count') ?? 0) > before) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(sample(text, 'rex_scheduler_lag_seconds_count')).toBe(before + 1);
    // Fired within a poll interval or so of its time, on a busy shared machine: well under a minute.
    expect(sample(text, 'rex_scheduler_lag_seconds_sum')).toBeLessThan(60);
    await waitFinal(server.url, job.id);
  });
});

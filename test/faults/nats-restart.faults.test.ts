/**
 * The NATS server restarted in the middle of a 1,000-host job. The broker is a PRIVATE nats-server
 * (/usr/sbin/nats-server on its own port and store dir, never the system one), stopped for 5 s and
 * started again on the same port; the Choria test fleet, a proxy-plugin and a ui-extension (on
 * MariaDB) each run in their own process. The proxy reconnects by itself; the hosts whose replies
 * were lost end no_response; every other host succeeds; the next job succeeds without restarting
 * anything of ours.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTestDataSource, type OpenTestDataSource } from '@test/support/databases';
import { portForLaterListen } from '@test/support/ports';
import { seedInventory } from '@test/ui-extension/jobs/support/job-stack';
import {
  api,
  fleetIdentities,
  hostStates,
  killAll,
  seedAdmin,
  sleep,
  startFleetProcess,
  startPrivateNats,
  startProxyProcess,
  startUiProcess,
  waitForJobFinal,
  type Proc,
} from './support/processes';

jest.setTimeout(300_000);

const HOSTS = 1000;
const PREFIX = 'nr-';
const COLLECTIVE = 'faultnr';
const DOWN_MS = 5000;

describe('the NATS server restarted during a job', () => {
  let db: OpenTestDataSource | undefined;
  let storeDir: string | undefined;

  afterAll(async () => {
    await killAll();
    await db?.close();
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  it('ends unanswered hosts no_response, and the proxy reconnects by itself for the next job', async () => {
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-fault-nats-'));
    const natsPort = await portForLaterListen();
    let nats: Proc = await startPrivateNats(natsPort, storeDir);
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    // One second per reply, batches of 50, a 3 s reply timeout: a batch is always in flight, and a
    // 5 s outage outlasts its timeout.
    await startFleetProcess({ natsUrl, count: HOSTS, prefix: PREFIX, collective: COLLECTIVE, latencyMs: 1000 });
    const proxyPort = await portForLaterListen();
    const proxy = await startProxyProcess({ name: 'nr-proxy', natsUrl, port: proxyPort, collective: COLLECTIVE });

    db = await openTestDataSource('mysql');
    const identities = fleetIdentities(PREFIX, HOSTS);
    const seeded = await seedInventory(db.dataSource, {
      hostgroups: ['nr'],
      proxies: [{ name: 'nr-proxy', url: `127.0.0.1:${proxyPort}`, capabilities: ['remote_execution', 'choria'] }],
      hosts: identities.map((name) => ({ name, hostgroup: 'nr', proxy: 'nr-proxy' })),
    });
    await seedAdmin(db.dataSource);
    const ui = await startUiProcess({ database: db.database, instanceId: 'nr-ui' });

    const created = await api(ui.url, 'POST', '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { search: 'hostgroup = nr' }, batch_size: 50, timeout: 3 } });
    expect(created.status).toBe(201);
    const jobId = (created.body as { id: number }).id;
    const stored = async () => Number(((await db!.dataSource.query("SELECT COUNT(*) AS n FROM job_invocation_hosts WHERE job_invocation_id = ? AND state NOT IN ('pending', 'running')", [jobId])) as Array<{ n: number | string }>)[0].n);
    const waitUntil = Date.now() + 60_000;
    while ((await stored()) < 150 && Date.now() < waitUntil) await sleep(100);
    expect(await stored()).toBeLessThan(HOSTS);

    const reconnectsBefore = proxy.lines.filter((l) => l.includes('"msg":"nats reconnected"')).length;
    expect(await nats.kill('SIGTERM')).not.toBeNull();
    const stoppedAt = Date.now();
    await sleep(DOWN_MS);
    nats = await startPrivateNats(natsPort, storeDir);
    const restartedAt = Date.now();
    // The proxy's own reconnect (nothing of ours is restarted): the next "nats reconnected" line.
    let seen = 0;
    await proxy.waitForLine((l) => l.includes('"msg":"nats reconnected"') && ++seen > reconnectsBefore, 30_000);
    const proxyReconnectMs = Date.now() - restartedAt;

    const first = await waitForJobFinal(db.dataSource, jobId, 120_000);
    const jobFinalAfterRestartMs = Date.now() - restartedAt;
    const states = await hostStates(db.dataSource, jobId);
    const rows = (await db.dataSource.query('SELECT state, reason, statuscode FROM job_invocation_hosts WHERE job_invocation_id = ?', [jobId])) as Array<{ state: string; reason: string | null; statuscode: number | null }>;
    expect(rows).toHaveLength(HOSTS);
    // Every host ends in a definite state: answered, or no_response for those the outage cut off.
    expect(Object.keys(states).sort()).toEqual(['no_response', 'succeeded']);
    expect(first).toBe('failed');
    for (const r of rows.filter((x) => x.state === 'no_response')) {
      expect(r.reason).toBe('asked; no reply within the 3 s timeout');
      expect(r.statuscode).toBeNull();
    }
    // The outage cost at most the batches in flight or sent while it lasted; the rest succeeded.
    expect(states.succeeded).toBeGreaterThanOrEqual(HOSTS / 2);

    // The next job, on hosts of the same proxy, succeeds with nothing of ours restarted.
    const nextStart = Date.now();
    const next = await api(ui.url, 'POST', '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: identities.slice(0, 100).map((n) => seeded.hostIds.get(n)!) } } });
    expect(next.status).toBe(201);
    const nextId = (next.body as { id: number }).id;
    expect(await waitForJobFinal(db.dataSource, nextId, 60_000)).toBe('succeeded');
    expect(await hostStates(db.dataSource, nextId)).toEqual({ succeeded: 100 });
    expect(proxy.child.exitCode).toBeNull();
    expect(ui.child.exitCode).toBeNull();

    const figures = {
      hosts: HOSTS,
      natsDownMs: restartedAt - stoppedAt,
      proxyReconnectAfterNatsBackMs: proxyReconnectMs,
      succeeded: states.succeeded,
      noResponse: states.no_response,
      jobFinalAfterNatsBackMs: jobFinalAfterRestartMs,
      nextJobMs: Date.now() - nextStart,
    };
    process.stdout.write(`NATS restart figures: ${JSON.stringify(figures)}\n`);
  });
});

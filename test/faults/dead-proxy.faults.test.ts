/**
 * A dead proxy is found once per job (issue 27): a proxy-plugin process killed with SIGKILL before a
 * 1,000-host job with concurrency_level 100 reaches it. The first chunk retries through the
 * re-attach window; the nine others fail at once, naming the proxy, instead of each retrying
 * through the window again (78 s before the breaker). The ui-extension runs on MariaDB in its own
 * process. Figures go to stdout and docs/RELIABILITY.md.
 */
import { openTestDataSource, type OpenTestDataSource } from '@test/support/databases';
import { portForLaterListen } from '@test/support/ports';
import { seedInventory } from '@test/ui-extension/jobs/support/job-stack';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, fleetIdentities, hostStates, killAll, seedAdmin, startPrivateNats, startProxyProcess, startUiProcess, waitForJobFinal } from './support/processes';
import { hostRows } from './support/rollout';

jest.setTimeout(300_000);

const HOSTS = 1000;

describe('a job on a dead proxy', () => {
  let db: OpenTestDataSource | undefined;
  let storeDir: string | undefined;

  afterAll(async () => {
    await killAll();
    await db?.close();
    if (storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
  });

  it('fails 1,000 hosts with concurrency_level 100 in under 15 s, every one naming the proxy', async () => {
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-fault-nats-'));
    const natsPort = await portForLaterListen();
    await startPrivateNats(natsPort, storeDir);
    const port = await portForLaterListen();
    const proxy = await startProxyProcess({ name: 'dp-proxy', natsUrl: `nats://127.0.0.1:${natsPort}`, port, collective: 'faultdp' });
    db = await openTestDataSource('mysql');
    await seedInventory(db.dataSource, {
      hostgroups: ['dp'],
      proxies: [{ name: 'dp-proxy', url: `127.0.0.1:${port}`, capabilities: ['remote_execution', 'choria'] }],
      hosts: fleetIdentities('dp-', HOSTS).map((name) => ({ name, hostgroup: 'dp', proxy: 'dp-proxy' })),
    });
    await seedAdmin(db.dataSource);
    const ui = await startUiProcess({ database: db.database, instanceId: 'dp-ui' });
    // The action catalog was read while the proxy was alive (it is cached for 30 s): the proxy dies
    // between the operator opening the run form and running the job.
    expect((await api(ui.url, 'GET', '/api/v2/remote_execution/namespaces')).status).toBe(200);
    expect(await proxy.kill('SIGKILL')).toBe('SIGKILL');

    const startedAt = Date.now();
    const created = await api(ui.url, 'POST', '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { search: 'hostgroup = dp' }, concurrency_level: 100 } });
    expect(created.status).toBe(201);
    const jobId = (created.body as { id: number }).id;
    expect(await waitForJobFinal(db.dataSource, jobId, 180_000)).toBe('failed');
    const failedInMs = Date.now() - startedAt;
    const rows = await hostRows(db.dataSource, jobId);
    const firstChunk = rows.filter((r) => r.reason?.startsWith('smart proxy dp-proxy failed: '));
    const laterChunks = rows.filter((r) => r.reason?.startsWith('not sent: smart proxy dp-proxy failed earlier in this job: '));
    process.stdout.write(`dead proxy figures: ${JSON.stringify({ hosts: HOSTS, concurrencyLevel: 100, failedInMs, firstChunk: firstChunk.length, failedAtOnce: laterChunks.length })}\n`);

    expect(await hostStates(db.dataSource, jobId)).toEqual({ failed: HOSTS });
    expect(firstChunk).toHaveLength(100);
    expect(laterChunks).toHaveLength(HOSTS - 100);
    expect(rows.every((r) => !r.asked)).toBe(true);
    expect(failedInMs).toBeLessThan(15_000);
  });
});

/**
 * A dead proxy is found once per job (issue 27): a proxy-plugin process killed with SIGKILL before a
 * 1,000-host job with concurrency_level 100 reaches it. The first chunk retries through the
 * re-attach window; the nine others fail at once, naming the proxy, instead of each retrying
 * through the window again (78 s before the breaker). The ui-extension runs on MariaDB in its own
 * process. Figures go to stdout and docs/RELIABILITY.md.
 */
import { createJob, faultStack } from './support/fault-stack';
import { api, fleetIdentities, hostStates, waitForJobFinal } from './support/processes';
import { hostRows } from './support/rollout';

jest.setTimeout(300_000);

const HOSTS = 1000;

describe('a job on a dead proxy', () => {
  const stack = faultStack();

  it('fails 1,000 hosts with concurrency_level 100 in under 15 s, every one naming the proxy', async () => {
    const nats = await stack.nats();
    const proxy = await stack.proxy({ name: 'dp-proxy', natsUrl: nats.url, collective: 'faultdp' });
    const db = await stack.database();
    await stack.seed(db, { hostgroup: 'dp', proxies: [proxy], hosts: fleetIdentities('dp-', HOSTS).map((name) => ({ name, proxy: 'dp-proxy' })) });
    const ui = await stack.ui(db, 'dp-ui');
    // The action catalog was read while the proxy was alive (it is cached for 30 s): the proxy dies
    // between the operator opening the run form and running the job.
    expect((await api(ui.url, 'GET', '/api/v2/remote_execution/namespaces')).status).toBe(200);
    expect(await proxy.proc.kill('SIGKILL')).toBe('SIGKILL');

    const startedAt = Date.now();
    const jobId = await createJob(ui.url, { namespace: 'rpcutil', action: 'ping', targeting: { search: 'hostgroup = dp' }, concurrency_level: 100 });
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

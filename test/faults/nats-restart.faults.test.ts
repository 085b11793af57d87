/**
 * The NATS server restarted in the middle of a 1,000-host job. The broker is a PRIVATE nats-server
 * (/usr/sbin/nats-server on its own port and store dir, never the system one), stopped for 5 s and
 * started again on the same port; the Choria test fleet, a proxy-plugin and a ui-extension (on
 * MariaDB) each run in their own process. The proxy reconnects by itself; the hosts whose replies
 * were lost end no_response; every other host succeeds; the next job succeeds without restarting
 * anything of ours.
 */
import { createJob, faultStack, storedHosts } from './support/fault-stack';
import { fleetIdentities, hostStates, sleep, startFleetProcess, waitForJobFinal } from './support/processes';

jest.setTimeout(300_000);

const HOSTS = 1000;
const PREFIX = 'nr-';
const COLLECTIVE = 'faultnr';
const DOWN_MS = 5000;

describe('the NATS server restarted during a job', () => {
  const stack = faultStack();

  it('ends unanswered hosts no_response, and the proxy reconnects by itself for the next job', async () => {
    const nats = await stack.nats();
    // One second per reply, batches of 50, a 3 s reply timeout: a batch is always in flight, and a
    // 5 s outage outlasts its timeout.
    await startFleetProcess({ natsUrl: nats.url, count: HOSTS, prefix: PREFIX, collective: COLLECTIVE, latencyMs: 1000 });
    const proxy = await stack.proxy({ name: 'nr-proxy', natsUrl: nats.url, collective: COLLECTIVE });

    const db = await stack.database();
    const identities = fleetIdentities(PREFIX, HOSTS);
    const seeded = await stack.seed(db, { hostgroup: 'nr', proxies: [proxy], hosts: identities.map((name) => ({ name, proxy: 'nr-proxy' })) });
    const ui = await stack.ui(db, 'nr-ui');

    const jobId = await createJob(ui.url, { namespace: 'rpcutil', action: 'ping', targeting: { search: 'hostgroup = nr' }, batch_size: 50, timeout: 3 });
    const waitUntil = Date.now() + 60_000;
    while ((await storedHosts(db, jobId)) < 150 && Date.now() < waitUntil) await sleep(100);
    expect(await storedHosts(db, jobId)).toBeLessThan(HOSTS);

    const reconnectsBefore = proxy.proc.lines.filter((l) => l.includes('"msg":"nats reconnected"')).length;
    expect(await nats.proc.kill('SIGTERM')).not.toBeNull();
    const stoppedAt = Date.now();
    await sleep(DOWN_MS);
    await nats.restart();
    const restartedAt = Date.now();
    // The proxy's own reconnect (nothing of ours is restarted): the next "nats reconnected" line.
    let seen = 0;
    await proxy.proc.waitForLine((l) => l.includes('"msg":"nats reconnected"') && ++seen > reconnectsBefore, 30_000);
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
    const nextId = await createJob(ui.url, { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: identities.slice(0, 100).map((n) => seeded.hostIds.get(n)!) } });
    expect(await waitForJobFinal(db.dataSource, nextId, 60_000)).toBe('succeeded');
    expect(await hostStates(db.dataSource, nextId)).toEqual({ succeeded: 100 });
    expect(proxy.proc.child.exitCode).toBeNull();
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

/**
 * Issue 27, "nothing runs after its job is final", with every part real and in its own process: a
 * private nats-server, the Choria test fleet (which reports what each node received and answered),
 * a proxy-plugin and a ui-extension on MariaDB.
 *  1. 1,000 hosts in batches of 100 with one silent node per batch, no fault at all: the job's
 *     deadline covers all ten batches, so the job ends only after the proxy is done, and exactly
 *     the hosts the fleet answered are recorded as run.
 *  2. The proxy stopped with SIGSTOP mid-job and continued after the job's deadline: the ui-extension
 *     records asked hosts no_response and hosts never sent cancelled; after SIGCONT the proxy sends
 *     no request, and the replies it had received are stored as late results, so that every host's
 *     state matches what the fleet saw.
 * Figures go to stdout and docs/RELIABILITY.md.
 */
import { createJob, faultStack } from './support/fault-stack';
import { fleetIdentities, sleep, waitForJobFinal } from './support/processes';
import { countWhere, executionsFinished, hostRows, startReportingFleet, waitUntil } from './support/rollout';

jest.setTimeout(300_000);

const HOSTS = 1000;
const BATCH = 100;

describe('a rollout in batches, against its deadline', () => {
  const stack = faultStack();
  let natsUrl: string;

  beforeAll(async () => {
    natsUrl = (await stack.nats()).url;
  });

  /** A proxy and a ui-extension on a fresh MariaDB database, with the fleet's hosts on that proxy. */
  async function jobStack(name: string, collective: string, identities: string[], uiEnv: Record<string, string> = {}) {
    const proxy = await stack.proxy({ name, natsUrl, collective });
    const db = await stack.database();
    const seeded = await stack.seed(db, { hostgroup: name, proxies: [proxy], hosts: identities.map((host) => ({ name: host, proxy: name })) });
    const ui = await stack.ui(db, `${name}-ui`, uiEnv);
    return { proxy: proxy.proc, db, ui, proxyId: seeded.proxyIds.get(name)! };
  }

  it('ends a job of 1,000 hosts in batches of 100 with a silent node per batch only after the proxy is done, recording as run exactly the hosts the fleet answered', async () => {
    const identities = fleetIdentities('rd-', HOSTS);
    const silent = identities.filter((_, i) => i % BATCH === BATCH / 2);
    const fleet = await startReportingFleet({ natsUrl, count: HOSTS, prefix: 'rd-', collective: 'faultrd', latencyMs: 50, silent });
    const { proxy, db, ui, proxyId } = await jobStack('rd-proxy', 'faultrd', identities);

    const startedAt = Date.now();
    const jobId = await createJob(ui.url, { namespace: 'rpcutil', action: 'ping', targeting: { search: 'hostgroup = rd-proxy' }, batch_size: BATCH, timeout: 4 });
    const state = await waitForJobFinal(db.dataSource, jobId, 180_000);
    const jobMs = Date.now() - startedAt;
    const atEnd = await fleet.report('rpcutil#ping');
    await sleep(2000);
    const later = await fleet.report('rpcutil#ping');

    const [job] = (await db.dataSource.query('SELECT finished_at FROM job_invocations WHERE id = ?', [jobId])) as Array<{ finished_at: Date }>;
    const proxyDone = executionsFinished(proxy).find((e) => e.executionId === `${jobId}-${proxyId}-1`);
    const rows = await hostRows(db.dataSource, jobId);
    const succeeded = rows.filter((r) => r.state === 'succeeded');
    const figures = {
      hosts: HOSTS,
      batches: HOSTS / BATCH,
      silentNodes: silent.length,
      jobMs,
      jobEndedAfterProxyMs: proxyDone ? new Date(job.finished_at).getTime() - proxyDone.at : null,
      fleetAnswered: Object.keys(atEnd.replied).length,
      recordedRun: succeeded.length,
      noResponse: rows.filter((r) => r.state === 'no_response').length,
      requestsAfterJobEnd: Object.keys(later.received).length - Object.keys(atEnd.received).length,
    };
    process.stdout.write(`rollout deadline figures: ${JSON.stringify(figures)}\n`);

    expect(state).toBe('failed');
    // The proxy finished its execution (all ten batches) before the job ended, and nothing ran after.
    expect(proxyDone).toMatchObject({ state: 'COMPLETED' });
    expect(figures.jobEndedAfterProxyMs).toBeGreaterThanOrEqual(0);
    expect(later).toEqual(atEnd);
    // Recorded as run = what the fleet counted, host for host.
    expect(succeeded.map((r) => r.name).sort()).toEqual(Object.keys(atEnd.replied).sort());
    expect(figures.recordedRun).toBe(HOSTS - silent.length);
    for (const r of rows.filter((x) => x.state !== 'succeeded')) {
      expect(silent).toContain(r.name);
      expect(r).toMatchObject({ state: 'no_response', asked: true, reason: 'asked; no reply within the 4 s timeout' });
    }
  });

  it('sends no request after SIGCONT to a proxy stopped past the deadline, and records every host as the fleet saw it', async () => {
    const identities = fleetIdentities('rs-', HOSTS);
    const fleet = await startReportingFleet({ natsUrl, count: HOSTS, prefix: 'rs-', collective: 'faultrs', latencyMs: 1000 });
    // A short grace and a short cancel deadline keep the test short; the defaults are 30 s and 10 s.
    const { proxy, db, ui } = await jobStack('rs-proxy', 'faultrs', identities, { UI_EXTENSION_JOBS_DEADLINE_GRACE_S: '2', UI_EXTENSION_PROXY_DEADLINE_MS: '2000' });

    // Ten batches of 100 at a 2 s timeout: the deadline is 30 s after the start (20 s + 10 s spare).
    const jobId = await createJob(ui.url, { namespace: 'rpcutil', action: 'ping', targeting: { search: 'hostgroup = rs-proxy' }, batch_size: BATCH, timeout: 2 });
    // Batches 1 and 2 answered; batch 3 is out, its replies due a second later: stop the proxy now.
    await waitUntil('two batches stored', () => countWhere(db.dataSource, jobId, "state = 'succeeded'"), (n) => n >= 2 * BATCH, 60_000);
    proxy.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    expect(await waitForJobFinal(db.dataSource, jobId, 90_000)).toBe('failed');
    const jobFinalAfterStopMs = Date.now() - stoppedAt;
    const atEnd = await hostRows(db.dataSource, jobId);
    const seenAtEnd = await fleet.report('rpcutil#ping');

    proxy.child.kill('SIGCONT');
    const expectedLate = Object.keys(seenAtEnd.replied).filter((name) => atEnd.find((r) => r.name === name)?.state !== 'succeeded').length;
    await waitUntil('late results stored', () => countWhere(db.dataSource, jobId, 'late_at IS NOT NULL'), (n) => n >= expectedLate, 60_000);
    await sleep(3000);
    const seenAfter = await fleet.report('rpcutil#ping');
    const rows = await hostRows(db.dataSource, jobId);
    const [job] = (await db.dataSource.query('SELECT count_late, count_succeeded, count_no_response, count_cancelled FROM job_invocations WHERE id = ?', [jobId])) as Array<Record<string, unknown>>;

    const figures = {
      hosts: HOSTS,
      askedBeforeStop: Object.keys(seenAtEnd.received).length,
      jobFinalAfterStopMs,
      atEnd: { succeeded: atEnd.filter((r) => r.state === 'succeeded').length, noResponse: atEnd.filter((r) => r.state === 'no_response').length, cancelled: atEnd.filter((r) => r.state === 'cancelled').length },
      lateResults: Number(job.count_late),
      requestsAfterSigcont: Object.values(seenAfter.received).reduce((a, b) => a + b, 0) - Object.values(seenAtEnd.received).reduce((a, b) => a + b, 0),
    };
    process.stdout.write(`proxy SIGSTOP figures: ${JSON.stringify(figures)}\n`);

    // After SIGCONT no request left the proxy.
    expect(seenAfter.received).toEqual(seenAtEnd.received);
    expect(figures.lateResults).toBe(expectedLate);
    expect(figures.lateResults).toBeGreaterThan(0);
    // Every host as the fleet saw it: answered -> succeeded; never received -> cancelled, not asked.
    for (const r of rows) {
      if (seenAfter.replied[r.name]) expect(r).toMatchObject({ name: r.name, state: 'succeeded', asked: true });
      else {
        expect(seenAfter.received[r.name]).toBeUndefined();
        expect(r).toMatchObject({ name: r.name, state: 'cancelled', asked: false });
        expect(r.reason).toMatch(/^not sent: /);
      }
    }
    expect({ succeeded: Number(job.count_succeeded), no_response: Number(job.count_no_response), cancelled: Number(job.count_cancelled) }).toEqual({
      succeeded: Object.keys(seenAfter.replied).length, no_response: 0, cancelled: HOSTS - Object.keys(seenAfter.replied).length,
    });
  });
});

/**
 * A proxy-plugin process killed with SIGKILL in the middle of a 2,000-host job (1,000 hosts on each of
 * two proxies), with every part real and in its own process: a private nats-server, the Choria test
 * fleet, two proxy-plugins and a ui-extension on MariaDB. The job must still finish; the killed
 * proxy's unanswered hosts end failed with a reason saying the proxy was lost; the results it had
 * streamed stay; the other proxy's hosts all succeed; the proxy, restarted on its port, serves the
 * next job. Each of the killed proxy's unanswered hosts says whether it was asked: the batch in flight
 * ends no_response (it may have run), the batches never sent end cancelled (they did not run).
 * Figures go to stdout and docs/RELIABILITY.md.
 */
import { createJob, faultStack } from './support/fault-stack';
import { fleetIdentities, hostStates, sleep, startFleetProcess, waitForJobFinal } from './support/processes';

jest.setTimeout(300_000);

const HOSTS = 2000;
const PREFIX = 'pk-';
const COLLECTIVE = 'faultpk';

describe('a proxy-plugin killed with SIGKILL during a 2,000-host job', () => {
  const stack = faultStack();

  it('finishes the job, keeps what the proxy streamed, records the rest as asked or never sent, and runs the next job on the restarted proxy', async () => {
    const { url: natsUrl } = await stack.nats();
    // 500 ms per reply and batches of 100: each proxy needs about 10 rounds, so the kill lands mid-job.
    await startFleetProcess({ natsUrl, count: HOSTS, prefix: PREFIX, collective: COLLECTIVE, latencyMs: 500 });
    const proxyA = await stack.proxy({ name: 'pk-a', natsUrl, collective: COLLECTIVE });
    const proxyB = await stack.proxy({ name: 'pk-b', natsUrl, collective: COLLECTIVE });

    const db = await stack.database();
    const identities = fleetIdentities(PREFIX, HOSTS);
    const onA = new Set(identities.slice(0, HOSTS / 2));
    const seeded = await stack.seed(db, { hostgroup: 'pk', proxies: [proxyA, proxyB], hosts: identities.map((name) => ({ name, proxy: onA.has(name) ? 'pk-a' : 'pk-b' })) });
    const ui = await stack.ui(db, 'pk-ui');
    const proxyAId = seeded.proxyIds.get('pk-a')!;

    const jobId = await createJob(ui.url, { namespace: 'rpcutil', action: 'ping', targeting: { search: 'hostgroup = pk' }, batch_size: 100 });

    // Kill proxy A once a good share of its hosts (but not all) have answered and been stored.
    const doneOnA = async () => Number(((await db.dataSource.query(
      "SELECT COUNT(*) AS n FROM job_invocation_hosts h WHERE h.job_invocation_id = ? AND h.smart_proxy_id = ? AND h.state NOT IN ('pending', 'running')",
      [jobId, proxyAId])) as Array<{ n: number | string }>)[0].n);
    const waitUntil = Date.now() + 120_000;
    while ((await doneOnA()) < 300 && Date.now() < waitUntil) await sleep(50);
    expect(await proxyA.proc.kill('SIGKILL')).toBe('SIGKILL');
    const killedAt = Date.now();
    // What was stored when the proxy died: every one of these must survive unchanged.
    const storedAtKill = (await db.dataSource.query(
      "SELECT h.id, h.state, h.statuscode FROM job_invocation_hosts h WHERE h.job_invocation_id = ? AND h.smart_proxy_id = ? AND h.state NOT IN ('pending', 'running')",
      [jobId, proxyAId])) as Array<{ id: number; state: string; statuscode: number | null }>;
    expect(storedAtKill.length).toBeGreaterThanOrEqual(300);
    expect(storedAtKill.length).toBeLessThan(HOSTS / 2);

    expect(await waitForJobFinal(db.dataSource, jobId, 120_000)).toBe('failed');
    const finishedAfterKillMs = Date.now() - killedAt;
    const rows = (await db.dataSource.query(
      'SELECT h.id, h.state, h.statuscode, h.reason, h.smart_proxy_id AS proxy, h.started_at FROM job_invocation_hosts h WHERE h.job_invocation_id = ?',
      [jobId])) as Array<{ id: number; state: string; statuscode: number | null; reason: string | null; proxy: number; started_at: unknown }>;
    expect(rows).toHaveLength(HOSTS);
    const byId = new Map(rows.map((r) => [r.id, r]));
    // Kept: every result stored before the kill is still there, unchanged.
    for (const before of storedAtKill) expect(byId.get(before.id)).toMatchObject({ state: before.state, statuscode: before.statuscode });
    const aRows = rows.filter((r) => r.proxy === proxyAId);
    const bRows = rows.filter((r) => r.proxy !== proxyAId);
    // The other proxy was not disturbed.
    expect(bRows.filter((r) => r.state !== 'succeeded')).toEqual([]);
    const aSucceeded = aRows.filter((r) => r.state === 'succeeded');
    const aLost = aRows.filter((r) => r.state !== 'succeeded');
    expect(aSucceeded.length).toBeGreaterThanOrEqual(storedAtKill.length);
    expect(aLost.length).toBeGreaterThan(0);
    // Every unanswered host of the dead proxy names the proxy, says it was lost, and whether it was asked:
    // the batch in flight (at most 100 hosts) no_response, the batches never sent cancelled.
    const asked = aLost.filter((r) => r.state === 'no_response');
    const notSent = aLost.filter((r) => r.state === 'cancelled');
    expect(asked.length + notSent.length).toBe(aLost.length);
    expect(asked.length).toBeLessThanOrEqual(100);
    expect(notSent.length).toBeGreaterThan(0);
    for (const r of asked) {
      expect(r.started_at).not.toBeNull();
      expect(r.reason).toMatch(/^asked; smart proxy pk-a was lost before the reply: /);
    }
    for (const r of notSent) {
      expect(r.started_at).toBeNull();
      expect(r.reason).toMatch(/^not sent: smart proxy pk-a was lost before this host's batch: /);
    }
    // No host is left open, and no host has two results (one row per host, counted once).
    const [job] = (await db.dataSource.query('SELECT count_succeeded, count_no_response, count_cancelled, count_pending, count_running FROM job_invocations WHERE id = ?', [jobId])) as Array<Record<string, number>>;
    expect(Object.fromEntries(Object.entries(job).map(([k, v]) => [k, Number(v)]))).toEqual({ count_succeeded: bRows.length + aSucceeded.length, count_no_response: asked.length, count_cancelled: notSent.length, count_pending: 0, count_running: 0 });

    // The proxy comes back on its port; the next job (on its hosts only) succeeds through it.
    const restartedAt = Date.now();
    await proxyA.restart();
    const readyMs = Date.now() - restartedAt;
    const nextId = await createJob(ui.url, { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: identities.slice(0, 50).map((name) => seeded.hostIds.get(name)!) } });
    const nextState = await waitForJobFinal(db.dataSource, nextId, 60_000);
    if (nextState !== 'succeeded') process.stdout.write(`next job ${nextState}: ${JSON.stringify(await db.dataSource.query('SELECT state, reason, COUNT(*) AS n FROM job_invocation_hosts WHERE job_invocation_id = ? GROUP BY state, reason', [nextId]))}\n${ui.lines.slice(-30).join('\n')}\n`);
    expect(nextState).toBe('succeeded');
    expect(await hostStates(db.dataSource, nextId)).toEqual({ succeeded: 50 });
    const nextJobMs = Date.now() - restartedAt - readyMs;

    const figures = {
      hosts: HOSTS,
      storedOnKilledProxyAtKill: storedAtKill.length,
      keptOnKilledProxy: aSucceeded.length,
      askedThenLost: asked.length,
      notSentProxyLost: notSent.length,
      otherProxySucceeded: bRows.length,
      resultsLost: storedAtKill.filter((b) => byId.get(b.id)?.state !== b.state).length,
      duplicates: rows.length - new Set(rows.map((r) => r.id)).size,
      jobFinalAfterKillMs: finishedAfterKillMs,
      restartedProxyReadyMs: readyMs,
      nextJobOnRestartedProxyMs: nextJobMs,
    };
    process.stdout.write(`proxy SIGKILL figures: ${JSON.stringify(figures)}\n`);
    expect(figures.resultsLost).toBe(0);
    expect(figures.duplicates).toBe(0);
  });
});

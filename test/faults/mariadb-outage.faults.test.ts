/**
 * MariaDB stopped for 20 s in the middle of a 1,000-host job. Everything real and in its own process:
 * a PRIVATE mariadbd (mariadb-install-db into a temp data dir, own port and socket; never the system
 * server), a private nats-server, the Choria test fleet, a proxy-plugin and a ui-extension.
 * Meanwhile the API answers 503 with an `{"error": ...}` body, and logins that cannot be checked do
 * not count towards the lockout. Results the proxy gets during the outage are kept by the proxy (by
 * sequence); the job is re-claimed once the database is back and re-attaches after the last stored
 * sequence: every host ends succeeded, 0 lost, 0 duplicated, and the process never crashed.
 */
import type { DataSource } from 'typeorm';
import { createDataSource } from '@server/data-source';
import { portForLaterListen } from '@test/support/ports';
import { createJob, faultStack, storedHosts } from './support/fault-stack';
import { ADMIN_PASSWORD, api, createPrivateMariaDb, fleetIdentities, hostStates, sleep, startFleetProcess, waitForJobFinal } from './support/processes';

jest.setTimeout(300_000);

const HOSTS = 1000;
const PREFIX = 'mo-';
const COLLECTIVE = 'faultmo';
const OUTAGE_MS = 20_000;

describe('MariaDB stopped for 20 s during a job', () => {
  const stack = faultStack();

  it('answers 503 meanwhile and, once it is back, stores every result exactly once', async () => {
    const mariadb = createPrivateMariaDb(await portForLaterListen());
    stack.afterKill(() => mariadb.destroy());
    await mariadb.start();
    const { url: natsUrl } = await stack.nats();
    // One second per reply and batches of 50: the proxy needs about 20 s, so results keep coming
    // through the whole outage.
    await startFleetProcess({ natsUrl, count: HOSTS, prefix: PREFIX, collective: COLLECTIVE, latencyMs: 1000 });
    const proxy = await stack.proxy({ name: 'mo-proxy', natsUrl, collective: COLLECTIVE });

    const db = await stack.database({ kind: 'mysql', url: mariadb.url });
    const identities = fleetIdentities(PREFIX, HOSTS);
    await stack.seed(db, { hostgroup: 'mo', proxies: [proxy], hosts: identities.map((name) => ({ name, proxy: 'mo-proxy' })) });
    const ui = await stack.ui(db, 'mo-ui');

    const jobId = await createJob(ui.url, { namespace: 'rpcutil', action: 'ping', targeting: { search: 'hostgroup = mo' }, batch_size: 50 });
    const stored = () => storedHosts(db, jobId);
    const waitUntil = Date.now() + 60_000;
    while ((await stored()) < 100 && Date.now() < waitUntil) await sleep(100);
    const storedBefore = await stored();
    expect(storedBefore).toBeGreaterThanOrEqual(100);
    expect(storedBefore).toBeLessThan(HOSTS);

    await mariadb.stop();
    const stoppedAt = Date.now();
    // During the outage: every kind of call answers 503 with an error body, never 500.
    const during: Array<{ status: number; body: unknown }> = [];
    const calls: Array<[string, string]> = [['GET', `/api/v2/remote_execution/jobs/${jobId}`], ['GET', '/api/v2/hosts'], ['GET', `/api/v2/remote_execution/jobs/${jobId}/hosts`], ['GET', '/api/v2/remote_execution/jobs']];
    // More logins than the per-user lockout (10): none may count as a failed guess.
    for (let i = 0; i < 15; i++) {
      const [method, url] = calls[i % calls.length];
      during.push(await api(ui.url, method, url, undefined, { timeoutMs: 15_000 }));
      await sleep(300);
    }
    during.push(await api(ui.url, 'POST', '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { search: 'hostgroup = mo' } } }, { timeoutMs: 15_000 }));
    expect(during.map((r) => r.status)).toEqual(during.map(() => 503));
    for (const r of during) expect(r.body).toMatchObject({ error: { code: 'UNAVAILABLE', message: expect.any(String) } });
    const wait = OUTAGE_MS - (Date.now() - stoppedAt);
    expect(wait).toBeGreaterThan(0);
    await sleep(wait);

    await mariadb.start();
    const restartedAt = Date.now();
    const outageMs = restartedAt - stoppedAt;
    // The API is back without restarting anything of ours; the right password works (no lockout).
    let apiBackMs = -1;
    for (let i = 0; i < 100; i++) {
      const r = await api(ui.url, 'GET', `/api/v2/remote_execution/jobs/${jobId}`);
      if (r.status === 200) {
        apiBackMs = Date.now() - restartedAt;
        break;
      }
      expect(r.status).toBe(503);
      await sleep(100);
    }
    expect(apiBackMs).toBeGreaterThanOrEqual(0);
    const wrong = `Basic ${Buffer.from(`admin:not-${ADMIN_PASSWORD}`).toString('base64')}`;
    expect((await api(ui.url, 'GET', '/api/v2/hosts', undefined, { auth: wrong })).status).toBe(401);

    // The test's own pool lost its connections too: a fresh one reads the outcome.
    const fresh: DataSource = createDataSource(db.database);
    stack.afterKill(() => fresh.isInitialized && fresh.destroy());
    await fresh.initialize();
    expect(await waitForJobFinal(fresh, jobId, 120_000)).toBe('succeeded');
    const jobFinalAfterRestartMs = Date.now() - restartedAt;
    const rows = (await fresh.query('SELECT id, host_name, state, statuscode, data, finished_at FROM job_invocation_hosts WHERE job_invocation_id = ?', [jobId])) as Array<{ id: number; host_name: string; state: string; statuscode: number | null; data: string | null; finished_at: Date | string }>;
    expect(rows).toHaveLength(HOSTS);
    expect(new Set(rows.map((r) => r.host_name)).size).toBe(HOSTS);
    expect(await hostStates(fresh, jobId)).toEqual({ succeeded: HOSTS });
    for (const r of rows) {
      expect(r.statuscode).toBe(0);
      expect(r.data).not.toBeNull();
    }
    const [job] = (await fresh.query('SELECT count_succeeded, count_failed, count_no_response, count_pending, count_running FROM job_invocations WHERE id = ?', [jobId])) as Array<Record<string, number | string>>;
    expect(Object.values(job).map(Number)).toEqual([HOSTS, 0, 0, 0, 0]);
    // Hosts whose reply reached the proxy while the database was down (their finished_at is the
    // proxy's receive time): they were kept by the proxy and stored after the restart.
    const at = (v: Date | string) => (v instanceof Date ? v.getTime() : new Date(`${String(v).replace(' ', 'T')}Z`).getTime());
    const arrivedDuringOutage = rows.filter((r) => at(r.finished_at) > stoppedAt && at(r.finished_at) < restartedAt).length;
    expect(arrivedDuringOutage).toBeGreaterThan(0);
    // The process went through it without crashing (an unhandled rejection would have ended it).
    expect(ui.child.exitCode).toBeNull();
    expect(ui.child.signalCode).toBeNull();

    const figures = {
      hosts: HOSTS,
      storedBeforeOutage: storedBefore,
      outageMs,
      answers503DuringOutage: during.length,
      apiBackAfterRestartMs: apiBackMs,
      resultsArrivedDuringOutage: arrivedDuringOutage,
      jobFinalAfterRestartMs,
      resultsLost: HOSTS - rows.filter((r) => r.state === 'succeeded').length,
      duplicates: rows.length - new Set(rows.map((r) => r.host_name)).size,
    };
    process.stdout.write(`MariaDB outage figures: ${JSON.stringify(figures)}\n`);
    expect(figures.resultsLost).toBe(0);
    expect(figures.duplicates).toBe(0);
  });
});

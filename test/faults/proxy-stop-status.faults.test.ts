/**
 * A proxy-plugin process stopped with SIGSTOP (a frozen Puppet master: its port still accepts
 * connections, nothing answers) and continued with SIGCONT, with a second proxy healthy beside it
 * (issue #27). Everything real and in its own process: a private nats-server, the Choria test
 * fleet, two proxy-plugins and a ui-extension on MariaDB, with the default health settings.
 * `GET /api/v2/status` and `/readyz` answer in under a second throughout (before, they waited for
 * the frozen proxy's GetInfo with the 10 s deadline); the smart proxy shows `offline` and its last
 * contact within seconds, and `online` again after SIGCONT.
 */
import { faultStack } from './support/fault-stack';
import { AUTH_HEADER, api, fleetIdentities, sleep, startFleetProcess, type Proc } from './support/processes';

jest.setTimeout(180_000);

const PREFIX = 'ps-';
const COLLECTIVE = 'faultps';

interface ProxyView { status: string; last_seen_at: string | null; status_checked_at: string | null; status_reason: string | null }

describe('a proxy stopped with SIGSTOP', () => {
  const stack = faultStack();
  let stopped: Proc | undefined;
  // A stopped process ignores SIGKILL only until it is continued; continue it first.
  stack.beforeKill(() => {
    if (stopped?.child.pid && stopped.child.exitCode === null) process.kill(stopped.child.pid, 'SIGCONT');
  });

  it('leaves /api/v2/status answering in under a second and shows the proxy offline, then online again', async () => {
    const { url: natsUrl } = await stack.nats();
    await startFleetProcess({ natsUrl, count: 10, prefix: PREFIX, collective: COLLECTIVE, latencyMs: 10 });
    const proxyA = await stack.proxy({ name: 'ps-a', natsUrl, collective: COLLECTIVE });
    const proxyB = await stack.proxy({ name: 'ps-b', natsUrl, collective: COLLECTIVE });
    const db = await stack.database();
    const identities = fleetIdentities(PREFIX, 10);
    const { proxyIds } = await stack.seed(db, { hostgroup: 'ps', proxies: [proxyA, proxyB], hosts: identities.map((name, i) => ({ name, proxy: i < 5 ? 'ps-a' : 'ps-b' })) });
    const ui = await stack.ui(db, 'ps-ui');
    const proxy = async (name: string) => (await api(ui.url, 'GET', `/api/v2/smart_proxies/${proxyIds.get(name)}`)).body as ProxyView;
    const until = async (what: string, ok: () => Promise<boolean>, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await ok())) {
        if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms: ${JSON.stringify(await proxy('ps-a'))}`);
        await sleep(100);
      }
    };
    await until('both proxies online', async () => (await proxy('ps-a')).status === 'online' && (await proxy('ps-b')).status === 'online', 30_000);

    const timings: number[] = [];
    /** One call as a load balancer makes it (anonymous) or as an operator (admin); the time it took. */
    const timed = async (pathName: string, asAdmin: boolean) => {
      const started = Date.now();
      const res = await fetch(`${ui.url}${pathName}`, { headers: asAdmin ? { authorization: AUTH_HEADER } : {}, signal: AbortSignal.timeout(15_000) });
      await res.text();
      timings.push(Date.now() - started);
      return res.status;
    };
    const sampleStatus = async () => {
      expect(await timed('/api/v2/status', false)).toBe(200);
      expect(await timed('/api/v2/status', true)).toBe(200);
      expect(await timed('/readyz', false)).toBe(200);
    };

    stopped = proxyA.proc;
    process.kill(proxyA.proc.child.pid!, 'SIGSTOP');
    const stoppedAt = Date.now();
    let offline: ProxyView | undefined;
    while (!offline) {
      await sampleStatus();
      const a = await proxy('ps-a');
      if (a.status === 'offline') offline = a;
      else if (Date.now() - stoppedAt > 30_000) throw new Error(`ps-a still ${JSON.stringify(a)} 30 s after SIGSTOP`);
      await sleep(200);
    }
    const offlineAfterMs = Date.now() - stoppedAt;
    // A few more samples while it is down, as a balancer would keep probing.
    for (let i = 0; i < 10; i++) await sampleStatus();
    const admin = (await api(ui.url, 'GET', '/api/v2/status')).body as { result: string; smart_proxies: Array<{ name: string; status: string; reachable: boolean; last_contact_at: string | null }> };
    expect(admin.result).toBe('degraded');
    expect(admin.smart_proxies.find((p) => p.name === 'ps-a')).toMatchObject({ status: 'offline', reachable: false });
    expect(admin.smart_proxies.find((p) => p.name === 'ps-b')).toMatchObject({ status: 'online', reachable: true });
    // The last contact is from just before the stop: seconds old, not minutes.
    const lastContact = Date.parse(offline.last_seen_at!);
    const lastContactBeforeStopMs = stoppedAt - lastContact;
    expect(lastContactBeforeStopMs).toBeLessThan(10_000);
    expect(offline.status_reason).toMatch(/DEADLINE|deadline|no answer/i);
    const b = await proxy('ps-b');
    expect(b.status).toBe('online');
    expect(Date.now() - Date.parse(b.last_seen_at!)).toBeLessThan(10_000);

    process.kill(proxyA.proc.child.pid!, 'SIGCONT');
    stopped = undefined;
    const continuedAt = Date.now();
    await until('ps-a online again', async () => (await proxy('ps-a')).status === 'online', 30_000);
    const onlineAgainAfterMs = Date.now() - continuedAt;

    const figures = {
      statusCalls: timings.length,
      slowestStatusMs: Math.max(...timings),
      offlineAfterSigstopMs: offlineAfterMs,
      lastContactBeforeStopMs,
      onlineAgainAfterSigcontMs: onlineAgainAfterMs,
    };
    process.stdout.write(`Proxy SIGSTOP status figures: ${JSON.stringify(figures)}\n`);
    expect(figures.slowestStatusMs).toBeLessThan(1000);
    expect(offlineAfterMs).toBeLessThan(15_000);
  });
});

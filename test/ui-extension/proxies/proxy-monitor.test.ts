/**
 * The proxy monitor with a fake GetInfo and jest's fake timers (unit test: no network, no real
 * timers). A proxy is offline after `failuresBeforeOffline` failed checks in a row, asked again at
 * once after a failure, online again at its first answer; a hung proxy costs its deadline, not the
 * others' checks; changes are stored, an unchanged online proxy only once a minute.
 */
import { silentLogger } from '@server/logger';
import { createProxyMonitor, type ProxyMonitorDeps } from '@server/proxies/proxy-monitor';

describe(createProxyMonitor.name, () => {
  let now: number;
  let answers: Map<string, 'ok' | 'fail' | 'hang'>;
  let calls: string[];
  let stored: Array<[number, string, number]>;
  const proxies = [{ id: 1, name: 'alpha', url: 'alpha:1' }, { id: 2, name: 'beta', url: 'beta:1' }];

  beforeEach(() => {
    jest.useFakeTimers();
    now = 1_000_000;
    answers = new Map([['alpha:1', 'ok'], ['beta:1', 'ok']]);
    calls = [];
    stored = [];
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const monitor = (overrides: Partial<ProxyMonitorDeps> = {}) => createProxyMonitor({
    listProxies: async () => proxies,
    getInfo: (url) => {
      calls.push(url);
      const answer = answers.get(url);
      if (answer === 'ok') return Promise.resolve({});
      if (answer === 'fail') return Promise.reject(new Error(`smart proxy ${url}: DEADLINE_EXCEEDED`));
      return new Promise(() => undefined);
    },
    persist: async (id, status, at) => {
      stored.push([id, status, at.getTime()]);
    },
    clock: () => new Date(now),
    logger: silentLogger(),
    intervalMs: 2000,
    timeoutMs: 500,
    failuresBeforeOffline: 2,
    ...overrides,
  });

  it('marks a proxy online with its last contact when it answers, and stores the change', async () => {
    const m = monitor();
    await m.checkAll();
    expect(m.get(1)).toMatchObject({ status: 'online', lastContactAt: new Date(now), checkedAt: new Date(now), failures: 0, reason: null });
    expect(m.isDown(1)).toBe(false);
    expect(stored).toEqual([[1, 'online', now], [2, 'online', now]]);
  });

  it('marks a proxy offline after two failed checks in a row, asking again at once, and keeps the last contact', async () => {
    const m = monitor();
    await m.checkAll();
    const contact = now;
    now += 5000;
    answers.set('alpha:1', 'fail');
    calls = [];
    await m.checkAll();
    expect(calls.filter((c) => c === 'alpha:1')).toHaveLength(2);
    expect(m.get(1)).toMatchObject({ status: 'offline', failures: 2, lastContactAt: new Date(contact), reason: 'smart proxy alpha:1: DEADLINE_EXCEEDED' });
    expect(m.isDown(1)).toBe(true);
    expect(m.isDown(2)).toBe(false);
    expect(stored.at(-1)).toEqual([1, 'offline', now]);
  });

  it('stays online after one failed check when the repeat answers', async () => {
    let first = true;
    const flaky = monitor({
      getInfo: (url) => {
        if (url === 'alpha:1' && first) {
          first = false;
          return Promise.reject(new Error('late'));
        }
        return Promise.resolve({});
      },
    });
    await flaky.checkAll();
    expect(flaky.get(1)).toMatchObject({ status: 'online', failures: 0 });
  });

  it('gives up on a hung proxy at its deadline, asks once more, and checks the others meanwhile', async () => {
    answers.set('alpha:1', 'hang');
    const m = monitor();
    const round = m.checkAll();
    await jest.advanceTimersByTimeAsync(1000);
    await jest.advanceTimersByTimeAsync(1000);
    await round;
    expect(m.get(1)).toMatchObject({ status: 'offline', failures: 2, reason: 'no answer within 500 ms' });
    expect(m.get(2)).toMatchObject({ status: 'online' });
    expect(calls.filter((c) => c === 'alpha:1')).toHaveLength(2);
  });

  it('stores an unchanged online proxy again only after a minute', async () => {
    const m = monitor();
    await m.checkAll();
    now += 30_000;
    await m.checkAll();
    expect(stored.filter(([id]) => id === 1)).toHaveLength(1);
    now += 31_000;
    await m.checkAll();
    expect(stored.filter(([id]) => id === 1)).toHaveLength(2);
  });

  it('polls every interval once started, and forgets a proxy that is no longer registered', async () => {
    let list = proxies;
    const m = monitor({ listProxies: async () => list });
    m.start();
    await jest.advanceTimersByTimeAsync(2000);
    expect(m.all().map((p) => p.name)).toEqual(['alpha', 'beta']);
    list = [proxies[1]];
    await jest.advanceTimersByTimeAsync(2000);
    expect(m.all().map((p) => p.name)).toEqual(['beta']);
    await m.stop();
    const before = calls.length;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(calls.length).toBe(before);
  });

  it('keeps checking the known proxies when the proxy list cannot be read', async () => {
    let fail = false;
    const m = monitor({ listProxies: async () => {
      if (fail) throw new Error('database unavailable');
      return proxies;
    } });
    await m.checkAll();
    fail = true;
    answers.set('beta:1', 'fail');
    await m.checkAll();
    expect(m.get(2)?.status).toBe('offline');
  });
});

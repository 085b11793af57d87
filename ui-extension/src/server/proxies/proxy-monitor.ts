import type { Logger } from '../logger';

/** `unknown` until this instance has checked the proxy once. */
export type ProxyLiveStatus = 'online' | 'offline' | 'unknown';

/** One smart proxy as this instance's monitor last saw it. */
export interface ProxyHealthView {
  id: number;
  name: string;
  url: string;
  status: ProxyLiveStatus;
  /** The last successful GetInfo (seconds old while the proxy answers). */
  lastContactAt: Date | null;
  /** The end of the last check, successful or not. */
  checkedAt: Date | null;
  /** Why the last check failed (the proxy client's message: it names the proxy, never a secret). */
  reason: string | null;
  /** Failed checks in a row. */
  failures: number;
}

/**
 * What the rest of the ui-extension may ask about proxy reachability (status, the smart proxy
 * resource, the dispatcher and the run form): answered from memory, never by calling a proxy.
 */
export interface ProxyHealth {
  /** True when the proxy failed its last `health.proxy_failures` checks in a row. */
  isDown(proxyId: number): boolean;
  get(proxyId: number): ProxyHealthView | undefined;
  all(): ProxyHealthView[];
}

export interface ProxyMonitor extends ProxyHealth {
  /** Checks every registered proxy once now (the first round at start, tests). */
  checkAll(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/** How often the database hears that an online proxy is still there (last_seen_at), besides every change. */
const PERSIST_ONLINE_EVERY_MS = 60_000;

export interface ProxyMonitorDeps {
  /** The registered proxies (a database read; on failure the last list is kept). */
  listProxies(): Promise<Array<{ id: number; name: string; url: string }>>;
  /** The proxy client's GetInfo with the check's own deadline. */
  getInfo(url: string, deadlineMs: number): Promise<unknown>;
  /** Stores a status change (and, while online, the last contact now and then) for other instances and search. */
  persist?(proxyId: number, status: 'online' | 'offline', at: Date): Promise<void>;
  clock: () => Date;
  logger: Logger;
  intervalMs: number;
  timeoutMs: number;
  failuresBeforeOffline: number;
}

/**
 * Polls every registered smart proxy's GetInfo in the background (one call in flight per proxy, a
 * short deadline), so that /api/v2/status and /readyz answer at once even when a proxy hangs: they
 * used to wait for every proxy with the 10 s call deadline (issue #27). Each instance polls for
 * itself (reachability is a property of the path from this instance), and stores changes in
 * smart_proxies.status / last_seen_at so that search and the other instances see them too.
 */
export function createProxyMonitor(deps: ProxyMonitorDeps): ProxyMonitor {
  const { logger } = deps;
  const views = new Map<number, ProxyHealthView>();
  const inFlight = new Map<number, Promise<void>>();
  const persistedAt = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  let stopped = true;
  let closed = false;

  function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
    let t: NodeJS.Timeout | undefined;
    // The gRPC deadline ends the call; this only guards against a client that never settles.
    const late = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms + 500);
      t.unref();
    });
    return Promise.race([work, late]).finally(() => clearTimeout(t));
  }

  async function persist(view: ProxyHealthView, changed: boolean): Promise<void> {
    if (!deps.persist || view.status === 'unknown') return;
    const now = deps.clock().getTime();
    if (!changed && now - (persistedAt.get(view.id) ?? 0) < PERSIST_ONLINE_EVERY_MS) return;
    try {
      await deps.persist(view.id, view.status, new Date(now));
      persistedAt.set(view.id, now);
    } catch (error) {
      // The database may be down or full; the live view in memory is still right.
      logger.debug({ err: error, proxy: view.name }, 'proxy status not stored');
    }
  }

  async function attempt(proxy: { id: number; name: string; url: string }): Promise<ProxyHealthView> {
    const before = views.get(proxy.id);
    const view: ProxyHealthView = before ? { ...before, name: proxy.name, url: proxy.url } : { ...proxy, status: 'unknown', lastContactAt: null, checkedAt: null, reason: null, failures: 0 };
    try {
      await withDeadline(deps.getInfo(proxy.url, deps.timeoutMs), deps.timeoutMs);
      view.status = 'online';
      view.lastContactAt = deps.clock();
      view.reason = null;
      view.failures = 0;
    } catch (error) {
      view.failures += 1;
      view.reason = error instanceof Error ? error.message : String(error);
      if (view.failures >= deps.failuresBeforeOffline) view.status = 'offline';
    }
    view.checkedAt = deps.clock();
    views.set(proxy.id, view);
    const changed = (before?.status ?? 'unknown') !== view.status;
    if (changed && view.status === 'offline') logger.warn({ proxy: proxy.name, failures: view.failures, reason: view.reason }, 'smart proxy offline');
    else if (changed && view.status === 'online' && before) logger.info({ proxy: proxy.name }, 'smart proxy online');
    // After stop() the database may be closing; the next start stores the state anyway.
    if (!closed) await persist(view, changed);
    return view;
  }

  /**
   * A failed check is asked again at once, up to health.proxy_failures in a row: one late answer
   * is not an outage, and a real one is known within interval + failures x timeout, not after
   * several intervals.
   */
  async function checkOne(proxy: { id: number; name: string; url: string }): Promise<void> {
    for (;;) {
      const view = await attempt(proxy);
      if (view.failures === 0 || view.status === 'offline' || closed) return;
    }
  }

  async function checkAllOnce(): Promise<void> {
    let proxies: Array<{ id: number; name: string; url: string }>;
    try {
      proxies = await deps.listProxies();
    } catch (error) {
      logger.debug({ err: error }, 'proxy list not read; checking the proxies known before');
      proxies = [...views.values()].map(({ id, name, url }) => ({ id, name, url }));
    }
    const ids = new Set(proxies.map((p) => p.id));
    for (const id of views.keys()) if (!ids.has(id)) views.delete(id);
    // A proxy whose previous check is still running (a hung proxy) is not asked twice.
    await Promise.all(proxies.map((p) => {
      const running = inFlight.get(p.id);
      if (running) return running;
      const check = checkOne(p).finally(() => inFlight.delete(p.id));
      inFlight.set(p.id, check);
      return check;
    }));
  }

  function checkAll(): Promise<void> {
    round ??= checkAllOnce().finally(() => {
      round = undefined;
    });
    return round;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => void checkAll().finally(schedule), deps.intervalMs);
    timer.unref();
  }

  return {
    isDown: (proxyId) => views.get(proxyId)?.status === 'offline',
    get: (proxyId) => views.get(proxyId),
    all: () => [...views.values()].sort((a, b) => a.name.localeCompare(b.name)),
    checkAll,
    start() {
      if (!stopped) return;
      stopped = false;
      void checkAll().finally(schedule);
    },
    /** Stops polling; a GetInfo still in flight ends by its own deadline and is not waited for. */
    async stop() {
      stopped = true;
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}

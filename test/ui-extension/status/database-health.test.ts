/**
 * The database health check with a fake probe repository and jest's fake timers (unit test: no
 * database, no real timers): what /readyz and /api/v2/status read, and the words a failure is
 * described in (never the driver's message, which may carry the server's address).
 */
import type { DataSource } from 'typeorm';
import { silentLogger } from '@server/logger';
import { createDatabaseHealth, describeDatabaseFailure } from '@server/status/database-health';
import type { HealthProbeRepository } from '@server/status/health-probe.repository';

const driverError = (code: string, message: string, errno?: number) => Object.assign(new Error(message), { code, ...(errno ? { errno } : {}) });

describe(describeDatabaseFailure.name, () => {
  it.each([
    [driverError('ECONNREFUSED', 'connect ECONNREFUSED 10.20.30.40:3306'), 'connection refused'],
    [driverError('ENOTFOUND', 'getaddrinfo ENOTFOUND db.internal.example.com'), 'host name not resolved'],
    [driverError('ER_ACCESS_DENIED_ERROR', "Access denied for user 'rex'@'10.0.0.7' (using password: YES)"), 'access denied'],
    [driverError('PROTOCOL_CONNECTION_LOST', 'Connection lost: The server closed the connection.'), 'connection lost'],
    [driverError('SQLITE_FULL', 'database or disk is full'), 'out of disk space'],
    [driverError('ER_RECORD_FILE_FULL', "The table 'job_invocation_hosts' is full", 1114), 'out of disk space'],
    [driverError('SQLITE_IOERR_WRITE', 'disk I/O error'), 'I/O error'],
    [driverError('ER_SOMETHING_NEW', 'at db.internal.example.com'), 'unavailable (ER_SOMETHING_NEW)'],
    [new Error('connect to db.internal.example.com failed'), 'unavailable'],
  ])('names %p by its kind only', (error, words) => {
    expect(describeDatabaseFailure(error)).toBe(words);
  });

  it('reads the code of a driver error TypeORM wrapped', () => {
    expect(describeDatabaseFailure({ message: 'connect ECONNREFUSED 10.1.1.1:3306', driverError: { code: 'ECONNREFUSED' } })).toBe('connection refused');
  });
});

describe(createDatabaseHealth.name, () => {
  let now: number;
  let ping: 'ok' | Error | 'hang';
  let write: 'ok' | Error;
  const probes: HealthProbeRepository = {
    ping: () => (ping === 'ok' ? Promise.resolve() : ping === 'hang' ? new Promise(() => undefined) : Promise.reject(ping)),
    probeWrite: () => (write === 'ok' ? Promise.resolve() : Promise.reject(write)),
  };
  const health = (repo: HealthProbeRepository = probes) => createDatabaseHealth({ dataSource: {} as DataSource, probes: repo, instanceId: 'i1', clock: () => new Date(now), logger: silentLogger(), intervalMs: 1000, timeoutMs: 300 });

  beforeEach(() => {
    jest.useFakeTimers();
    now = 1_000_000;
    ping = 'ok';
    write = 'ok';
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('is ready when the ping and the write probe succeed', async () => {
    const h = health();
    await h.check();
    expect(h.ready()).toBe(true);
    expect(h.view()).toEqual({ reachable: true, writable: true, latency_ms: expect.any(Number), checked_at: new Date(now).toISOString() });
  });

  it('is not ready while the write probe fails, saying since when and why, and ready at its next success', async () => {
    const h = health();
    write = driverError('SQLITE_FULL', 'database or disk is full');
    await h.check();
    const since = now;
    expect(h.ready()).toBe(false);
    expect(h.view()).toMatchObject({ reachable: true, writable: false, reason: 'writes fail: out of disk space', writes_failing_since: new Date(since).toISOString() });
    now += 1000;
    await h.check();
    expect(h.view().writes_failing_since).toBe(new Date(since).toISOString());
    write = 'ok';
    await h.check();
    expect(h.ready()).toBe(true);
    expect(h.view().writes_failing_since).toBeUndefined();
  });

  it('is not ready when the ping fails or does not answer within the deadline', async () => {
    const h = health();
    ping = driverError('ECONNREFUSED', 'connect ECONNREFUSED 10.20.30.40:3306');
    await h.check();
    expect(h.view()).toMatchObject({ reachable: false, reason: 'connection refused' });
    expect(JSON.stringify(h.view())).not.toContain('10.20.30.40');
    ping = 'hang';
    const check = h.check();
    await jest.advanceTimersByTimeAsync(300);
    await check;
    expect(h.view()).toMatchObject({ reachable: false, reason: 'ping: no answer within 300 ms' });
    expect(h.ready()).toBe(false);
  });

  it('checks every interval once started, and no more after stop', async () => {
    let pings = 0;
    const h = health({ ...probes, ping: async () => {
      pings += 1;
    } });
    h.start();
    await jest.advanceTimersByTimeAsync(3500);
    expect(pings).toBe(3);
    await h.stop();
    await jest.advanceTimersByTimeAsync(5000);
    expect(pings).toBe(3);
  });
});

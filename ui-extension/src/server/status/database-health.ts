import type { DataSource } from 'typeorm';
import { DATABASE_CONNECTION_STUCK, isDatabaseFull } from '../errors';
import type { Logger } from '../logger';
import { observeWrites } from '../transaction-guard';
import type { HealthProbeRepository } from './health-probe.repository';

/** The database as /readyz and /api/v2/status show it: the last background check and write outcome. */
export interface DatabaseHealthView {
  /** The last ping answered within the check's deadline. */
  reachable: boolean;
  /** No write has failed for a database reason since the last one that succeeded. */
  writable: boolean;
  latency_ms?: number;
  /** When the last background check ended (ISO); null before the first. */
  checked_at: string | null;
  /** Why it is not reachable or not writable, in words that name no address, user or file. */
  reason?: string;
  /** Since when writes fail (ISO). */
  writes_failing_since?: string;
}

/** Driver codes in words; nothing from the driver's message, which may carry the server's address. */
const REASONS: Array<[RegExp, string]> = [
  [/^ECONNREFUSED$/, 'connection refused'],
  [/^(ETIMEDOUT|PROTOCOL_SEQUENCE_TIMEOUT)$/, 'connection timed out'],
  [/^(ENOTFOUND|EAI_AGAIN)$/, 'host name not resolved'],
  [/^(ECONNRESET|EPIPE|PROTOCOL_CONNECTION_LOST|ER_CONNECTION_KILLED)$/, 'connection lost'],
  [/^(EHOSTUNREACH|ENETUNREACH)$/, 'host unreachable'],
  [/^(ER_ACCESS_DENIED|ER_DBACCESS_DENIED)/, 'access denied'],
  [/^ER_BAD_DB_ERROR$/, 'unknown database'],
  [/^ER_SERVER_SHUTDOWN$/, 'server shutting down'],
  [/^ER_CON_COUNT_ERROR$/, 'too many connections'],
  [/^ER_(OPTION_PREVENTS_STATEMENT|READ_ONLY)/, 'read-only'],
  [/^SQLITE_BUSY/, 'locked by another writer'],
  [/^SQLITE_IOERR/, 'I/O error'],
  [/^SQLITE_READONLY/, 'read-only'],
  [/^SQLITE_CANTOPEN$/, 'cannot open the database file'],
  [new RegExp(`^${DATABASE_CONNECTION_STUCK}$`), 'connection stuck inside a transaction'],
];

/**
 * A database failure in words safe for an anonymous caller of /status: the kind of failure only,
 * never the driver's message (mysql2 puts host and port in it; issue #27: the public /status must
 * not reveal where the database is).
 */
export function describeDatabaseFailure(error: unknown): string {
  if (isDatabaseFull(error)) return 'out of disk space';
  const err = error as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  const code = err?.code ?? err?.driverError?.code;
  if (typeof code === 'string') {
    const known = REASONS.find(([pattern]) => pattern.test(code));
    if (known) return known[1];
    if (/^[A-Z][A-Z0-9_]{1,63}$/.test(code)) return `unavailable (${code})`;
  }
  if (error instanceof CheckTimeout) return error.message;
  return 'unavailable';
}

class CheckTimeout extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export interface DatabaseHealth {
  view(): DatabaseHealthView;
  /** True when this instance can take traffic: the database answers and accepts writes. */
  ready(): boolean;
  /** Runs one check now (the first one before the server listens, tests). */
  check(): Promise<void>;
  /** Watches write outcomes and checks every interval from now on. */
  start(): void;
  stop(): Promise<void>;
}

/**
 * Background checks of the database for /readyz and /api/v2/status, so that a health check answers
 * at once whatever the database does. Writes are watched two ways: every write's outcome
 * (transaction-guard.ts: a failure for a database reason turns `writable` off at once, a commit
 * turns it on), and a one-row write probe each interval, which finds a full disk or a read-only
 * database before a user's write does and sees space come back without waiting for traffic.
 */
export function createDatabaseHealth(deps: {
  dataSource: DataSource;
  probes: HealthProbeRepository;
  instanceId: string;
  clock: () => Date;
  logger: Logger;
  intervalMs: number;
  timeoutMs: number;
}): DatabaseHealth {
  const { logger } = deps;
  let reachable = true;
  let unreachableReason: string | undefined;
  let latencyMs: number | undefined;
  let checkedAt: Date | undefined;
  let writeFailure: { since: Date; reason: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  function writeFailed(error: unknown): void {
    const reason = describeDatabaseFailure(error);
    if (!writeFailure) {
      writeFailure = { since: deps.clock(), reason };
      logger.warn({ reason }, 'database writes fail; /readyz answers 503 until one succeeds');
    } else {
      writeFailure.reason = reason;
    }
  }

  function writeSucceeded(): void {
    if (!writeFailure) return;
    logger.info({ failingForMs: deps.clock().getTime() - writeFailure.since.getTime() }, 'database writes succeed again');
    writeFailure = undefined;
  }

  let unsubscribe: (() => void) | undefined;

  async function checkOnce(): Promise<void> {
    const started = Date.now();
    try {
      await withTimeout(deps.probes.ping(), deps.timeoutMs, 'ping');
      latencyMs = Date.now() - started;
      if (!reachable) logger.info('database answers again');
      reachable = true;
      unreachableReason = undefined;
    } catch (error) {
      if (reachable) logger.warn({ err: error }, 'database does not answer');
      reachable = false;
      unreachableReason = describeDatabaseFailure(error);
      latencyMs = undefined;
    }
    if (reachable) {
      try {
        await withTimeout(deps.probes.probeWrite(deps.instanceId, deps.clock()), deps.timeoutMs, 'write probe');
        writeSucceeded();
      } catch (error) {
        writeFailed(error);
      }
    }
    checkedAt = deps.clock();
  }

  function check(): Promise<void> {
    // One check at a time: a slow database must not pile them up.
    running ??= checkOnce().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => void check().finally(schedule), deps.intervalMs);
    timer.unref();
  }

  return {
    view() {
      return {
        reachable,
        writable: !writeFailure,
        ...(latencyMs !== undefined ? { latency_ms: latencyMs } : {}),
        checked_at: checkedAt ? checkedAt.toISOString() : null,
        ...(!reachable ? { reason: unreachableReason } : writeFailure ? { reason: `writes fail: ${writeFailure.reason}` } : {}),
        ...(writeFailure ? { writes_failing_since: writeFailure.since.toISOString() } : {}),
      };
    },
    ready: () => reachable && !writeFailure,
    check,
    start() {
      if (!stopped) return;
      stopped = false;
      unsubscribe = observeWrites(deps.dataSource, { committed: writeSucceeded, failed: writeFailed });
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      unsubscribe?.();
      unsubscribe = undefined;
      await running;
    },
  };
}

import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { DATABASE_CONNECTION_STUCK, isDatabaseUnavailable } from './errors';

/**
 * Who wants to know how writes end: the database health monitor (status/database-health.ts) turns
 * readiness to 503 after a write failed for a database reason, and back once one commits.
 */
export interface WriteObserver {
  /** A transaction committed. */
  committed(): void;
  /** A statement or a transaction failed because the database cannot be reached or cannot write. */
  failed(error: unknown): void;
}

const observers = new WeakMap<DataSource, Set<WriteObserver>>();

/** Subscribes to the write outcomes of a data source made by createDataSource; returns the unsubscribe. */
export function observeWrites(dataSource: DataSource, observer: WriteObserver): () => void {
  let set = observers.get(dataSource);
  if (!set) observers.set(dataSource, (set = new Set()));
  set.add(observer);
  return () => set.delete(observer);
}

function notify(dataSource: DataSource, outcome: 'committed' | 'failed', error?: unknown): void {
  for (const o of observers.get(dataSource) ?? []) {
    if (outcome === 'committed') o.committed();
    else o.failed(error);
  }
}

type TransactionFn = (...args: unknown[]) => Promise<unknown>;

/**
 * Reports every transaction's outcome to the observers (both drivers). A nested one (`nested()`
 * true when it starts: a SAVEPOINT on SQLite's one connection) has not committed anything yet.
 */
function reportTransactions(dataSource: DataSource, nested: () => boolean = () => false): void {
  const manager = dataSource.manager;
  const transaction = manager.transaction.bind(manager) as TransactionFn;
  manager.transaction = (async (...args: unknown[]) => {
    const inner = nested();
    try {
      const result = await transaction(...args);
      if (!inner) notify(dataSource, 'committed');
      return result;
    } catch (error) {
      if (isDatabaseUnavailable(error)) notify(dataSource, 'failed', error);
      throw error;
    }
  }) as typeof manager.transaction;
}

/** Reports statements that fail for a database reason, on every query runner the driver hands out. */
function reportStatements(dataSource: DataSource, wrap: (runner: QueryRunner) => void = () => undefined): void {
  const driver = dataSource.driver as unknown as { createQueryRunner(mode?: string): QueryRunner };
  const create = driver.createQueryRunner.bind(driver);
  const patched = new WeakSet<QueryRunner>();
  driver.createQueryRunner = (mode?: string) => {
    const runner = create(mode);
    if (patched.has(runner)) return runner;
    patched.add(runner);
    wrap(runner);
    const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
    runner.query = (async (...args: unknown[]) => {
      try {
        return await query(...args);
      } catch (error) {
        if (isDatabaseUnavailable(error)) notify(dataSource, 'failed', error);
        throw error;
      }
    }) as typeof runner.query;
    return runner;
  };
}

/**
 * Owns the transaction boundary of a data source: reports write outcomes (observeWrites) and, on
 * SQLite, guards the one shared connection (see guardSqliteConnection). On MySQL every transaction
 * has a pooled connection of its own and TypeORM ends it with ROLLBACK when COMMIT fails; a
 * connection that cannot even roll back has died, and mysql2 drops dead connections from the pool.
 */
export function guardDataSource(dataSource: DataSource): DataSource {
  if (dataSource.options.type === 'better-sqlite3') {
    const lock = createConnectionLock();
    guardSqliteConnection(dataSource, lock);
    reportTransactions(dataSource, () => lock.held());
    reportStatements(dataSource, (runner) => lockStatements(dataSource, runner, lock));
  } else {
    reportTransactions(dataSource);
    reportStatements(dataSource);
  }
  return dataSource;
}

interface ConnectionLock {
  /** Runs `fn` holding the connection; re-entrant for the flow (async context) that holds it. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** True inside the flow that holds the connection. */
  held(): boolean;
}

/**
 * A FIFO lock over the one SQLite connection, re-entrant through AsyncLocalStorage: the flow that
 * holds it (a transaction, with every query its callback awaits) runs on, every other flow waits.
 */
function createConnectionLock(): ConnectionLock {
  const context = new AsyncLocalStorage<symbol>();
  let holder: symbol | undefined;
  let tail: Promise<void> = Promise.resolve();
  const held = () => holder !== undefined && context.getStore() === holder;
  return {
    held,
    async run(fn) {
      if (held()) return fn();
      const previous = tail;
      let release!: () => void;
      tail = new Promise((resolve) => (release = resolve));
      await previous;
      const token = Symbol('sqlite connection holder');
      holder = token;
      try {
        return await context.run(token, fn);
      } finally {
        holder = undefined;
        release();
      }
    },
  };
}

interface SqliteRunnerState {
  isTransactionActive: boolean;
  transactionDepth: number;
  connection: DataSource;
}

interface BetterSqlite3Connection {
  inTransaction: boolean;
  prepare(sql: string): { run(): unknown };
}

const sqliteConnection = (dataSource: DataSource) => (dataSource.driver as unknown as { databaseConnection: BetterSqlite3Connection }).databaseConnection;

/**
 * Ends whatever transaction the SQLite connection is in and resets TypeORM's idea of it. Needed
 * because a COMMIT that fails with SQLITE_FULL makes SQLite roll the transaction back by itself;
 * TypeORM's ROLLBACK then fails ("no transaction is active") and leaves its query runner marked
 * active at depth 1, so the next "transaction" is only a SAVEPOINT, and after one more failure the
 * connection stays inside a transaction for good: every later write is acknowledged and never
 * committed (issue #27; test/ui-extension/transaction-guard.int.test.ts reproduces it).
 */
function settleConnection(dataSource: DataSource, runner: SqliteRunnerState): void {
  const db = sqliteConnection(dataSource);
  let rollbackError: unknown;
  if (db.inTransaction) {
    try {
      db.prepare('ROLLBACK').run();
    } catch (error) {
      rollbackError = error;
    }
  }
  runner.isTransactionActive = false;
  runner.transactionDepth = 0;
  if (db.inTransaction) {
    throw Object.assign(new Error('the SQLite connection is stuck inside a transaction that cannot be rolled back; writes are refused until it ends'), {
      code: DATABASE_CONNECTION_STUCK,
      cause: rollbackError,
    });
  }
}

/**
 * TypeORM's better-sqlite3 driver runs every query on one shared connection (one query runner), so
 * without this a write of one request lands inside another flow's open transaction and is lost with
 * it, and two transactions started at once both issue BEGIN. Here each transaction holds the
 * connection from BEGIN to COMMIT or ROLLBACK (queries of other flows wait; SQLite has one writer
 * anyway), the connection is settled before and after each one, and save/remove outside a
 * transaction get one of their own under the same lock.
 */
function guardSqliteConnection(dataSource: DataSource, lock: ConnectionLock): void {
  const manager = dataSource.manager;
  const runner = () => dataSource.driver.createQueryRunner('master') as unknown as SqliteRunnerState;
  const transaction = manager.transaction.bind(manager) as TransactionFn;
  manager.transaction = ((...args: unknown[]) => {
    // Nested inside the flow's own transaction: TypeORM makes it a SAVEPOINT; nothing to settle.
    if (lock.held()) return transaction(...args);
    return lock.run(() => settledTransaction(args));
  }) as typeof manager.transaction;
  const settledTransaction = async (args: unknown[]) => {
    settleConnection(dataSource, runner());
    try {
      return await transaction(...args);
    } finally {
      // After a failed COMMIT or ROLLBACK; a settle that fails here fails the next one loudly.
      try {
        settleConnection(dataSource, runner());
      } catch {
        // The transaction's own outcome (result or error) is what this caller gets.
      }
    }
  };
  // Entity persistence starts its own transaction on the shared runner; give it ours instead.
  for (const method of ['save', 'remove', 'softRemove', 'recover'] as const) {
    const original = (manager[method] as TransactionFn).bind(manager);
    (manager as unknown as Record<string, TransactionFn>)[method] = (...args: unknown[]) =>
      lock.held() ? original(...args) : manager.transaction((m: EntityManager) => (m[method] as TransactionFn).apply(m, args));
  }
}

/** Every statement of a flow that does not hold the connection waits for it. */
function lockStatements(dataSource: DataSource, runner: QueryRunner, lock: ConnectionLock): void {
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  const state = runner as unknown as SqliteRunnerState;
  runner.query = ((...args: unknown[]) => {
    if (lock.held()) return query(...args);
    return lock.run(async () => {
      // A transaction nobody holds (TypeORM does not know of it) would swallow this write.
      if (!state.isTransactionActive && sqliteConnection(dataSource).inTransaction) settleConnection(dataSource, state);
      return query(...args);
    });
  }) as typeof runner.query;
}

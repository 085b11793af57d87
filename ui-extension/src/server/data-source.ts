import fs from 'node:fs';
import path from 'node:path';
import 'reflect-metadata';
import { format } from 'mysql2';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '@migrations/index';
import type { Config } from './config';
import { ENTITIES } from './entities';
import { guardDataSource } from './transaction-guard';

export type DatabaseKind = Config['database']['type'];

/**
 * The TypeORM data source on MySQL/MariaDB (production) or SQLite (embedded default).
 * synchronize is off everywhere: the schema only changes through migrations (STYLE.md §8).
 * transaction-guard.ts owns its transaction boundary: a failed write is never followed by a 2xx
 * that was not committed.
 */
export function createDataSource(database: Config['database']): DataSource {
  if (database.type === 'mysql') {
    return guardDataSource(new DataSource({
      type: 'mysql',
      url: database.url,
      entities: ENTITIES,
      migrations: MIGRATIONS,
      synchronize: false,
      migrationsRun: false,
      poolSize: database.pool_size,
      // Dates are stored and read as UTC whatever the server's zone.
      timezone: 'Z',
      charset: 'utf8mb4_unicode_ci',
      supportBigNumbers: true,
      bigNumberStrings: false,
      // Fail fast when the database is down instead of queueing requests for ever.
      extra: { connectTimeout: 5000, queryFormat: formatMysqlQuery },
    }));
  }
  const file = database.sqlite_path === ':memory:' ? ':memory:' : path.resolve(database.sqlite_path);
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  return guardDataSource(new DataSource({
    type: 'better-sqlite3',
    database: file,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    // WAL lets readers (long polls, searches) run while the dispatcher writes results.
    prepareDatabase: (db: { pragma: (s: string) => unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    },
  }));
}

/**
 * mysql2's own formatting, but a statement without parameters is sent as it is. mysql2 formats every
 * query, with `[]` when none were given, and its formatter scans the whole text for placeholders
 * before it looks at how many values there are: the result batches' statements are written out
 * whole (upsertResultsSql, rowIdList), 1.35 MB of text per 10k-host job, and that scan cost the
 * ui-extension ~12 ms of CPU per such job for nothing (issue #20). With no values the formatter
 * returns the text unchanged (mysql2 3.x, sql-escaper 1.x), so this changes no statement.
 */
export function formatMysqlQuery(this: { config: { stringifyObjects?: boolean } } | undefined, sql: string, values: unknown, timezone?: string): string {
  if (values === undefined || values === null || (Array.isArray(values) && values.length === 0)) return sql;
  return format(sql, values as Parameters<typeof format>[1], this?.config.stringifyObjects ?? false, timezone as Parameters<typeof format>[3]);
}

/** Names of migrations that exist in code but have not run on this database. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const hasPending = await dataSource.showMigrations();
  if (!hasPending) return [];
  const runner = dataSource.createQueryRunner();
  try {
    const table = dataSource.options.migrationsTableName ?? 'migrations';
    const exists = await runner.hasTable(table);
    const done = exists ? ((await runner.query(`SELECT name FROM ${table}`)) as Array<{ name: string }>).map((r) => r.name) : [];
    return dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !done.includes(name));
  } finally {
    await runner.release();
  }
}

/** Connections of the MySQL pool: open in all, handed out, and requests queued for one. */
export interface PoolStats {
  size: number;
  open: number;
  inUse: number;
  waiting: number;
}

interface Mysql2PoolInternals {
  config?: { connectionLimit?: number };
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
}

/**
 * The mysql2 pool behind TypeORM's MySQL driver, read for /metrics. mysql2 has no public counters,
 * only events (acquire/release), and a connection that dies while handed out never fires release,
 * so counting events drifts; the pool's own queues (stable across mysql2 2.x and 3.x) do not.
 * Undefined on SQLite (one shared connection, no pool) and before the pool exists.
 */
export function databasePoolStats(dataSource: DataSource): PoolStats | undefined {
  if (dataSource.options.type !== 'mysql' || !dataSource.isInitialized) return undefined;
  const pool = (dataSource.driver as unknown as { pool?: Mysql2PoolInternals }).pool;
  if (!pool?._allConnections || !pool._freeConnections || !pool._connectionQueue) return undefined;
  const open = pool._allConnections.length;
  const idle = pool._freeConnections.length;
  return { size: pool.config?.connectionLimit ?? open, open, inUse: open - idle, waiting: pool._connectionQueue.length };
}

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import type { Config } from '@server/config';
import { createDataSource } from '@server/data-source';

/** The two databases every integration test runs against (STYLE.md §7). */
export type TestDatabaseKind = 'sqlite' | 'mysql';

export interface TestDatabase {
  kind: TestDatabaseKind;
  /** For the MySQL kind, the server URL without a scratch database chosen yet. */
  url?: string;
  /**
   * Character set of the scratch database: utf8mb4 (the default), latin1, or none stated so that
   * it takes the server's default (a server started with --character-set-server=latin1).
   */
  characterSet?: ScratchCharacterSet;
}

export type ScratchCharacterSet = 'utf8mb4' | 'latin1' | 'server-default';

/** Test code may read the environment directly; only the server's config.ts may not. */
const DEFAULT_MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

export function mysqlTestUrl(): string {
  return process.env.UI_EXTENSION_TEST_MYSQL_URL || DEFAULT_MYSQL_URL;
}

/**
 * The databases for `describe.each(testDatabases())`. Both are always listed: under CI an
 * unreachable MariaDB must fail the run, and locally it fails loudly too rather than silently
 * testing only SQLite.
 */
export function testDatabases(): TestDatabase[] {
  return [{ kind: 'sqlite' }, { kind: 'mysql', url: mysqlTestUrl() }];
}

function withDatabaseName(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs one statement on the MySQL server itself (no database selected), e.g. CREATE DATABASE. */
async function onMysqlServer(url: string, sql: string): Promise<void> {
  const admin = new DataSource({ type: 'mysql', url, extra: { connectTimeout: 5000 } });
  await admin.initialize();
  try {
    await admin.query(sql);
  } finally {
    await admin.destroy();
  }
}

export interface OpenTestDataSource {
  kind: TestDatabaseKind;
  dataSource: DataSource;
  /** The `database` slice of Config pointing at the scratch database, for code that builds its own. */
  database: Config['database'];
  /** Closes the connection and removes the scratch database (MySQL) or file (SQLite). */
  close(): Promise<void>;
}

/**
 * Opens a fresh scratch database of the given kind with every migration run. MySQL gets a uniquely
 * named database (`rex_test_<random>`) so parallel test files never share tables; SQLite gets a
 * temp file (not :memory:, because some code opens a second connection to the same database).
 */
export async function openTestDataSource(kind: TestDatabaseKind | TestDatabase, options: { migrate?: boolean; characterSet?: ScratchCharacterSet } = {}): Promise<OpenTestDataSource> {
  const k = typeof kind === 'string' ? kind : kind.kind;
  const migrate = options.migrate ?? true;
  if (k === 'mysql') {
    const serverUrl = (typeof kind === 'object' && kind.url) || mysqlTestUrl();
    const name = `rex_test_${randomBytes(6).toString('hex')}`;
    // latin1 is what a server started with --character-set-server=latin1 gives a new database.
    const characterSet = options.characterSet ?? (typeof kind === 'object' ? kind.characterSet : undefined) ?? 'utf8mb4';
    const clause = { utf8mb4: ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', latin1: ' CHARACTER SET latin1 COLLATE latin1_swedish_ci', 'server-default': '' }[characterSet];
    await onMysqlServer(serverUrl, `CREATE DATABASE \`${name}\`${clause}`);
    const database: Config['database'] = { type: 'mysql', url: withDatabaseName(serverUrl, name), sqlite_path: ':memory:', pool_size: 5 };
    const dataSource = createDataSource(database);
    try {
      await dataSource.initialize();
      if (migrate) await dataSource.runMigrations({ transaction: 'each' });
    } catch (error) {
      if (dataSource.isInitialized) await dataSource.destroy();
      await onMysqlServer(serverUrl, `DROP DATABASE IF EXISTS \`${name}\``);
      throw error;
    }
    return {
      kind: 'mysql',
      dataSource,
      database,
      async close() {
        if (dataSource.isInitialized) await dataSource.destroy();
        await onMysqlServer(serverUrl, `DROP DATABASE IF EXISTS \`${name}\``);
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-test-'));
  const database: Config['database'] = { type: 'sqlite', sqlite_path: path.join(dir, 'test.sqlite'), pool_size: 1 };
  const dataSource = createDataSource(database);
  await dataSource.initialize();
  if (migrate) await dataSource.runMigrations({ transaction: 'each' });
  return {
    kind: 'sqlite',
    dataSource,
    database,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens a scratch database, runs `fn` with it, and always removes it afterwards. */
export async function withDatabase<T>(kind: TestDatabaseKind | TestDatabase, fn: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const db = await openTestDataSource(kind);
  try {
    return await fn(db.dataSource);
  } finally {
    await db.close();
  }
}

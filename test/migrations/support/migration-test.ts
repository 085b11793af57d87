/**
 * What every migration test does alike: a scratch database with every migration run, opened before
 * the file's tests and removed after, and the schema questions the tests ask of it. A migration is
 * undone "while applied(name)", so that later migrations come off first, as in a real rollback.
 */
import type { QueryRunner, Table } from 'typeorm';
import { openTestDataSource, type OpenTestDataSource, type TestDatabase, type TestDatabaseKind } from '@test/support/databases';

export interface MigrationTestDatabase {
  readonly kind: TestDatabaseKind;
  readonly dataSource: OpenTestDataSource['dataSource'];
  /** Whether the named migration is recorded as run. */
  applied(name: string): Promise<boolean>;
  /** The name of the migration run last. */
  lastApplied(): Promise<string | undefined>;
  /** Undoes migrations, the newest first, until the named one is no longer applied. */
  undoWhileApplied(name: string): Promise<void>;
  /** Undoes the migrations after the named one (their own tests cover them), so that it is the last. */
  undoLaterThan(name: string): Promise<void>;
  /** Runs every pending migration, each in its own transaction. */
  migrate(): Promise<void>;
  hasTable(table: string): Promise<boolean>;
  hasColumn(table: string, column: string): Promise<boolean>;
  /** The table as the schema holds it now (columns, indices), or undefined. */
  table(name: string): Promise<Table | undefined>;
}

/** Registers beforeAll/afterAll for a scratch database of `database` and returns its handle. */
export function useMigrationTestDatabase(database: TestDatabase): MigrationTestDatabase {
  let open: OpenTestDataSource | undefined;

  beforeAll(async () => {
    open = await openTestDataSource(database);
  });

  afterAll(async () => {
    await open?.close();
  });

  const current = (): OpenTestDataSource => {
    if (!open) throw new Error('the scratch database is not open (beforeAll failed?)');
    return open;
  };

  async function withRunner<T>(fn: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = current().dataSource.createQueryRunner();
    try {
      return await fn(runner);
    } finally {
      await runner.release();
    }
  }

  const handle: MigrationTestDatabase = {
    get kind() {
      return current().kind;
    },
    get dataSource() {
      return current().dataSource;
    },
    async applied(name) {
      return ((await current().dataSource.query('SELECT name FROM migrations WHERE name = ?', [name])) as unknown[]).length > 0;
    },
    async lastApplied() {
      return ((await current().dataSource.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1')) as Array<{ name: string }>)[0]?.name;
    },
    async undoWhileApplied(name) {
      while (await handle.applied(name)) await current().dataSource.undoLastMigration({ transaction: 'each' });
    },
    async undoLaterThan(name) {
      while ((await handle.lastApplied()) !== name) await current().dataSource.undoLastMigration({ transaction: 'each' });
    },
    async migrate() {
      await current().dataSource.runMigrations({ transaction: 'each' });
    },
    hasTable: (table) => withRunner((runner) => runner.hasTable(table)),
    hasColumn: (table, column) => withRunner((runner) => runner.hasColumn(table, column)),
    table: (name) => withRunner((runner) => runner.getTable(name)),
  };
  return handle;
}

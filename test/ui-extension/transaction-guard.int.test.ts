/**
 * The transaction boundary after a failed write (issue #27): what a caller was told is committed is
 * committed, on SQLite's one shared connection and on MariaDB's pool. SQLite runs out of space on a
 * real 4 MiB tmpfs (test/support/small-filesystem.ts); MariaDB on a MEMORY table capped by
 * max_heap_table_size, and its COMMIT fails for real when the connection is killed under it.
 */
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource } from '@server/data-source';
import { isDatabaseFull, isDatabaseUnavailable } from '@server/errors';
import { guardDataSource, observeWrites } from '@server/transaction-guard';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { mountSmallFilesystem } from '@test/support/small-filesystem';

const BLOB = 'x'.repeat(16_000);

async function count(dataSource: DataSource, where = '1=1'): Promise<number> {
  const rows = (await dataSource.query(`SELECT COUNT(*) AS n FROM guard_rows WHERE ${where}`)) as Array<{ n: number | string }>;
  return Number(rows[0].n);
}

/** A second, independent connection: what a restart would see. */
async function reopened<T>(db: OpenTestDataSource, fn: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const other = createDataSource(db.database);
  await other.initialize();
  try {
    return await fn(other);
  } finally {
    await other.destroy();
  }
}

describe.each(testDatabases())(`${guardDataSource.name} on $kind`, (database) => {
  let db: OpenTestDataSource;

  beforeEach(async () => {
    db = await openTestDataSource(database, { migrate: false });
    await db.dataSource.query(database.kind === 'mysql'
      ? 'CREATE TABLE guard_rows (id INT AUTO_INCREMENT PRIMARY KEY, tag VARCHAR(64) NOT NULL, v MEDIUMTEXT) ENGINE=InnoDB'
      : 'CREATE TABLE guard_rows (id INTEGER PRIMARY KEY AUTOINCREMENT, tag VARCHAR(64) NOT NULL, v TEXT)');
  });
  afterEach(async () => {
    await db.close();
  });

  it('keeps a write of another flow when a transaction open meanwhile rolls back', async () => {
    let inside!: () => void;
    const insideReached = new Promise<void>((resolve) => (inside = resolve));
    let fail!: () => void;
    const failNow = new Promise<void>((resolve) => (fail = resolve));
    const doomed = db.dataSource.transaction(async (m) => {
      await m.query("INSERT INTO guard_rows (tag) VALUES ('doomed')");
      inside();
      await failNow;
      throw new Error('the transaction fails after its first statement');
    });
    await insideReached;
    // Another request writes outside any transaction while the doomed one is open.
    const acknowledged = db.dataSource.query("INSERT INTO guard_rows (tag) VALUES ('acknowledged')");
    await new Promise((r) => setTimeout(r, 50));
    fail();
    await expect(doomed).rejects.toThrow('fails after its first statement');
    await acknowledged;
    expect(await reopened(db, (other) => count(other, "tag = 'acknowledged'"))).toBe(1);
    expect(await reopened(db, (other) => count(other, "tag = 'doomed'"))).toBe(0);
  });

  it('commits a transaction opened inside a transaction together with it', async () => {
    await db.dataSource.transaction(async (m) => {
      await m.query("INSERT INTO guard_rows (tag) VALUES ('outer')");
      await db.dataSource.transaction(async (inner) => inner.query("INSERT INTO guard_rows (tag) VALUES ('inner')"));
      await m.query("INSERT INTO guard_rows (tag) VALUES ('outer')");
    });
    expect(await reopened(db, (other) => count(other, "tag = 'outer'"))).toBe(2);
    expect(await reopened(db, (other) => count(other, "tag = 'inner'"))).toBe(1);
  });

  if (database.kind === 'sqlite') {
    it('commits every write acknowledged after a COMMIT failed with SQLITE_FULL', async () => {
      const disk = mountSmallFilesystem(4);
      const onDisk = createDataSource({ type: 'sqlite', sqlite_path: path.join(disk.dir, 'full.sqlite'), pool_size: 1 });
      try {
        await onDisk.initialize();
        await onDisk.query('CREATE TABLE guard_rows (id INTEGER PRIMARY KEY AUTOINCREMENT, tag VARCHAR(64) NOT NULL, v TEXT)');
        const outcomes: string[] = [];
        observeWrites(onDisk, { committed: () => outcomes.push('committed'), failed: () => outcomes.push('failed') });
        disk.fill();
        const failures: unknown[] = [];
        let acknowledged = 0;
        for (let i = 0; i < 20; i++) {
          try {
            await onDisk.transaction(async (m) => {
              await m.query("INSERT INTO guard_rows (tag, v) VALUES ('full', ?)", [BLOB]);
              await m.query("INSERT INTO guard_rows (tag, v) VALUES ('full', ?)", [BLOB]);
            });
            acknowledged += 2;
          } catch (error) {
            failures.push(error);
          }
        }
        expect(failures.length).toBeGreaterThan(0);
        for (const error of failures) expect(isDatabaseFull(error) && isDatabaseUnavailable(error)).toBe(true);
        expect(outcomes).toContain('failed');
        // Space comes back: every later acknowledgement must be a commit.
        disk.free();
        for (let i = 0; i < 5; i++) {
          await onDisk.transaction(async (m) => m.query("INSERT INTO guard_rows (tag) VALUES ('after')"));
          acknowledged += 1;
        }
        await onDisk.query("INSERT INTO guard_rows (tag) VALUES ('after')");
        acknowledged += 1;
        expect(outcomes[outcomes.length - 1]).toBe('committed');
        await onDisk.destroy();
        await onDisk.initialize();
        expect(await count(onDisk)).toBe(acknowledged);
        expect(await count(onDisk, "tag = 'after'")).toBe(6);
      } finally {
        if (onDisk.isInitialized) await onDisk.destroy();
        disk.destroy();
      }
    });
  }

  if (database.kind === 'mysql') {
    it('leaves the pool usable after a statement fails with "table is full" (1114) inside a transaction', async () => {
      // A MEMORY table capped by max_heap_table_size fills for real; MariaDB answers ER_RECORD_FILE_FULL.
      await db.dataSource.query('SET SESSION max_heap_table_size = 16384');
      await db.dataSource.transaction(async (m) => {
        await m.query('SET SESSION max_heap_table_size = 16384');
        await m.query('CREATE TABLE guard_small (v VARCHAR(200)) ENGINE=MEMORY');
      });
      let fullError: unknown;
      for (let i = 0; i < 5 && !fullError; i++) {
        try {
          await db.dataSource.transaction(async (m) => {
            await m.query("INSERT INTO guard_rows (tag) VALUES ('doomed')");
            for (let j = 0; j < 400; j++) await m.query('INSERT INTO guard_small (v) VALUES (?)', ['y'.repeat(200)]);
          });
        } catch (error) {
          fullError = error;
        }
      }
      expect(fullError).toBeDefined();
      expect(isDatabaseFull(fullError)).toBe(true);
      for (let i = 0; i < 10; i++) await db.dataSource.transaction(async (m) => m.query("INSERT INTO guard_rows (tag) VALUES ('after')"));
      const inTransaction = await Promise.all(Array.from({ length: db.database.pool_size }, () => db.dataSource.transaction(async (m) => {
        const [row] = (await m.query('SELECT @@in_transaction AS t')) as Array<{ t: number | string }>;
        await new Promise((r) => setTimeout(r, 20));
        return Number(row.t);
      })));
      expect(inTransaction).toEqual(inTransaction.map(() => 1));
      expect(await reopened(db, (other) => count(other, "tag = 'doomed'"))).toBe(0);
      expect(await reopened(db, (other) => count(other, "tag = 'after'"))).toBe(10);
    });

    it('leaves the pool usable after COMMIT fails because the connection was killed', async () => {
      const killer = createDataSource(db.database);
      await killer.initialize();
      try {
        const doomed = db.dataSource.transaction(async (m) => {
          await m.query("INSERT INTO guard_rows (tag) VALUES ('doomed')");
          const [{ id }] = (await m.query('SELECT CONNECTION_ID() AS id')) as Array<{ id: number | string }>;
          await killer.query(`KILL CONNECTION ${Number(id)}`);
        });
        const error = await doomed.then(() => undefined, (e: unknown) => e);
        expect(error).toBeDefined();
        expect(isDatabaseUnavailable(error)).toBe(true);
        for (let i = 0; i < 10; i++) await db.dataSource.transaction(async (m) => m.query("INSERT INTO guard_rows (tag) VALUES ('after')"));
        expect(await count(killer, "tag = 'doomed'")).toBe(0);
        expect(await count(killer, "tag = 'after'")).toBe(10);
      } finally {
        await killer.destroy();
      }
    });
  }
});

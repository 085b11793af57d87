import { RateLimiterMySQL, RateLimiterSQLite } from 'rate-limiter-flexible';
import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

describe.each(testDatabases())('CreateLoginThrottle1765100000000 on $kind', (database) => {
  const db = useMigrationTestDatabase(database);

  async function hasTable(): Promise<boolean> {
    return await db.hasTable('login_throttle');
  }

  it("holds rate-limiter-flexible's counters as its store reads and writes them", async () => {
    const store = db.kind === 'mysql'
      ? new RateLimiterMySQL({ storeClient: (db.dataSource.driver as unknown as { pool: unknown }).pool, storeType: 'pool', dbName: (db.dataSource.driver as unknown as { database: string }).database, tableName: 'login_throttle', tableCreated: true, clearExpiredByTimeout: false, keyPrefix: 't', points: 2, duration: 60 })
      : new RateLimiterSQLite({ storeClient: (db.dataSource.driver as unknown as { databaseConnection: unknown }).databaseConnection, storeType: 'better-sqlite3', tableName: 'login_throttle', tableCreated: true, clearExpiredByTimeout: false, keyPrefix: 't', points: 2, duration: 60 });
    await store.consume('k');
    await store.consume('k');
    await expect(store.consume('k')).rejects.toMatchObject({ remainingPoints: 0 });
    const rows = (await db.dataSource.query('SELECT points, expire FROM login_throttle')) as Array<{ points: number; expire: number | string }>;
    expect(rows).toEqual([{ points: 3, expire: expect.anything() }]);
    expect(Number(rows[0].expire)).toBeGreaterThan(Date.now());
  });

  it('drops login_throttle when reverted and recreates it when run again, in utf8mb4 on MariaDB whatever the database default', async () => {
    await db.undoWhileApplied('CreateLoginThrottle1765100000000');
    expect(await hasTable()).toBe(false);
    // Recreated in a database whose default is latin1, as on a server that was never told otherwise.
    if (db.kind === 'mysql') await db.dataSource.query('ALTER DATABASE CHARACTER SET latin1 COLLATE latin1_swedish_ci');
    await db.migrate();
    expect(await hasTable()).toBe(true);
    if (db.kind === 'mysql') {
      const [row] = (await db.dataSource.query("SELECT TABLE_COLLATION AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'login_throttle'")) as Array<{ c: string }>;
      expect(row.c).toBe('utf8mb4_unicode_ci');
    }
  });
});

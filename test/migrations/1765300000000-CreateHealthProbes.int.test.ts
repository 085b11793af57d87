import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const NAME = 'CreateHealthProbes1765300000000';

describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  async function hasTable(): Promise<boolean> {
    const runner = db.dataSource.createQueryRunner();
    try {
      return await runner.hasTable('health_probes');
    } finally {
      await runner.release();
    }
  }

  it('creates the one probe row a write probe updates, drops it when reverted, and keeps the other tables', async () => {
    expect(await db.dataSource.query('SELECT id, probed_by, probed_at FROM health_probes')).toEqual([{ id: 1, probed_by: null, probed_at: null }]);
    await db.dataSource.query("UPDATE health_probes SET probed_by = 'instance-ü', probed_at = '2026-01-01 00:00:00.123' WHERE id = 1");
    expect(await db.dataSource.query('SELECT probed_by FROM health_probes')).toEqual([{ probed_by: 'instance-ü' }]);
    if (database.kind === 'mysql') {
      // The table states its character set itself (STYLE.md §8), whatever the server's default.
      expect(await db.dataSource.query("SELECT CHARACTER_SET_NAME AS cs FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'health_probes' AND COLUMN_NAME = 'probed_by'")).toEqual([{ cs: 'utf8mb4' }]);
    }
    await db.dataSource.query("INSERT INTO users (login, password_hash, admin, created_at, updated_at) VALUES ('keep', 'x', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')");
    while ((await db.dataSource.query(`SELECT name FROM migrations WHERE name = '${NAME}'`)).length > 0) {
      await db.dataSource.undoLastMigration({ transaction: 'each' });
    }
    expect(await hasTable()).toBe(false);
    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await hasTable()).toBe(true);
    expect(await db.dataSource.query('SELECT id, probed_by FROM health_probes')).toEqual([{ id: 1, probed_by: null }]);
    expect(await db.dataSource.query("SELECT login FROM users WHERE login = 'keep'")).toEqual([{ login: 'keep' }]);
  });
});

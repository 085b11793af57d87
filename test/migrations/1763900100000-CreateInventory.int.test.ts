import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const TABLES = ['organizations', 'locations', 'hostgroups', 'smart_proxies', 'hosts', 'facts'];

describe.each(testDatabases())('CreateInventory1763900100000 on $kind', (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  async function present(): Promise<boolean[]> {
    const runner = db.dataSource.createQueryRunner();
    try {
      return await Promise.all(TABLES.map((t) => runner.hasTable(t)));
    } finally {
      await runner.release();
    }
  }

  it('drops its tables when reverted and recreates them when run again', async () => {
    await db.dataSource.query("INSERT INTO hosts (name, created_at, updated_at) VALUES ('seeded.example.com', '2025-01-01 00:00:00.000', '2025-01-01 00:00:00.000')");
    // Revert down to (and including) this migration; later ones go first, as in a real rollback.
    while ((await db.dataSource.query("SELECT name FROM migrations WHERE name = 'CreateInventory1763900100000'")).length > 0) {
      await db.dataSource.undoLastMigration({ transaction: 'each' });
    }
    expect(await present()).toEqual(TABLES.map(() => false));
    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await present()).toEqual(TABLES.map(() => true));
  });

  it('refuses a second host with the same name in another letter case', async () => {
    const insert = "INSERT INTO hosts (name, created_at, updated_at) VALUES (?, '2025-01-01 00:00:00.000', '2025-01-01 00:00:00.000')";
    await db.dataSource.query(insert, ['case.example.com']);
    await expect(db.dataSource.query(insert, ['CASE.example.com'])).rejects.toThrow();
  });
});

import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const T = "'2025-01-01 00:00:00.000'";
const ADD = 'AddFactSource1765700000000';

/** facts.source (AddFactSource): added as NULL for the facts already stored, dropped again keeping them. */
describe.each(testDatabases())(`${ADD} on $kind`, (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  async function hasColumn(): Promise<boolean> {
    const runner = db.dataSource.createQueryRunner();
    try {
      return await runner.hasColumn('facts', 'source');
    } finally {
      await runner.release();
    }
  }

  const applied = async (name: string) => ((await db.dataSource.query('SELECT name FROM migrations WHERE name = ?', [name])) as unknown[]).length > 0;

  it('adds source as NULL to the stored facts, and drops it again keeping the facts', async () => {
    while (await applied(ADD)) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await hasColumn()).toBe(false);
    await db.dataSource.query(`INSERT INTO hosts (id, name, created_at, updated_at) VALUES (5, 'kept.example.com', ${T}, ${T})`);
    await db.dataSource.query("INSERT INTO facts (host_id, name, value) VALUES (5, 'osfamily', 'Debian')");

    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await hasColumn()).toBe(true);
    expect(await db.dataSource.query('SELECT host_id, name, value, source FROM facts')).toEqual([{ host_id: 5, name: 'osfamily', value: 'Debian', source: null }]);
    await db.dataSource.query("INSERT INTO facts (host_id, name, value, source) VALUES (5, 'kernel', 'Linux', 'proxy')");

    while (await applied(ADD)) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await hasColumn()).toBe(false);
    expect(await db.dataSource.query('SELECT host_id, name, value FROM facts ORDER BY name')).toEqual([{ host_id: 5, name: 'kernel', value: 'Linux' }, { host_id: 5, name: 'osfamily', value: 'Debian' }]);

    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await hasColumn()).toBe(true);
  });
});

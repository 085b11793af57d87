import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const T = "'2025-01-01 00:00:00.000'";
const ADD = 'AddForemanIds1765819500000';

/** hosts.foreman_id and hostgroups.foreman_id (AddForemanIds): added as NULL to stored rows, dropped again keeping the rows. */
describe.each(testDatabases())(`${ADD} on $kind`, (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  async function hasColumns(): Promise<boolean[]> {
    const runner = db.dataSource.createQueryRunner();
    try {
      return [await runner.hasColumn('hosts', 'foreman_id'), await runner.hasColumn('hostgroups', 'foreman_id')];
    } finally {
      await runner.release();
    }
  }

  const applied = async (name: string) => ((await db.dataSource.query('SELECT name FROM migrations WHERE name = ?', [name])) as unknown[]).length > 0;

  it('adds foreman_id as NULL to stored hosts and hostgroups, and drops it again keeping them', async () => {
    while (await applied(ADD)) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await hasColumns()).toEqual([false, false]);
    await db.dataSource.query(`INSERT INTO hostgroups (id, name, title, created_at, updated_at) VALUES (3, 'web', 'web', ${T}, ${T})`);
    await db.dataSource.query(`INSERT INTO hosts (id, name, hostgroup_id, created_at, updated_at) VALUES (5, 'kept.example.com', 3, ${T}, ${T})`);

    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await hasColumns()).toEqual([true, true]);
    expect(await db.dataSource.query('SELECT id, foreman_id FROM hosts')).toEqual([{ id: 5, foreman_id: null }]);
    expect(await db.dataSource.query('SELECT id, foreman_id FROM hostgroups')).toEqual([{ id: 3, foreman_id: null }]);
    await db.dataSource.query('UPDATE hosts SET foreman_id = 42 WHERE id = 5');

    while (await applied(ADD)) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await hasColumns()).toEqual([false, false]);
    expect(await db.dataSource.query('SELECT id, name, hostgroup_id FROM hosts')).toEqual([{ id: 5, name: 'kept.example.com', hostgroup_id: 3 }]);

    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await hasColumns()).toEqual([true, true]);
  });
});

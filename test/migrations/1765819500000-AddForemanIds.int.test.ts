import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const T = "'2025-01-01 00:00:00.000'";
const ADD = 'AddForemanIds1765819500000';

/** hosts.foreman_id and hostgroups.foreman_id (AddForemanIds): added as NULL to stored rows, dropped again keeping the rows. */
describe.each(testDatabases())(`${ADD} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  async function hasColumns(): Promise<boolean[]> {
    return [await db.hasColumn('hosts', 'foreman_id'), await db.hasColumn('hostgroups', 'foreman_id')];
  }

  it('adds foreman_id as NULL to stored hosts and hostgroups, and drops it again keeping them', async () => {
    await db.undoWhileApplied(ADD);
    expect(await hasColumns()).toEqual([false, false]);
    await db.dataSource.query(`INSERT INTO hostgroups (id, name, title, created_at, updated_at) VALUES (3, 'web', 'web', ${T}, ${T})`);
    await db.dataSource.query(`INSERT INTO hosts (id, name, hostgroup_id, created_at, updated_at) VALUES (5, 'kept.example.com', 3, ${T}, ${T})`);

    await db.migrate();
    expect(await hasColumns()).toEqual([true, true]);
    expect(await db.dataSource.query('SELECT id, foreman_id FROM hosts')).toEqual([{ id: 5, foreman_id: null }]);
    expect(await db.dataSource.query('SELECT id, foreman_id FROM hostgroups')).toEqual([{ id: 3, foreman_id: null }]);
    await db.dataSource.query('UPDATE hosts SET foreman_id = 42 WHERE id = 5');

    await db.undoWhileApplied(ADD);
    expect(await hasColumns()).toEqual([false, false]);
    expect(await db.dataSource.query('SELECT id, name, hostgroup_id FROM hosts')).toEqual([{ id: 5, name: 'kept.example.com', hostgroup_id: 3 }]);

    await db.migrate();
    expect(await hasColumns()).toEqual([true, true]);
  });
});

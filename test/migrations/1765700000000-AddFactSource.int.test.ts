import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const T = "'2025-01-01 00:00:00.000'";
const ADD = 'AddFactSource1765700000000';

/** facts.source (AddFactSource): added as NULL for the facts already stored, dropped again keeping them. */
describe.each(testDatabases())(`${ADD} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  async function hasColumn(): Promise<boolean> {
    return await db.hasColumn('facts', 'source');
  }

  it('adds source as NULL to the stored facts, and drops it again keeping the facts', async () => {
    await db.undoWhileApplied(ADD);
    expect(await hasColumn()).toBe(false);
    await db.dataSource.query(`INSERT INTO hosts (id, name, created_at, updated_at) VALUES (5, 'kept.example.com', ${T}, ${T})`);
    await db.dataSource.query("INSERT INTO facts (host_id, name, value) VALUES (5, 'osfamily', 'Debian')");

    await db.migrate();
    expect(await hasColumn()).toBe(true);
    expect(await db.dataSource.query('SELECT host_id, name, value, source FROM facts')).toEqual([{ host_id: 5, name: 'osfamily', value: 'Debian', source: null }]);
    await db.dataSource.query("INSERT INTO facts (host_id, name, value, source) VALUES (5, 'kernel', 'Linux', 'proxy')");

    await db.undoWhileApplied(ADD);
    expect(await hasColumn()).toBe(false);
    expect(await db.dataSource.query('SELECT host_id, name, value FROM facts ORDER BY name')).toEqual([{ host_id: 5, name: 'kernel', value: 'Linux' }, { host_id: 5, name: 'osfamily', value: 'Debian' }]);

    await db.migrate();
    expect(await hasColumn()).toBe(true);
  });
});

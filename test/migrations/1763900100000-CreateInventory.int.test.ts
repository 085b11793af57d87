import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const TABLES = ['organizations', 'locations', 'hostgroups', 'smart_proxies', 'hosts', 'facts'];

describe.each(testDatabases())('CreateInventory1763900100000 on $kind', (database) => {
  const db = useMigrationTestDatabase(database);

  async function present(): Promise<boolean[]> {
    return await Promise.all(TABLES.map((t) => db.hasTable(t)));
  }

  it('drops its tables when reverted and recreates them when run again', async () => {
    await db.dataSource.query("INSERT INTO hosts (name, created_at, updated_at) VALUES ('seeded.example.com', '2025-01-01 00:00:00.000', '2025-01-01 00:00:00.000')");
    // Revert down to (and including) this migration; later ones go first, as in a real rollback.
    await db.undoWhileApplied('CreateInventory1763900100000');
    expect(await present()).toEqual(TABLES.map(() => false));
    await db.migrate();
    expect(await present()).toEqual(TABLES.map(() => true));
  });

  it('refuses a second host with the same name in another letter case', async () => {
    const insert = "INSERT INTO hosts (name, created_at, updated_at) VALUES (?, '2025-01-01 00:00:00.000', '2025-01-01 00:00:00.000')";
    await db.dataSource.query(insert, ['case.example.com']);
    await expect(db.dataSource.query(insert, ['CASE.example.com'])).rejects.toThrow();
  });
});

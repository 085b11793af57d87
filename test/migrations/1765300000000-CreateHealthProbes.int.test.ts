import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const NAME = 'CreateHealthProbes1765300000000';

describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  async function hasTable(): Promise<boolean> {
    return await db.hasTable('health_probes');
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
    await db.undoWhileApplied(NAME);
    expect(await hasTable()).toBe(false);
    await db.migrate();
    expect(await hasTable()).toBe(true);
    expect(await db.dataSource.query('SELECT id, probed_by FROM health_probes')).toEqual([{ id: 1, probed_by: null }]);
    expect(await db.dataSource.query("SELECT login FROM users WHERE login = 'keep'")).toEqual([{ login: 'keep' }]);
  });
});

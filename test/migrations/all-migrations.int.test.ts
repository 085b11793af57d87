import { MIGRATIONS } from '@migrations/index';
import { openTestDataSource, testDatabases } from '@test/support/databases';

// The integration project's testTimeout does not reach jest-circus (it runs with the 5 s default);
// MariaDB DDL for every table, down and up again, takes longer than that on a loaded machine.
jest.setTimeout(60_000);

describe.each(testDatabases())('all migrations on $kind', (db) => {
  it('run up, down to nothing and up again with rows seeded in between', async () => {
    const scratch = await openTestDataSource(db, { migrate: false });
    try {
      const { dataSource } = scratch;
      const up = await dataSource.runMigrations({ transaction: 'each' });
      expect(up).toHaveLength(MIGRATIONS.length);
      await dataSource.query("INSERT INTO users (login, password_hash, admin, created_at, updated_at) VALUES ('seed', 'x', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')");
      for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
      const runner = dataSource.createQueryRunner();
      try {
        expect(await runner.hasTable('users')).toBe(false);
        expect(await runner.hasTable('hosts')).toBe(false);
      } finally {
        await runner.release();
      }
      const again = await dataSource.runMigrations({ transaction: 'each' });
      expect(again).toHaveLength(MIGRATIONS.length);
      expect(await dataSource.query('SELECT COUNT(*) AS n FROM users')).toEqual([{ n: expect.anything() }]);
    } finally {
      await scratch.close();
    }
  });
});

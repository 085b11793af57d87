import { createDataSource } from '@server/data-source';
import { openTestDataSource, testDatabases } from '@test/support/databases';

describe.each(testDatabases())(`${createDataSource.name} on $kind`, (database) => {
  it('commits every one of 20 transactions started at once', async () => {
    const db = await openTestDataSource(database);
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => db.dataSource.transaction(async (m) => {
        await m.query("INSERT INTO users (login, password_hash, admin, created_at, updated_at) VALUES (?, 'x', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')", [`tx-${i}`]);
        await new Promise((r) => setImmediate(r));
        await m.query('UPDATE users SET password_hash = ? WHERE login = ?', [`y-${i}`, `tx-${i}`]);
      })));
      const rows = (await db.dataSource.query("SELECT COUNT(*) AS n FROM users WHERE login LIKE 'tx-%' AND password_hash LIKE 'y-%'")) as Array<{ n: number | string }>;
      expect(Number(rows[0].n)).toBe(20);
    } finally {
      await db.close();
    }
  });
});

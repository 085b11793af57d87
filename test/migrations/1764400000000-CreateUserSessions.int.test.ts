import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const NOW = '2026-01-01 00:00:00.000';

describe.each(testDatabases())('CreateUserSessions1764400000000 on $kind', (database) => {
  const db = useMigrationTestDatabase(database);

  async function hasTable(): Promise<boolean> {
    return await db.hasTable('user_sessions');
  }

  it('drops user_sessions when reverted and recreates it when run again, keeping users', async () => {
    await db.dataSource.query(`INSERT INTO users (login, password_hash, admin, created_at, updated_at) VALUES ('keep', 'x', 0, '${NOW}', '${NOW}')`);
    await db.undoWhileApplied('CreateUserSessions1764400000000');
    expect(await hasTable()).toBe(false);
    await db.migrate();
    expect(await hasTable()).toBe(true);
    expect(await db.dataSource.query("SELECT login FROM users WHERE login = 'keep'")).toEqual([{ login: 'keep' }]);
  });

  it('deletes a user\'s sessions with the user', async () => {
    if (database.kind === 'sqlite') await db.dataSource.query('PRAGMA foreign_keys = ON');
    await db.dataSource.query(`INSERT INTO users (login, password_hash, admin, created_at, updated_at) VALUES ('gone', 'x', 0, '${NOW}', '${NOW}')`);
    const [{ id }] = (await db.dataSource.query("SELECT id FROM users WHERE login = 'gone'")) as Array<{ id: number }>;
    await db.dataSource.query(`INSERT INTO user_sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES (?, ?, 'c', '${NOW}', '${NOW}', '${NOW}')`, ['a'.repeat(64), id]);
    await db.dataSource.query('DELETE FROM users WHERE id = ?', [id]);
    expect(await db.dataSource.query('SELECT id FROM user_sessions WHERE user_id = ?', [id])).toEqual([]);
  });
});

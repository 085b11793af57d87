import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const NOW = '2026-01-01 00:00:00.000';

describe.each(testDatabases())('AddUserSessionCredentialStamp1765100100000 on $kind', (database) => {
  const db = useMigrationTestDatabase(database);

  async function columns(): Promise<string[]> {
    return (await db.table('user_sessions'))!.columns.map((c) => c.name);
  }

  it('adds credential_stamp, empty for existing sessions, and removes it when reverted, keeping the sessions', async () => {
    await db.dataSource.query(`INSERT INTO users (login, password_hash, admin, created_at, updated_at) VALUES ('stamped', 'x', 0, '${NOW}', '${NOW}')`);
    const [{ id }] = (await db.dataSource.query("SELECT id FROM users WHERE login = 'stamped'")) as Array<{ id: number }>;
    await db.undoWhileApplied('AddUserSessionCredentialStamp1765100100000');
    expect(await columns()).not.toContain('credential_stamp');
    await db.dataSource.query(`INSERT INTO user_sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES (?, ?, 'c', '${NOW}', '${NOW}', '${NOW}')`, ['b'.repeat(64), id]);
    await db.migrate();
    expect(await columns()).toContain('credential_stamp');
    expect(await db.dataSource.query('SELECT credential_stamp FROM user_sessions WHERE user_id = ?', [id])).toEqual([{ credential_stamp: null }]);
    await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await db.dataSource.query('SELECT user_id FROM user_sessions WHERE user_id = ?', [id])).toEqual([{ user_id: id }]);
    await db.migrate();
  });
});

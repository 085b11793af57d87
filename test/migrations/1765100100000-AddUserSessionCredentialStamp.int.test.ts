import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const NOW = '2026-01-01 00:00:00.000';

describe.each(testDatabases())('AddUserSessionCredentialStamp1765100100000 on $kind', (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  async function columns(): Promise<string[]> {
    const runner = db.dataSource.createQueryRunner();
    try {
      return (await runner.getTable('user_sessions'))!.columns.map((c) => c.name);
    } finally {
      await runner.release();
    }
  }

  it('adds credential_stamp, empty for existing sessions, and removes it when reverted, keeping the sessions', async () => {
    await db.dataSource.query(`INSERT INTO users (login, password_hash, admin, created_at, updated_at) VALUES ('stamped', 'x', 0, '${NOW}', '${NOW}')`);
    const [{ id }] = (await db.dataSource.query("SELECT id FROM users WHERE login = 'stamped'")) as Array<{ id: number }>;
    while ((await db.dataSource.query("SELECT name FROM migrations WHERE name = 'AddUserSessionCredentialStamp1765100100000'")).length > 0) {
      await db.dataSource.undoLastMigration({ transaction: 'each' });
    }
    expect(await columns()).not.toContain('credential_stamp');
    await db.dataSource.query(`INSERT INTO user_sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES (?, ?, 'c', '${NOW}', '${NOW}', '${NOW}')`, ['b'.repeat(64), id]);
    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await columns()).toContain('credential_stamp');
    expect(await db.dataSource.query('SELECT credential_stamp FROM user_sessions WHERE user_id = ?', [id])).toEqual([{ credential_stamp: null }]);
    await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await db.dataSource.query('SELECT user_id FROM user_sessions WHERE user_id = ?', [id])).toEqual([{ user_id: id }]);
    await db.dataSource.runMigrations({ transaction: 'each' });
  });
});

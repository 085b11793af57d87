import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

jest.setTimeout(60_000);

const TABLES = ['roles', 'filters', 'user_roles', 'user_organizations', 'user_locations', 'personal_access_tokens', 'audits'];
const T = "'2026-01-01 00:00:00.000'";

describe.each(testDatabases())('CreateAuthorization1764200000000 on $kind', (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  async function present(): Promise<boolean[]> {
    const runner = db.dataSource.createQueryRunner();
    try {
      return await Promise.all(TABLES.map((t) => runner.hasTable(t)));
    } finally {
      await runner.release();
    }
  }

  async function userColumns(): Promise<string[]> {
    const runner = db.dataSource.createQueryRunner();
    try {
      return (await runner.getTable('users'))!.columns.map((c) => c.name);
    } finally {
      await runner.release();
    }
  }

  it('refuses to change or delete an audit entry', async () => {
    await db.dataSource.query(`INSERT INTO audits (created_at, user_login, action, auditable_type) VALUES (${T}, 'admin', 'login', 'User')`);
    await expect(db.dataSource.query("UPDATE audits SET action = 'nothing'")).rejects.toThrow(/append-only/);
    await expect(db.dataSource.query('DELETE FROM audits')).rejects.toThrow(/append-only/);
    expect(await db.dataSource.query('SELECT action FROM audits')).toEqual([{ action: 'login' }]);
  });

  it('drops a role\'s filters and assignments with the role', async () => {
    await db.dataSource.query(`INSERT INTO users (id, login, password_hash, admin, created_at, updated_at) VALUES (50, 'cascade', 'x', 0, ${T}, ${T})`);
    await db.dataSource.query(`INSERT INTO roles (id, name, builtin, created_at, updated_at) VALUES (70, 'Cascade', 0, ${T}, ${T})`);
    await db.dataSource.query(`INSERT INTO filters (role_id, permissions, search, created_at, updated_at) VALUES (70, '["view_hosts"]', NULL, ${T}, ${T})`);
    await db.dataSource.query('INSERT INTO user_roles (user_id, role_id) VALUES (50, 70)');
    await db.dataSource.query('DELETE FROM roles WHERE id = 70');
    expect(Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM filters WHERE role_id = 70'))[0].n)).toBe(0);
    expect(Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM user_roles WHERE role_id = 70'))[0].n)).toBe(0);
  });

  it('removes its tables and user columns when reverted and adds them again when run again, keeping users', async () => {
    await db.dataSource.query(`INSERT INTO users (login, password_hash, admin, created_at, updated_at) VALUES ('survivor', 'x', 0, ${T}, ${T})`);
    while ((await db.dataSource.query("SELECT name FROM migrations WHERE name = 'CreateAuthorization1764200000000'")).length > 0) {
      await db.dataSource.undoLastMigration({ transaction: 'each' });
    }
    expect(await present()).toEqual(TABLES.map(() => false));
    expect(await userColumns()).not.toContain('disabled');
    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await present()).toEqual(TABLES.map(() => true));
    expect(await userColumns()).toEqual(expect.arrayContaining(['mail', 'firstname', 'lastname', 'disabled']));
    expect(await db.dataSource.query("SELECT login FROM users WHERE login = 'survivor'")).toEqual([{ login: 'survivor' }]);
  });
});

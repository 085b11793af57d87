import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

jest.setTimeout(60_000);

const TABLES = ['roles', 'filters', 'user_roles', 'user_organizations', 'user_locations', 'personal_access_tokens', 'audits'];
const T = "'2026-01-01 00:00:00.000'";

describe.each(testDatabases())('CreateAuthorization1764200000000 on $kind', (database) => {
  const db = useMigrationTestDatabase(database);

  async function present(): Promise<boolean[]> {
    return await Promise.all(TABLES.map((t) => db.hasTable(t)));
  }

  async function userColumns(): Promise<string[]> {
    return (await db.table('users'))!.columns.map((c) => c.name);
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
    await db.undoWhileApplied('CreateAuthorization1764200000000');
    expect(await present()).toEqual(TABLES.map(() => false));
    expect(await userColumns()).not.toContain('disabled');
    await db.migrate();
    expect(await present()).toEqual(TABLES.map(() => true));
    expect(await userColumns()).toEqual(expect.arrayContaining(['mail', 'firstname', 'lastname', 'disabled']));
    expect(await db.dataSource.query("SELECT login FROM users WHERE login = 'survivor'")).toEqual([{ login: 'survivor' }]);
  });
});

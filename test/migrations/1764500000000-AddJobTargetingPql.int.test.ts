import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const T = "'2025-01-01 00:00:00.000'";
const NAME = 'AddJobTargetingPql1764500000000';

describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  async function hasColumn(): Promise<boolean> {
    return await db.hasColumn('job_invocations', 'targeting_pql');
  }

  const hostNames = async () => (await db.dataSource.query('SELECT host_name FROM job_invocation_hosts WHERE job_invocation_id = 1')) as Array<{ host_name: string }>;

  it('keeps the seeded job and its host rows, dropping only the column when reverted, then adds it again', async () => {
    // Later migrations have their own tests; this one must be the last to be reverted alone.
    await db.undoLaterThan(NAME);
    await db.dataSource.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'rpcutil', 'ping', '{}', 'h1', ${T})`);
    await db.dataSource.query(`INSERT INTO job_invocations (id, remote_action_id, state, owner, timeout_s, ddl, targeting_pql, created_at, updated_at) VALUES (1, 1, 'queued', 'admin', 10, '{}', 'nodes[certname] { }', ${T}, ${T})`);
    await db.dataSource.query("INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, state) VALUES (1, 7, 'kept.example.com', 'succeeded')");
    expect(await hasColumn()).toBe(true);

    await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await hasColumn()).toBe(false);
    expect(await db.dataSource.query('SELECT id, owner FROM job_invocations')).toEqual([{ id: 1, owner: 'admin' }]);
    expect(await hostNames()).toEqual([{ host_name: 'kept.example.com' }]);

    await db.migrate();
    expect(await hasColumn()).toBe(true);
    expect(await db.dataSource.query('SELECT id, targeting_pql FROM job_invocations')).toEqual([{ id: 1, targeting_pql: null }]);
    // The way up rebuilt the table on SQLite once, and the rebuild cascaded into the host rows.
    expect(await hostNames()).toEqual([{ host_name: 'kept.example.com' }]);
    await db.dataSource.query("UPDATE job_invocations SET targeting_pql = 'inventory[certname] { facts.os.family = \"Debian\" }' WHERE id = 1");
  });
});

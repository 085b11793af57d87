import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const TABLES = ['remote_actions', 'job_invocations', 'job_invocation_hosts', 'job_invocation_proxies', 'job_invocation_fact_names'];
const T = "'2025-01-01 00:00:00.000'";

describe.each(testDatabases())('CreateJobTables1763900200000 on $kind', (database) => {
  const db = useMigrationTestDatabase(database);

  async function present(): Promise<boolean[]> {
    return await Promise.all(TABLES.map((t) => db.hasTable(t)));
  }

  async function seed(): Promise<void> {
    await db.dataSource.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'rpcutil', 'ping', '{}', 'h1', ${T})`);
    await db.dataSource.query(`INSERT INTO job_invocations (id, remote_action_id, state, owner, timeout_s, ddl, created_at, updated_at) VALUES (1, 1, 'queued', 'admin', 10, '{}', ${T}, ${T})`);
    await db.dataSource.query("INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, state) VALUES (1, 7, 'seeded.example.com', 'pending')");
    await db.dataSource.query("INSERT INTO job_invocation_proxies (job_invocation_id, smart_proxy_id, state) VALUES (1, 1, 'pending')");
    await db.dataSource.query("INSERT INTO job_invocation_fact_names (job_invocation_id, fact_name) VALUES (1, 'osfamily')");
  }

  it('drops its tables with their rows when reverted and recreates them when run again', async () => {
    await seed();
    await db.undoWhileApplied('CreateJobTables1763900200000');
    expect(await present()).toEqual(TABLES.map(() => false));
    await db.migrate();
    expect(await present()).toEqual(TABLES.map(() => true));
    await seed();
  });

  it('refuses a second row for the same host in one job', async () => {
    await expect(db.dataSource.query("INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, state) VALUES (1, 7, 'again', 'pending')")).rejects.toThrow();
  });

  it('refuses a second remote action with the same hash', async () => {
    await expect(db.dataSource.query(`INSERT INTO remote_actions (namespace, action, arguments, arguments_hash, created_at) VALUES ('rpcutil', 'ping', '{}', 'h1', ${T})`)).rejects.toThrow();
  });
});

import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const T = "'2026-01-01 00:00:00.000'";
const VALUES = 'CreateJobFactValues1765600000000';
const INDEX = 'AddJobHostNameIndex1765600100000';

/** The recorded fact values of jobs (CreateJobFactValues) and the (job, host name) index (AddJobHostNameIndex), down and up again. */
describe.each(testDatabases())(`${VALUES} and ${INDEX} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  async function schema(): Promise<{ table: boolean; index: boolean }> {
    const table = await db.hasTable('job_invocation_fact_values');
    const hosts = await db.table('job_invocation_hosts');
    return { table, index: Boolean(hosts?.indices.some((i) => i.name === 'idx_job_invocation_hosts_job_name')) };
  }
  const hostNames = async () => (await db.dataSource.query('SELECT host_name FROM job_invocation_hosts ORDER BY id')) as Array<{ host_name: string }>;

  it('creates the table and the index, keeps jobs and their hosts when undone, and applies again', async () => {
    expect(await schema()).toEqual({ table: true, index: true });
    await db.dataSource.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'rpcutil', 'ping', '{}', 'h1', ${T})`);
    await db.dataSource.query(`INSERT INTO job_invocations (id, remote_action_id, state, owner, timeout_s, ddl, created_at, updated_at) VALUES (1, 1, 'succeeded', 'admin', 10, '{}', ${T}, ${T})`);
    await db.dataSource.query("INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, state) VALUES (1, 7, 'kept.example.com', 'succeeded')");
    // Values equal under the table's case-insensitive collation are both kept, and both match either spelling.
    await db.dataSource.query("INSERT INTO job_invocation_fact_values (job_invocation_id, fact_name, value, host_count) VALUES (1, 'osfamily', 'Debian', 3), (1, 'osfamily', 'debian', 1)");
    expect(Number(((await db.dataSource.query("SELECT COUNT(*) AS n FROM job_invocation_fact_values WHERE fact_name = 'OSFAMILY' AND value = 'DEBIAN'")) as Array<{ n: unknown }>)[0].n)).toBe(2);

    await db.undoWhileApplied(VALUES);
    expect(await schema()).toEqual({ table: false, index: false });
    expect(await hostNames()).toEqual([{ host_name: 'kept.example.com' }]);

    await db.migrate();
    expect(await schema()).toEqual({ table: true, index: true });
    expect(await hostNames()).toEqual([{ host_name: 'kept.example.com' }]);
  });
});

import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const NAME = 'MergeJobHostHostIndex1765819830000';

jest.setTimeout(60_000);

/** Unique (host, job) in place of unique (job, host) and (host): down and up again, the rule holding in both. */
describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  const hostIndices = async () => Object.fromEntries(((await db.table('job_invocation_hosts'))?.indices ?? [])
    .filter((i) => i.columnNames.includes('host_id'))
    .map((i) => [i.name, { columns: i.columnNames, unique: i.isUnique }]));

  /** A job with one host row, and whether a second row of the same host in it is refused. */
  const refusesSameHostTwice = async (): Promise<boolean> => {
    const ds = db.dataSource;
    await ds.query("INSERT INTO remote_actions (namespace, action, arguments, arguments_hash, created_at) VALUES ('rpcutil', 'ping', '{}', ?, '2026-01-01 00:00:00')", [`merge-${Date.now()}-${Math.random()}`]);
    const [{ id: actionId }] = (await ds.query('SELECT MAX(id) AS id FROM remote_actions')) as Array<{ id: number }>;
    await ds.query("INSERT INTO job_invocations (remote_action_id, state, owner, timeout_s, ddl, created_at, updated_at) VALUES (?, 'queued', 'admin', 60, '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')", [actionId]);
    const [{ id: jobId }] = (await ds.query('SELECT MAX(id) AS id FROM job_invocations')) as Array<{ id: number }>;
    const row = "INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, state) VALUES (?, 7, 'h7.example.com', 'pending')";
    await ds.query(row, [jobId]);
    return ds.query(row, [jobId]).then(() => false, (error: Error) => /duplicate|unique/i.test(error.message));
  };

  it('replaces unique (job, host) and (host) with unique (host, job), puts them back when undone, and replaces them again', async () => {
    const after = { uq_job_invocation_hosts_host_job: { columns: ['host_id', 'job_invocation_id'], unique: true } };
    expect(await hostIndices()).toEqual(after);
    expect(await refusesSameHostTwice()).toBe(true);
    await db.undoWhileApplied(NAME);
    expect(await hostIndices()).toEqual({
      uq_job_invocation_hosts_job_host: { columns: ['job_invocation_id', 'host_id'], unique: true },
      idx_job_invocation_hosts_host: { columns: ['host_id'], unique: false },
    });
    expect(await refusesSameHostTwice()).toBe(true);
    await db.migrate();
    expect(await hostIndices()).toEqual(after);
    expect(await refusesSameHostTwice()).toBe(true);
  });
});

import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const T = "'2025-01-01 00:00:00.000'";
const NAME = 'AddLateResultsAndWholeReasons1765500000000';

jest.setTimeout(60_000);

describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  async function columns(): Promise<Record<string, boolean>> {
    return {
      late_at: await db.hasColumn('job_invocation_hosts', 'late_at'),
      count_late: await db.hasColumn('job_invocations', 'count_late'),
      reports_sent: await db.hasColumn('job_invocation_proxies', 'reports_sent'),
    };
  }

  const long = `${'word '.repeat(100)}end`;

  it('stores a 504-character reason whole, adds the late columns with their defaults, and goes down and up again keeping the rows', async () => {
    // Later migrations have their own tests; this one must be the last to be reverted alone.
    await db.undoLaterThan(NAME);
    await db.dataSource.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'rpcutil', 'ping', '{}', 'h1', ${T})`);
    await db.dataSource.query(`INSERT INTO job_invocations (id, remote_action_id, state, owner, timeout_s, ddl, created_at, updated_at) VALUES (1, 1, 'failed', 'admin', 10, '{}', ${T}, ${T})`);
    await db.dataSource.query('INSERT INTO job_invocation_proxies (job_invocation_id, smart_proxy_id, chunk, last_sequence, state) VALUES (1, 3, 1, 7, ?)', ['done']);
    await db.dataSource.query("INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, state, reason) VALUES (1, 7, 'kept.example.com', 'failed', ?)", [long]);
    expect(await columns()).toEqual({ late_at: true, count_late: true, reports_sent: true });
    expect(await db.dataSource.query('SELECT reason, late_at FROM job_invocation_hosts')).toEqual([{ reason: long, late_at: null }]);
    expect((await db.dataSource.query('SELECT count_late FROM job_invocations')) as Array<{ count_late: unknown }>).toEqual([{ count_late: 0 }]);
    expect((await db.dataSource.query('SELECT reports_sent FROM job_invocation_proxies')).map((r: { reports_sent: unknown }) => Number(r.reports_sent))).toEqual([0]);

    await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await columns()).toEqual({ late_at: false, count_late: false, reports_sent: false });
    const [down] = (await db.dataSource.query('SELECT host_name, reason FROM job_invocation_hosts')) as Array<{ host_name: string; reason: string }>;
    expect(down.host_name).toBe('kept.example.com');
    // MySQL has a 255-character column again and keeps the start with an ellipsis; SQLite never cut it.
    expect(down.reason.startsWith('word word')).toBe(true);
    if (database.kind === 'mysql') expect(down.reason).toHaveLength(255);

    await db.migrate();
    expect(await columns()).toEqual({ late_at: true, count_late: true, reports_sent: true });
    await db.dataSource.query('UPDATE job_invocation_hosts SET reason = ?', [long]);
    expect(await db.dataSource.query('SELECT host_name, reason FROM job_invocation_hosts')).toEqual([{ host_name: 'kept.example.com', reason: long }]);
  });
});

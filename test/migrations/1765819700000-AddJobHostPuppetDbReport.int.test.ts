import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const T = "'2026-01-01 00:00:00.000'";
const NAME = 'AddJobHostPuppetDbReport1765819700000';

/** job_invocation_hosts.puppetdb_report (AddJobHostPuppetDbReport): added as NULL to stored hosts, dropped again keeping them. */
describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  async function hasColumn(): Promise<boolean> {
    return await db.hasColumn('job_invocation_hosts', 'puppetdb_report');
  }

  it('adds puppetdb_report as NULL to stored job hosts, keeps a long report, and drops it again keeping the hosts', async () => {
    const ds = db.dataSource;
    await db.undoWhileApplied(NAME);
    expect(await hasColumn()).toBe(false);
    await ds.query(`INSERT INTO remote_actions (namespace, action, arguments, arguments_hash, created_at) VALUES ('puppet', 'runonce', '{}', 'mig-pdbreport', ${T})`);
    const [action] = (await ds.query("SELECT id FROM remote_actions WHERE arguments_hash = 'mig-pdbreport'")) as Array<{ id: number }>;
    await ds.query(`INSERT INTO job_invocations (remote_action_id, owner, description, state, timeout_s, ddl, version, last_event_seq, cancel_requested, created_at, updated_at)
      VALUES (?, 'admin', 'pdbreport', 'succeeded', 5, '{}', 1, 0, 0, ${T}, ${T})`, [Number(action.id)]);
    const [job] = (await ds.query("SELECT id FROM job_invocations WHERE description = 'pdbreport'")) as Array<{ id: number }>;
    await ds.query("INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, state, data) VALUES (?, 7, 'web-1.example.com', 'succeeded', '{\"run\":null}')", [Number(job.id)]);

    await db.migrate();
    expect(await hasColumn()).toBe(true);
    expect(await ds.query('SELECT host_name, puppetdb_report FROM job_invocation_hosts WHERE job_invocation_id = ?', [Number(job.id)])).toEqual([{ host_name: 'web-1.example.com', puppetdb_report: null }]);
    // A summary with a long reason must fit whole (TEXT, not a VARCHAR(255)).
    const report = JSON.stringify({ hash: null, reason: 'x'.repeat(5000) });
    await ds.query('UPDATE job_invocation_hosts SET puppetdb_report = ? WHERE job_invocation_id = ?', [report, Number(job.id)]);
    expect(((await ds.query('SELECT puppetdb_report FROM job_invocation_hosts WHERE job_invocation_id = ?', [Number(job.id)])) as Array<{ puppetdb_report: string }>)[0].puppetdb_report).toBe(report);

    await db.undoWhileApplied(NAME);
    expect(await hasColumn()).toBe(false);
    expect(await ds.query('SELECT host_name, state, data FROM job_invocation_hosts WHERE job_invocation_id = ?', [Number(job.id)])).toEqual([{ host_name: 'web-1.example.com', state: 'succeeded', data: '{"run":null}' }]);

    await db.migrate();
    expect(await hasColumn()).toBe(true);
  });
});

import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const NAME = 'ReplaceJobHostReportAwaitedIndex1765819790000';

/**
 * Puppet run hosts awaiting a report in a table of their own (ReplaceJobHostReportAwaitedIndex) in
 * place of an index over every host row: the up fills it with the Puppet run hosts still without a
 * report, the down puts the index back; up, down and up again.
 */
describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  const awaitedIndex = async () => (await db.table('job_invocation_hosts'))?.indices.some((i) => i.name === 'idx_job_invocation_hosts_report_awaited');
  const awaits = async () => ((await db.dataSource.query('SELECT job_invocation_id, job_invocation_host_id FROM job_host_report_awaits ORDER BY job_invocation_host_id')) as Array<Record<string, unknown>>)
    .map((r) => [Number(r.job_invocation_id), Number(r.job_invocation_host_id)]);

  /** A job of the action with hosts (name, report), written as the tables stand. */
  async function aJob(actionId: number, hosts: Array<[string, string | null]>): Promise<{ jobId: number; rowIds: number[] }> {
    const at = '2026-01-01 00:00:00';
    await db.dataSource.query("INSERT INTO job_invocations (remote_action_id, owner, description, timeout_s, ddl, total_hosts, count_succeeded, state, version, last_event_seq, cancel_requested, created_at, updated_at) VALUES (?, 'admin', 'mig', 60, '{}', ?, ?, 'succeeded', 1, 0, 0, ?, ?)", [actionId, hosts.length, hosts.length, at, at]);
    const [{ id }] = (await db.dataSource.query('SELECT MAX(id) AS id FROM job_invocations')) as Array<{ id: number }>;
    for (const [name, report] of hosts) {
      await db.dataSource.query("INSERT INTO job_invocation_hosts (job_invocation_id, host_name, state, statuscode, puppetdb_report) VALUES (?, ?, 'succeeded', 0, ?)", [Number(id), name, report]);
    }
    const rows = (await db.dataSource.query('SELECT id FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY id', [Number(id)])) as Array<{ id: number }>;
    return { jobId: Number(id), rowIds: rows.map((r) => Number(r.id)) };
  }

  async function anAction(namespace: string, action: string): Promise<number> {
    await db.dataSource.query("INSERT INTO remote_actions (namespace, action, arguments, arguments_hash, created_at) VALUES (?, ?, '{}', ?, '2026-01-01 00:00:00')", [namespace, action, `mig-${namespace}-${action}`]);
    const [{ id }] = (await db.dataSource.query('SELECT id FROM remote_actions WHERE arguments_hash = ?', [`mig-${namespace}-${action}`])) as Array<{ id: number }>;
    return Number(id);
  }

  it('moves the hosts awaiting a report from the index to their table, puts the index back when undone, and moves them again', async () => {
    expect(await db.lastApplied()).toBe(NAME);
    expect(await db.hasTable('job_host_report_awaits')).toBe(true);
    expect(await awaitedIndex()).toBe(false);

    await db.undoWhileApplied(NAME);
    expect(await db.hasTable('job_host_report_awaits')).toBe(false);
    expect(await awaitedIndex()).toBe(true);
    const run = await aJob(await anAction('puppet', 'runonce'), [['awaits.example.com', null], ['reported.example.com', '{"hash":"h"}']]);
    const other = await aJob(await anAction('puppet', 'status'), [['status.example.com', null]]);

    await db.migrate();
    expect(await awaitedIndex()).toBe(false);
    // Only the Puppet run host without a report awaits one; the other action's host never does.
    expect(await awaits()).toEqual([[run.jobId, run.rowIds[0]]]);
    expect(other.rowIds).toHaveLength(1);
    // The host rows' retention purge takes their awaits with them.
    await db.dataSource.query('DELETE FROM job_invocation_hosts WHERE job_invocation_id = ?', [run.jobId]);
    expect(await awaits()).toEqual([]);

    await db.undoWhileApplied(NAME);
    expect(await awaitedIndex()).toBe(true);
    await db.migrate();
    expect(await db.hasTable('job_host_report_awaits')).toBe(true);
    expect(await awaitedIndex()).toBe(false);
  });
});

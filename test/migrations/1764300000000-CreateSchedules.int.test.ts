import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const T = "'2026-01-01 00:00:00.000'";

describe.each(testDatabases())('CreateSchedules1764300000000 on $kind', (database) => {
  const db = useMigrationTestDatabase(database);

  async function tables(): Promise<boolean[]> {
    return await Promise.all(['schedules', 'schedule_runs'].map((t) => db.hasTable(t)));
  }

  async function jobColumns(): Promise<string[]> {
    return (await db.table('job_invocations'))!.columns.map((c) => c.name).filter((n) => n.startsWith('schedule'));
  }


  it('keeps existing jobs and their host rows when it runs down and up again', async () => {
    await db.undoLaterThan('CreateSchedules1764300000000');
    await db.dataSource.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'rpcutil', 'ping', '{}', 'h1', ${T})`);
    await db.dataSource.query(`INSERT INTO job_invocations (id, remote_action_id, state, owner, timeout_s, ddl, created_at, updated_at, schedule_id, scheduled_at) VALUES (1, 1, 'succeeded', 'admin', 10, '{}', ${T}, ${T}, 7, ${T})`);
    await db.dataSource.query("INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, state) VALUES (1, 7, 'kept.example.com', 'succeeded')");
    await db.dataSource.query(`INSERT INTO schedules (id, remote_action_id, owner_id, owner, targeting_search, targeting_type, timeout_s, ddl, start_at, created_at, updated_at) VALUES (7, 1, 1, 'admin', 'name ~ x', 'dynamic_query', 10, '{}', ${T}, ${T}, ${T})`);
    await db.dataSource.query(`INSERT INTO schedule_runs (schedule_id, occurrence_at, state, job_id, recorded_at) VALUES (7, ${T}, 'fired', 1, ${T})`);

    await db.undoWhileApplied('CreateSchedules1764300000000');
    expect(await tables()).toEqual([false, false]);
    expect(await jobColumns()).toEqual([]);
    expect(await db.dataSource.query('SELECT host_name FROM job_invocation_hosts WHERE job_invocation_id = 1')).toEqual([{ host_name: 'kept.example.com' }]);

    await db.migrate();
    expect(await tables()).toEqual([true, true]);
    expect((await jobColumns()).sort()).toEqual(['schedule_id', 'scheduled_at']);
    expect(await db.dataSource.query('SELECT host_name FROM job_invocation_hosts WHERE job_invocation_id = 1')).toEqual([{ host_name: 'kept.example.com' }]);
  });

  it('refuses a second run row for the same occurrence of a schedule', async () => {
    await db.dataSource.query(`INSERT INTO schedules (id, remote_action_id, owner_id, owner, targeting_search, targeting_type, timeout_s, ddl, start_at, created_at, updated_at) VALUES (8, 1, 1, 'admin', 'name ~ x', 'dynamic_query', 10, '{}', ${T}, ${T}, ${T})`);
    await db.dataSource.query(`INSERT INTO schedule_runs (schedule_id, occurrence_at, state, recorded_at) VALUES (8, ${T}, 'fired', ${T})`);
    await expect(db.dataSource.query(`INSERT INTO schedule_runs (schedule_id, occurrence_at, state, recorded_at) VALUES (8, ${T}, 'missed', ${T})`)).rejects.toThrow();
  });

  it('deletes the runs of a deleted schedule', async () => {
    await db.dataSource.query('DELETE FROM schedules WHERE id = 8');
    expect(await db.dataSource.query('SELECT id FROM schedule_runs WHERE schedule_id = 8')).toEqual([]);
  });
});

import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const T = "'2026-01-01 00:00:00.000'";

describe.each(testDatabases())('CreateSchedules1764300000000 on $kind', (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  async function tables(): Promise<boolean[]> {
    const runner = db.dataSource.createQueryRunner();
    try {
      return await Promise.all(['schedules', 'schedule_runs'].map((t) => runner.hasTable(t)));
    } finally {
      await runner.release();
    }
  }

  async function jobColumns(): Promise<string[]> {
    const runner = db.dataSource.createQueryRunner();
    try {
      return (await runner.getTable('job_invocations'))!.columns.map((c) => c.name).filter((n) => n.startsWith('schedule'));
    } finally {
      await runner.release();
    }
  }

  const ran = async (name: string) => (await db.dataSource.query('SELECT name FROM migrations WHERE name = ?', [name])).length > 0;
  const last = async () => ((await db.dataSource.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1')) as Array<{ name: string }>)[0]?.name;

  /** Reverts the migrations after this one (their own tests cover them), so this one is the last. */
  async function revertLater(): Promise<void> {
    while ((await last()) !== 'CreateSchedules1764300000000') await db.dataSource.undoLastMigration({ transaction: 'each' });
  }

  async function revert(): Promise<void> {
    while (await ran('CreateSchedules1764300000000')) await db.dataSource.undoLastMigration({ transaction: 'each' });
  }

  it('keeps existing jobs and their host rows when it runs down and up again', async () => {
    await revertLater();
    await db.dataSource.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'rpcutil', 'ping', '{}', 'h1', ${T})`);
    await db.dataSource.query(`INSERT INTO job_invocations (id, remote_action_id, state, owner, timeout_s, ddl, created_at, updated_at, schedule_id, scheduled_at) VALUES (1, 1, 'succeeded', 'admin', 10, '{}', ${T}, ${T}, 7, ${T})`);
    await db.dataSource.query("INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, state) VALUES (1, 7, 'kept.example.com', 'succeeded')");
    await db.dataSource.query(`INSERT INTO schedules (id, remote_action_id, owner_id, owner, targeting_search, targeting_type, timeout_s, ddl, start_at, created_at, updated_at) VALUES (7, 1, 1, 'admin', 'name ~ x', 'dynamic_query', 10, '{}', ${T}, ${T}, ${T})`);
    await db.dataSource.query(`INSERT INTO schedule_runs (schedule_id, occurrence_at, state, job_id, recorded_at) VALUES (7, ${T}, 'fired', 1, ${T})`);

    await revert();
    expect(await tables()).toEqual([false, false]);
    expect(await jobColumns()).toEqual([]);
    expect(await db.dataSource.query('SELECT host_name FROM job_invocation_hosts WHERE job_invocation_id = 1')).toEqual([{ host_name: 'kept.example.com' }]);

    await db.dataSource.runMigrations({ transaction: 'each' });
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

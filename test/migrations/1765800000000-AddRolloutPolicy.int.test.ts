import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const T = "'2025-01-01 00:00:00.000'";
const ADD = 'AddRolloutPolicy1765800000000';

/** The rollout columns of jobs and schedules (AddRolloutPolicy): added with their defaults to stored jobs, dropped again keeping the jobs. */
describe.each(testDatabases())(`${ADD} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  async function hasColumn(table: string, column: string): Promise<boolean> {
    return await db.hasColumn(table, column);
  }

  it('adds the rollout columns with their defaults to a stored job, and drops them again keeping it', async () => {
    await db.undoWhileApplied(ADD);
    expect(await hasColumn('job_invocations', 'rollout_batch')).toBe(false);
    await db.dataSource.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'rpcutil', 'ping', '{}', 'h1', ${T})`);
    await db.dataSource.query(`INSERT INTO job_invocations (id, remote_action_id, state, owner, timeout_s, ddl, created_at, updated_at) VALUES (1, 1, 'running', 'admin', 10, '{}', ${T}, ${T})`);

    await db.migrate();
    expect(await hasColumn('schedules', 'rollout_policy')).toBe(true);
    const [row] = (await db.dataSource.query('SELECT rollout_policy, rollout_batch, rollout_batch_done, paused, pause_reason, next_batch_at, rollout_stop_reason FROM job_invocations WHERE id = 1')) as Array<Record<string, unknown>>;
    expect({ ...row, rollout_batch: Number(row.rollout_batch), rollout_batch_done: Number(row.rollout_batch_done), paused: Number(row.paused) }).toEqual({ rollout_policy: null, rollout_batch: 0, rollout_batch_done: 0, paused: 0, pause_reason: null, next_batch_at: null, rollout_stop_reason: null });
    await db.dataSource.query(`UPDATE job_invocations SET rollout_policy = '{"batch_size":10}', rollout_batch = 2, paused = 1, pause_reason = 'paused by admin' WHERE id = 1`);

    await db.undoWhileApplied(ADD);
    expect(await hasColumn('job_invocations', 'rollout_policy')).toBe(false);
    expect(await hasColumn('schedules', 'rollout_policy')).toBe(false);
    expect(await db.dataSource.query('SELECT id, state FROM job_invocations')).toEqual([{ id: 1, state: 'running' }]);

    await db.migrate();
    expect(await hasColumn('job_invocations', 'paused')).toBe(true);
  });
});

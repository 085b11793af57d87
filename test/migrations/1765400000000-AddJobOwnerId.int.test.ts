import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const T = "'2025-01-01 00:00:00.000'";
const ADD = 'AddJobOwnerId1765400000000';
const BACKFILL = 'BackfillJobOwnerId1765400100000';

/** The owner_id column (AddJobOwnerId) and its backfill from the owner's login (BackfillJobOwnerId), down and up again. */
describe.each(testDatabases())(`${ADD} and ${BACKFILL} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  async function hasColumn(): Promise<boolean> {
    return await db.hasColumn('job_invocations', 'owner_id');
  }

  const owners = async () => (await db.dataSource.query('SELECT id, owner, owner_id FROM job_invocations ORDER BY id')) as Array<{ id: number; owner: string; owner_id: number | null }>;
  const hostNames = async () => (await db.dataSource.query('SELECT host_name FROM job_invocation_hosts ORDER BY id')) as Array<{ host_name: string }>;

  it('adds owner_id, fills it from the login (NULL for an owner that is gone), and drops it again keeping jobs and their hosts', async () => {
    await db.undoWhileApplied(ADD);
    expect(await hasColumn()).toBe(false);
    await db.dataSource.query(`INSERT INTO users (id, login, password_hash, admin, created_at, updated_at) VALUES (41, 'alice', 'x', 0, ${T}, ${T})`);
    await db.dataSource.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'rpcutil', 'ping', '{}', 'h1', ${T})`);
    for (const [id, owner] of [[1, 'alice'], [2, 'gone']] as const) {
      await db.dataSource.query(`INSERT INTO job_invocations (id, remote_action_id, state, owner, timeout_s, ddl, created_at, updated_at) VALUES (${id}, 1, 'succeeded', '${owner}', 10, '{}', ${T}, ${T})`);
    }
    await db.dataSource.query("INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, state) VALUES (1, 7, 'kept.example.com', 'succeeded')");

    await db.migrate();
    expect(await hasColumn()).toBe(true);
    expect((await owners()).map((r) => ({ ...r, owner_id: r.owner_id === null ? null : Number(r.owner_id) }))).toEqual([
      { id: 1, owner: 'alice', owner_id: 41 },
      { id: 2, owner: 'gone', owner_id: null },
    ]);

    await db.undoWhileApplied(ADD);
    expect(await hasColumn()).toBe(false);
    expect(await db.dataSource.query('SELECT id, owner FROM job_invocations ORDER BY id')).toEqual([{ id: 1, owner: 'alice' }, { id: 2, owner: 'gone' }]);
    expect(await hostNames()).toEqual([{ host_name: 'kept.example.com' }]);

    await db.migrate();
    expect(await hasColumn()).toBe(true);
    expect(await hostNames()).toEqual([{ host_name: 'kept.example.com' }]);
  });
});

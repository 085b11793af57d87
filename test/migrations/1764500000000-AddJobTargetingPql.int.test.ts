import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const T = "'2025-01-01 00:00:00.000'";
const NAME = 'AddJobTargetingPql1764500000000';

describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  async function hasColumn(): Promise<boolean> {
    const runner = db.dataSource.createQueryRunner();
    try {
      return await runner.hasColumn('job_invocations', 'targeting_pql');
    } finally {
      await runner.release();
    }
  }

  it('keeps the seeded job and drops only the column when reverted, then adds it again', async () => {
    await db.dataSource.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'rpcutil', 'ping', '{}', 'h1', ${T})`);
    await db.dataSource.query(`INSERT INTO job_invocations (id, remote_action_id, state, owner, timeout_s, ddl, targeting_pql, created_at, updated_at) VALUES (1, 1, 'queued', 'admin', 10, '{}', 'nodes[certname] { }', ${T}, ${T})`);
    expect(await hasColumn()).toBe(true);

    await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await hasColumn()).toBe(false);
    expect(await db.dataSource.query('SELECT id, owner FROM job_invocations')).toEqual([{ id: 1, owner: 'admin' }]);

    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await hasColumn()).toBe(true);
    expect(await db.dataSource.query('SELECT id, targeting_pql FROM job_invocations')).toEqual([{ id: 1, targeting_pql: null }]);
    await db.dataSource.query("UPDATE job_invocations SET targeting_pql = 'inventory[certname] { facts.os.family = \"Debian\" }' WHERE id = 1");
  });
});

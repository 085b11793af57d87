import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const NAME = 'AddJobHostStateNameIndex1765819740000';

/** A job's hosts by state and name (AddJobHostStateNameIndex) in place of (job, state): down and up again. */
describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  const applied = async () => ((await db.dataSource.query('SELECT name FROM migrations WHERE name = ?', [NAME])) as unknown[]).length > 0;

  const indices = async () => {
    const runner = db.dataSource.createQueryRunner();
    try {
      const table = await runner.getTable('job_invocation_hosts');
      return Object.fromEntries((table?.indices ?? []).filter((i) => i.name?.startsWith('idx_job_invocation_hosts_job_state')).map((i) => [i.name, i.columnNames]));
    } finally {
      await runner.release();
    }
  };

  it('replaces the (job, state) index with (job, state, host name), puts it back when undone, and replaces it again', async () => {
    const after = { idx_job_invocation_hosts_job_state_name: ['job_invocation_id', 'state', 'host_name'] };
    expect(await indices()).toEqual(after);
    // Undo down to this migration: later ones come off first.
    while (await applied()) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await indices()).toEqual({ idx_job_invocation_hosts_job_state: ['job_invocation_id', 'state'] });
    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await indices()).toEqual(after);
  });
});

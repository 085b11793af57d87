import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const NAME = 'AddJobFinishedAtIndex1765819200000';

/** The index of jobs by the time they ended (AddJobFinishedAtIndex), down and up again. */
describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  const applied = async () => ((await db.dataSource.query('SELECT name FROM migrations WHERE name = ?', [NAME])) as unknown[]).length > 0;

  const indexed = async () => {
    const runner = db.dataSource.createQueryRunner();
    try {
      return Boolean((await runner.getTable('job_invocations'))?.indices.some((i) => i.name === 'idx_job_invocations_finished_at'));
    } finally {
      await runner.release();
    }
  };

  it('adds the index, drops it when undone, and adds it again', async () => {
    expect(await indexed()).toBe(true);
    // Undo down to this migration: later ones come off first.
    while (await applied()) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await indexed()).toBe(false);
    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await indexed()).toBe(true);
  });
});

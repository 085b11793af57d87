import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const NAME = 'AddJobFinishedAtIndex1765819200000';

/** The index of jobs by the time they ended (AddJobFinishedAtIndex), down and up again. */
describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  const indexed = async () => {
    return Boolean((await db.table('job_invocations'))?.indices.some((i) => i.name === 'idx_job_invocations_finished_at'));
  };

  it('adds the index, drops it when undone, and adds it again', async () => {
    expect(await indexed()).toBe(true);
    // Undo down to this migration: later ones come off first.
    await db.undoWhileApplied(NAME);
    expect(await indexed()).toBe(false);
    await db.migrate();
    expect(await indexed()).toBe(true);
  });
});

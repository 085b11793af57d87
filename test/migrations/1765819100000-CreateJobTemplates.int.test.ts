import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const T = "'2026-01-01 00:00:00.000'";
const NAME = 'CreateJobTemplates1765819100000';

/** The job templates table (CreateJobTemplates), down and up again, with a row of Unicode text. */
describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  const hasTable = async () => {
    return await db.hasTable('job_templates');
  };

  it('creates the table with a unique name, drops it when undone, and applies again', async () => {
    expect(await hasTable()).toBe(true);
    const insert = () => db.dataSource.query(`INSERT INTO job_templates (name, description_format, namespace, action, arguments, inputs, created_at, updated_at) VALUES ('Neustart ✓', 'Neustart von %{service} 🚀', 'service', 'restart', '{}', '[]', ${T}, ${T})`);
    await insert();
    expect(((await db.dataSource.query("SELECT description_format FROM job_templates WHERE name = 'Neustart ✓'")) as Array<{ description_format: string }>)[0].description_format).toBe('Neustart von %{service} 🚀');
    await expect(insert()).rejects.toThrow();
    await db.undoWhileApplied(NAME);
    expect(await hasTable()).toBe(false);
    await db.migrate();
    expect(await hasTable()).toBe(true);
  });
});

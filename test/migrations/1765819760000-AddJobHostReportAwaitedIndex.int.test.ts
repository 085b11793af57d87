import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const NAME = 'AddJobHostReportAwaitedIndex1765819760000';

/** A job's hosts without a PuppetDB report (AddJobHostReportAwaitedIndex): there, gone when undone, there again. */
describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  const applied = async () => ((await db.dataSource.query('SELECT name FROM migrations WHERE name = ?', [NAME])) as unknown[]).length > 0;

  const index = async () => {
    const runner = db.dataSource.createQueryRunner();
    try {
      const found = (await runner.getTable('job_invocation_hosts'))?.indices.find((i) => i.name === 'idx_job_invocation_hosts_report_awaited');
      return found && { columns: found.columnNames, where: found.where || undefined };
    } finally {
      await runner.release();
    }
  };

  // SQLite: a partial index of the rows with no report; MariaDB: a prefix of the report (TEXT) after the job.
  const expected = () => (db.kind === 'sqlite' ? { columns: ['job_invocation_id'], where: expect.stringMatching(/puppetdb_report IS NULL/i) } : { columns: ['job_invocation_id', 'puppetdb_report'], where: undefined });

  const last = async () => ((await db.dataSource.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1')) as Array<{ name: string }>)[0]?.name;

  it('adds the index of hosts awaiting a report, drops it when undone, and adds it again', async () => {
    await db.dataSource.query("INSERT INTO remote_actions (namespace, action, arguments, arguments_hash, created_at) VALUES ('puppet', 'runonce', '{}', 'mig-awaited', '2026-01-01 00:00:00')");
    // Later migrations come off first (ReplaceJobHostReportAwaitedIndex drops the index again).
    while ((await last()) !== NAME) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await index()).toEqual(expected());
    while (await applied()) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await index()).toBeUndefined();
    await db.dataSource.runMigrations({ transaction: 'each' });
    // Replaced by the table of awaited reports (ReplaceJobHostReportAwaitedIndex's own test).
    expect(await index()).toBeUndefined();
    while ((await last()) !== NAME) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await index()).toEqual(expected());
    expect(await db.dataSource.query("SELECT COUNT(*) AS n FROM remote_actions WHERE arguments_hash = 'mig-awaited'")).toEqual([{ n: expect.anything() }]);
  });
});

import { MIGRATIONS } from '@migrations/index';
import { ConvertTablesToUtf8mb41765200000000 } from '@migrations/1765200000000-ConvertTablesToUtf8mb4';
import { tablesNotUtf8mb4, useUtf8mb4 } from '@migrations/utf8mb4';
import { Table } from 'typeorm';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

// MariaDB rebuilds every table once on the way up; slower than the default on a loaded machine.
jest.setTimeout(120_000);

const T = "'2025-01-01 00:00:00.000'";
const TEXT = 'café 💩 日本語 Ελληνικά';
const NAME = 'ConvertTablesToUtf8mb41765200000000';

describe.each(testDatabases())(`${NAME} on $kind, on a database whose default character set is latin1`, (database) => {
  let db: OpenTestDataSource;

  beforeEach(async () => {
    db = await openTestDataSource(database, { migrate: false, characterSet: 'latin1' });
  });

  afterEach(async () => {
    await db?.close();
  });

  const query = (sql: string, params?: unknown[]) => db.dataSource.query(sql, params) as Promise<Array<Record<string, unknown>>>;

  async function withRunner<T>(fn: (runner: ReturnType<typeof db.dataSource.createQueryRunner>) => Promise<T>): Promise<T> {
    const runner = db.dataSource.createQueryRunner();
    try {
      return await fn(runner);
    } finally {
      await runner.release();
    }
  }

  it('leaves every table and text column utf8mb4_unicode_ci, and text beyond Latin-1 round-trips', async () => {
    await db.dataSource.runMigrations({ transaction: 'each' });
    if (database.kind === 'mysql') {
      expect(await withRunner(tablesNotUtf8mb4)).toEqual([]);
      const tables = await query("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_COLLATION = 'utf8mb4_unicode_ci'");
      expect(Number(tables[0].n)).toBeGreaterThan(15);
      expect(await query('SELECT @@character_set_database AS cs, @@collation_database AS co')).toEqual([{ cs: 'utf8mb4', co: 'utf8mb4_unicode_ci' }]);
    }
    await query(`INSERT INTO roles (name, description, builtin, created_at, updated_at) VALUES (?, ?, 0, ${T}, ${T})`, [`rôle ${TEXT}`, TEXT]);
    await query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'rpcutil', 'ping', ?, 'h1', ${T})`, [JSON.stringify({ note: TEXT })]);
    await query(`INSERT INTO job_invocations (id, remote_action_id, state, owner, description, timeout_s, ddl, created_at, updated_at) VALUES (1, 1, 'queued', 'admin', ?, 10, '{}', ${T}, ${T})`, [TEXT]);
    expect(await query('SELECT name, description FROM roles WHERE description = ?', [TEXT])).toEqual([{ name: `rôle ${TEXT}`, description: TEXT }]);
    expect(await query('SELECT description FROM job_invocations WHERE id = 1')).toEqual([{ description: TEXT }]);
    expect(JSON.parse(String((await query('SELECT arguments FROM remote_actions WHERE id = 1'))[0].arguments))).toEqual({ note: TEXT });
  });

  it('keeps rows written before it, and its way down leaves the tables as they are', async () => {
    const upTo = MIGRATIONS.findIndex((m) => m.name === NAME);
    await withRunner(async (runner) => {
      for (const Migration of MIGRATIONS.slice(0, upTo)) await new Migration().up(runner);
    });
    await query(`INSERT INTO roles (name, description, builtin, created_at, updated_at) VALUES ('latin', 'Grüße', 0, ${T}, ${T})`);
    if (database.kind === 'mysql') expect(await withRunner(tablesNotUtf8mb4)).toContain('roles');
    await withRunner((runner) => new ConvertTablesToUtf8mb41765200000000().up(runner));
    expect(await query("SELECT description FROM roles WHERE name = 'latin'")).toEqual([{ description: 'Grüße' }]);
    await withRunner(() => new ConvertTablesToUtf8mb41765200000000().down());
    if (database.kind === 'mysql') expect(await withRunner(tablesNotUtf8mb4)).toEqual([]);
  });

  /** Migrations whose table the very next migration converts (1765300100000-ConvertHealthProbesToUtf8mb4). */
  const FIXED_BY_NEXT = new Set(['CreateHealthProbes1765300000000']);

  it('keeps every later migration utf8mb4 even where the database default went back to latin1 (a dump restored elsewhere)', async () => {
    const from = MIGRATIONS.findIndex((m) => m.name === NAME);
    await withRunner(async (runner) => {
      for (const [i, Migration] of MIGRATIONS.entries()) {
        if (i > from && database.kind === 'mysql') await runner.query('ALTER DATABASE CHARACTER SET latin1 COLLATE latin1_swedish_ci');
        await new Migration().up(runner);
        // A released migration that missed the rule is fixed by the one after it, never edited.
        if (i >= from && database.kind === 'mysql' && !FIXED_BY_NEXT.has(Migration.name)) expect({ migration: Migration.name, tables: await tablesNotUtf8mb4(runner) }).toEqual({ migration: Migration.name, tables: [] });
      }
      // What a migration that creates a table does (STYLE.md §8): createTable, then useUtf8mb4.
      if (database.kind === 'mysql') await runner.query('ALTER DATABASE CHARACTER SET latin1 COLLATE latin1_swedish_ci');
      await runner.createTable(new Table({ name: 'later_table', columns: [{ name: 'id', type: 'integer', isPrimary: true }, { name: 'label', type: 'varchar', length: '191' }] }));
      if (database.kind === 'mysql') expect(await tablesNotUtf8mb4(runner)).toEqual(['later_table']);
      await useUtf8mb4(runner, ['later_table']);
      if (database.kind === 'mysql') expect(await tablesNotUtf8mb4(runner)).toEqual([]);
      await runner.query('INSERT INTO later_table (id, label) VALUES (1, ?)', [TEXT]);
      expect(await runner.query('SELECT label FROM later_table')).toEqual([{ label: TEXT }]);
    });
  });
});

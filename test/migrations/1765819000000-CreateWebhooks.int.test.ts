import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const T = "'2026-01-01 00:00:00.000'";
const NAME = 'CreateWebhooks1765819000000';

/** The webhooks and their deliveries (CreateWebhooks), down and up again, with rows in them. */
describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  const applied = async () => ((await db.dataSource.query('SELECT name FROM migrations WHERE name = ?', [NAME])) as unknown[]).length > 0;
  const tables = async () => {
    const runner = db.dataSource.createQueryRunner();
    try {
      return { webhooks: await runner.hasTable('webhooks'), deliveries: await runner.hasTable('webhook_deliveries') };
    } finally {
      await runner.release();
    }
  };

  it('creates both tables, holds a delivery once per webhook, job and event, drops them when undone, and applies again', async () => {
    expect(await tables()).toEqual({ webhooks: true, deliveries: true });
    await db.dataSource.query(`INSERT INTO webhooks (name, url, secret, events, enabled, created_at, updated_at) VALUES ('ci ✓', 'http://ci/hook', 'sixteen-chars-secret', 'job_failed', 1, ${T}, ${T})`);
    const [{ id }] = (await db.dataSource.query("SELECT id FROM webhooks WHERE name = 'ci ✓'")) as Array<{ id: number }>;
    const delivery = (uuid: string) => db.dataSource.query(`INSERT INTO webhook_deliveries (webhook_id, delivery_uuid, event, job_invocation_id, payload, state, attempts, next_attempt_at, created_at) VALUES (?, ?, 'job_failed', 7, '{}', 'pending', 0, ${T}, ${T})`, [id, uuid]);
    await delivery('00000000-0000-0000-0000-000000000001');
    await expect(delivery('00000000-0000-0000-0000-000000000002')).rejects.toThrow();

    while (await applied()) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await tables()).toEqual({ webhooks: false, deliveries: false });
    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await tables()).toEqual({ webhooks: true, deliveries: true });
  });
});

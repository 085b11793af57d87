import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const T = "'2026-01-01 00:00:00.000'";
const NAME = 'CreateWebhooks1765819000000';

/** The webhooks and their deliveries (CreateWebhooks), down and up again, with rows in them. */
describe.each(testDatabases())(`${NAME} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  const tables = async () => {
    return { webhooks: await db.hasTable('webhooks'), deliveries: await db.hasTable('webhook_deliveries') };
  };

  it('creates both tables, holds a delivery once per webhook, job and event, drops them when undone, and applies again', async () => {
    expect(await tables()).toEqual({ webhooks: true, deliveries: true });
    await db.dataSource.query(`INSERT INTO webhooks (name, url, secret, events, enabled, created_at, updated_at) VALUES ('ci ✓', 'http://ci/hook', 'sixteen-chars-secret', 'job_failed', 1, ${T}, ${T})`);
    const [{ id }] = (await db.dataSource.query("SELECT id FROM webhooks WHERE name = 'ci ✓'")) as Array<{ id: number }>;
    const delivery = (uuid: string) => db.dataSource.query(`INSERT INTO webhook_deliveries (webhook_id, delivery_uuid, event, job_invocation_id, payload, state, attempts, next_attempt_at, created_at) VALUES (?, ?, 'job_failed', 7, '{}', 'pending', 0, ${T}, ${T})`, [id, uuid]);
    await delivery('00000000-0000-0000-0000-000000000001');
    await expect(delivery('00000000-0000-0000-0000-000000000002')).rejects.toThrow();

    await db.undoWhileApplied(NAME);
    expect(await tables()).toEqual({ webhooks: false, deliveries: false });
    await db.migrate();
    expect(await tables()).toEqual({ webhooks: true, deliveries: true });
  });
});

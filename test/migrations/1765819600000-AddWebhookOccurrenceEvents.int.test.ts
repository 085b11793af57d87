import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const T = "'2025-01-01 00:00:00.000'";
const ADD = 'AddWebhookOccurrenceEvents1765819600000';

/**
 * webhook_deliveries.schedule_run_id (AddWebhookOccurrenceEvents): stored job deliveries get 0 and
 * stay unique per (webhook, job, event); occurrence deliveries are unique per schedule run; undone,
 * the job deliveries are kept and the occurrence ones go with the column.
 */
describe.each(testDatabases())(`${ADD} on $kind`, (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  const hasColumn = async (): Promise<boolean> => {
    const runner = db.dataSource.createQueryRunner();
    try {
      return await runner.hasColumn('webhook_deliveries', 'schedule_run_id');
    } finally {
      await runner.release();
    }
  };
  const applied = async (name: string) => ((await db.dataSource.query('SELECT name FROM migrations WHERE name = ?', [name])) as unknown[]).length > 0;
  const deliver = (uuid: string, event: string, job: number, run?: number) =>
    db.dataSource.query(
      `INSERT INTO webhook_deliveries (webhook_id, delivery_uuid, event, job_invocation_id${run === undefined ? '' : ', schedule_run_id'}, payload, state, attempts, next_attempt_at, created_at) VALUES (1, ?, ?, ?${run === undefined ? '' : ', ?'}, '{}', 'pending', 0, ${T}, ${T})`,
      run === undefined ? [uuid, event, job] : [uuid, event, job, run],
    );

  it('adds schedule_run_id as 0 to stored deliveries, keys occurrences by it, and drops it again keeping job deliveries', async () => {
    while (await applied(ADD)) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await hasColumn()).toBe(false);
    await db.dataSource.query(`INSERT INTO webhooks (id, name, url, secret, events, enabled, created_at, updated_at) VALUES (1, 'w', 'http://x', 's', 'job_failed', 1, ${T}, ${T})`);
    await deliver('u-1', 'job_failed', 7);

    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await hasColumn()).toBe(true);
    expect(await db.dataSource.query('SELECT delivery_uuid, schedule_run_id FROM webhook_deliveries')).toEqual([{ delivery_uuid: 'u-1', schedule_run_id: 0 }]);
    await expect(deliver('u-2', 'job_failed', 7)).rejects.toThrow();
    // Two occurrences without a job: one delivery each; the same run twice is refused.
    await deliver('u-3', 'schedule_occurrence_fired', 0, 11);
    await deliver('u-4', 'schedule_occurrence_fired', 0, 12);
    await expect(deliver('u-5', 'schedule_occurrence_fired', 0, 12)).rejects.toThrow();

    while (await applied(ADD)) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await hasColumn()).toBe(false);
    expect(await db.dataSource.query('SELECT delivery_uuid FROM webhook_deliveries')).toEqual([{ delivery_uuid: 'u-1' }]);

    await db.dataSource.runMigrations({ transaction: 'each' });
    expect(await hasColumn()).toBe(true);
  });
});

import { testDatabases } from '@test/support/databases';
import { useMigrationTestDatabase } from './support/migration-test';

const T = "'2025-01-01 00:00:00.000'";
const ADD = 'AddWebhookOccurrenceEvents1765819600000';

/**
 * webhook_deliveries.schedule_run_id (AddWebhookOccurrenceEvents): stored job deliveries get 0 and
 * stay unique per (webhook, job, event); occurrence deliveries are unique per schedule run; undone,
 * the job deliveries are kept and the occurrence ones go with the column.
 */
describe.each(testDatabases())(`${ADD} on $kind`, (database) => {
  const db = useMigrationTestDatabase(database);

  const hasColumn = async (): Promise<boolean> => {
    return await db.hasColumn('webhook_deliveries', 'schedule_run_id');
  };
  const deliver = (uuid: string, event: string, job: number, run?: number) =>
    db.dataSource.query(
      `INSERT INTO webhook_deliveries (webhook_id, delivery_uuid, event, job_invocation_id${run === undefined ? '' : ', schedule_run_id'}, payload, state, attempts, next_attempt_at, created_at) VALUES (1, ?, ?, ?${run === undefined ? '' : ', ?'}, '{}', 'pending', 0, ${T}, ${T})`,
      run === undefined ? [uuid, event, job] : [uuid, event, job, run],
    );

  it('adds schedule_run_id as 0 to stored deliveries, keys occurrences by it, and drops it again keeping job deliveries', async () => {
    await db.undoWhileApplied(ADD);
    expect(await hasColumn()).toBe(false);
    await db.dataSource.query(`INSERT INTO webhooks (id, name, url, secret, events, enabled, created_at, updated_at) VALUES (1, 'w', 'http://x', 's', 'job_failed', 1, ${T}, ${T})`);
    await deliver('u-1', 'job_failed', 7);

    await db.migrate();
    expect(await hasColumn()).toBe(true);
    expect(await db.dataSource.query('SELECT delivery_uuid, schedule_run_id FROM webhook_deliveries')).toEqual([{ delivery_uuid: 'u-1', schedule_run_id: 0 }]);
    await expect(deliver('u-2', 'job_failed', 7)).rejects.toThrow();
    // Two occurrences without a job: one delivery each; the same run twice is refused.
    await deliver('u-3', 'schedule_occurrence_fired', 0, 11);
    await deliver('u-4', 'schedule_occurrence_fired', 0, 12);
    await expect(deliver('u-5', 'schedule_occurrence_fired', 0, 12)).rejects.toThrow();

    await db.undoWhileApplied(ADD);
    expect(await hasColumn()).toBe(false);
    expect(await db.dataSource.query('SELECT delivery_uuid FROM webhook_deliveries')).toEqual([{ delivery_uuid: 'u-1' }]);

    await db.migrate();
    expect(await hasColumn()).toBe(true);
  });
});

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook events beyond a job's end (issue #19): `job_created` and `schedule_occurrence_fired`. A
 * delivery now names the schedule run it reports (0 for job events), and an occurrence without a
 * job stores job 0, so the unique key becomes (webhook, job, schedule run, event): each job event
 * and each occurrence is still enqueued once, however many instances see it.
 */
export class AddWebhookOccurrenceEvents1765819600000 implements MigrationInterface {
  name = 'AddWebhookOccurrenceEvents1765819600000';

  // Plain ALTER TABLE on purpose (as AddForemanIds): TypeORM's addColumn rebuilds the table on SQLite.
  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.query('ALTER TABLE webhook_deliveries ADD COLUMN schedule_run_id integer NOT NULL DEFAULT 0');
    // The new index first: MariaDB's foreign key on webhook_id needs an index that starts with it at all times.
    await queryRunner.query('CREATE UNIQUE INDEX uq_webhook_deliveries_subject_event ON webhook_deliveries (webhook_id, job_invocation_id, schedule_run_id, event)');
    await queryRunner.query(mysql ? 'DROP INDEX uq_webhook_deliveries_job_event ON webhook_deliveries' : 'DROP INDEX uq_webhook_deliveries_job_event');
    // The dispatcher looks for runs recorded since a webhook was made.
    await queryRunner.query('CREATE INDEX idx_schedule_runs_recorded_at ON schedule_runs (recorded_at)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    // Occurrence deliveries cannot be told apart without the column; they go with it.
    await queryRunner.query(mysql ? 'DROP INDEX idx_schedule_runs_recorded_at ON schedule_runs' : 'DROP INDEX idx_schedule_runs_recorded_at');
    await queryRunner.query('DELETE FROM webhook_deliveries WHERE schedule_run_id <> 0');
    await queryRunner.query('CREATE UNIQUE INDEX uq_webhook_deliveries_job_event ON webhook_deliveries (webhook_id, job_invocation_id, event)');
    await queryRunner.query(mysql ? 'DROP INDEX uq_webhook_deliveries_subject_event ON webhook_deliveries' : 'DROP INDEX uq_webhook_deliveries_subject_event');
    await queryRunner.query('ALTER TABLE webhook_deliveries DROP COLUMN schedule_run_id');
  }
}

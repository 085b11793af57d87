import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * Jobs by the time they ended: the webhook dispatcher looks every few seconds for jobs that ended
 * since a webhook was made (webhooks/webhook.repository.ts endedJobsWithoutDelivery); without this
 * index each look read every job.
 */
export class AddJobFinishedAtIndex1765819200000 implements MigrationInterface {
  name = 'AddJobFinishedAtIndex1765819200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('job_invocations', new TableIndex({ name: 'idx_job_invocations_finished_at', columnNames: ['finished_at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('job_invocations', 'idx_job_invocations_finished_at');
  }
}

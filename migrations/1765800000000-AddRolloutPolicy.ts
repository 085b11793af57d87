import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rollout policies (issue 17): the policy of a job and of a schedule (JSON, as given), and where a
 * job's rollout stands: batches sent, the last batch whose gate (pause, canary wait, threshold) was
 * decided, whether it is paused and why, when the next batch may start, and why no further batch is
 * sent. They live in the job row so that a restarted or another instance carries on at the right
 * batch and never skips a pause (docs/RELIABILITY.md, "Batches").
 */
export class AddRolloutPolicy1765800000000 implements MigrationInterface {
  name = 'AddRolloutPolicy1765800000000';

  // Plain ALTER TABLE on purpose (as AddLateResultsAndWholeReasons): TypeORM's addColumn rebuilds the
  // table on SQLite, and dropping the old job_invocations cascades into job_invocation_hosts. The
  // tables are utf8mb4 on MySQL already (ConvertTablesToUtf8mb4): new text columns inherit it.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE job_invocations ADD COLUMN rollout_policy text NULL');
    await queryRunner.query('ALTER TABLE job_invocations ADD COLUMN rollout_batch integer NOT NULL DEFAULT 0');
    await queryRunner.query('ALTER TABLE job_invocations ADD COLUMN rollout_batch_done integer NOT NULL DEFAULT 0');
    await queryRunner.query('ALTER TABLE job_invocations ADD COLUMN paused boolean NOT NULL DEFAULT 0');
    await queryRunner.query('ALTER TABLE job_invocations ADD COLUMN pause_reason text NULL');
    await queryRunner.query('ALTER TABLE job_invocations ADD COLUMN next_batch_at datetime(3) NULL');
    await queryRunner.query('ALTER TABLE job_invocations ADD COLUMN rollout_stop_reason text NULL');
    await queryRunner.query('ALTER TABLE schedules ADD COLUMN rollout_policy text NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE schedules DROP COLUMN rollout_policy');
    for (const column of ['rollout_stop_reason', 'next_batch_at', 'pause_reason', 'paused', 'rollout_batch_done', 'rollout_batch', 'rollout_policy']) {
      await queryRunner.query(`ALTER TABLE job_invocations DROP COLUMN ${column}`);
    }
  }
}

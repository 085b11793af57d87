import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A job's owner by user id, beside its login: a job without host rows (scheduled, purged, matching
 * no host) is visible to its owner, and a login can change or be taken by a new user, an id cannot.
 */
export class AddJobOwnerId1765400000000 implements MigrationInterface {
  name = 'AddJobOwnerId1765400000000';

  // Plain ALTER TABLE on purpose (as AddJobTargetingPql): TypeORM's addColumn/dropColumn rebuild the
  // table on SQLite, and dropping the old job_invocations cascades into job_invocation_hosts.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE job_invocations ADD COLUMN owner_id integer NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE job_invocations DROP COLUMN owner_id');
  }
}

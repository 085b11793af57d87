import { MigrationInterface, QueryRunner } from 'typeorm';

/** A job's PuppetDB targeting (`pql`), stored as the user wrote it like the other targetings. */
export class AddJobTargetingPql1764500000000 implements MigrationInterface {
  name = 'AddJobTargetingPql1764500000000';

  // Plain ALTER TABLE on purpose (as CreateSchedules): TypeORM's addColumn/dropColumn rebuild the
  // table on SQLite, and dropping the old job_invocations cascades into job_invocation_hosts.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE job_invocations ADD COLUMN targeting_pql text NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE job_invocations DROP COLUMN targeting_pql');
  }
}

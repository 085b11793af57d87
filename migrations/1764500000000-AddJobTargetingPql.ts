import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** A job's PuppetDB targeting (`pql`), stored as the user wrote it like the other targetings. */
export class AddJobTargetingPql1764500000000 implements MigrationInterface {
  name = 'AddJobTargetingPql1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('job_invocations', new TableColumn({ name: 'targeting_pql', type: 'text', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('job_invocations', 'targeting_pql');
  }
}

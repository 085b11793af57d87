import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * job_invocation_hosts.puppetdb_report: the PuppetDB report of a Puppet run host (its hash, query
 * URL and summary) or why none was found, as JSON (issue 18). A column of its own, not inside
 * `data`: `data` is what the node replied and stays exactly that.
 */
export class AddJobHostPuppetDbReport1765819700000 implements MigrationInterface {
  name = 'AddJobHostPuppetDbReport1765819700000';

  // Plain ALTER TABLE on purpose (as AddForemanIds): TypeORM's addColumn rebuilds the table on
  // SQLite; both databases add a NULL column in place.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE job_invocation_hosts ADD COLUMN puppetdb_report text NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE job_invocation_hosts DROP COLUMN puppetdb_report');
  }
}

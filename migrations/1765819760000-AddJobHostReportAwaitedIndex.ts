import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A job's hosts without a PuppetDB report: the start-up recovery of report lookups
 * (ui-extension jobs/puppet-run-reports.ts `recover`) reads only those of each recent Puppet run job,
 * instead of every row of it (a 100k-host job whose reports are all stored: 0.5 s on MariaDB without
 * it). puppetdb_report is TEXT, so no plain index holds it: SQLite gets a partial index of the null
 * rows, MariaDB a one-character prefix (NULL is its own key). Neither moves when the result writer
 * updates a host (it never writes these columns), only when a row is inserted or its report stored.
 * Raw SQL: TypeORM's TableIndex can express neither a prefix length nor a partial index on both.
 */
export class AddJobHostReportAwaitedIndex1765819760000 implements MigrationInterface {
  name = 'AddJobHostReportAwaitedIndex1765819760000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.driver.options.type !== 'mysql';
    await queryRunner.query(sqlite
      ? 'CREATE INDEX idx_job_invocation_hosts_report_awaited ON job_invocation_hosts (job_invocation_id) WHERE puppetdb_report IS NULL'
      : 'CREATE INDEX idx_job_invocation_hosts_report_awaited ON job_invocation_hosts (job_invocation_id, puppetdb_report(1))');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('job_invocation_hosts', 'idx_job_invocation_hosts_report_awaited');
  }
}

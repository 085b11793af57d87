import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { useUtf8mb4 } from './utf8mb4';

const PUPPET_RUN_HOSTS = `SELECT h.job_invocation_id, h.id FROM job_invocation_hosts h
  INNER JOIN job_invocations job ON job.id = h.job_invocation_id INNER JOIN remote_actions ra ON ra.id = job.remote_action_id
  WHERE ra.namespace = 'puppet' AND ra.action = 'runonce' AND h.puppetdb_report IS NULL`;

/**
 * Puppet run hosts awaiting their PuppetDB report get a table of their own instead of
 * idx_job_invocation_hosts_report_awaited (AddJobHostReportAwaitedIndex): that index took an entry for
 * every host row of every job, though only Puppet run jobs look reports up (issue #20: about 8% of
 * the server time of a 10k-host job's pending rows on MariaDB). A row here is written with the hosts
 * of a Puppet run job only (jobs/job-writes.repository.ts) and deleted when the host's report is
 * stored (jobs/puppet-report-awaits.repository.ts), so the start-up recovery still reads only the
 * hosts without a report. Its key leads with the host row: the host rows' retention purge and job
 * deletion take the rows with them (ON DELETE CASCADE). The up fills it from the rows of Puppet run
 * jobs still without a report; the down puts the index back.
 */
export class ReplaceJobHostReportAwaitedIndex1765819790000 implements MigrationInterface {
  name = 'ReplaceJobHostReportAwaitedIndex1765819790000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.createTable(new Table({
      name: 'job_host_report_awaits',
      columns: [
        { name: 'job_invocation_host_id', type: 'integer', isPrimary: true },
        { name: 'job_invocation_id', type: 'integer' },
      ],
      foreignKeys: [
        { name: 'fk_job_host_report_awaits_host', columnNames: ['job_invocation_host_id'], referencedTableName: 'job_invocation_hosts', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
      // A job's awaited hosts in row order: the recovery's pages (`id > ?` ... ORDER BY id LIMIT ?).
      indices: [new TableIndex({ name: 'idx_job_host_report_awaits_job_host', columnNames: ['job_invocation_id', 'job_invocation_host_id'] })],
      ...(mysql ? { engine: 'InnoDB' } : {}),
    }));
    // STYLE.md §8: a new table is utf8mb4 whatever the database's default (a dump restored elsewhere).
    await useUtf8mb4(queryRunner, ['job_host_report_awaits']);
    await queryRunner.query(`INSERT INTO job_host_report_awaits (job_invocation_id, job_invocation_host_id) ${PUPPET_RUN_HOSTS}`);
    // Raw SQL, as it was created: the runner's cached table may not know an index made that way.
    await queryRunner.query(mysql ? 'DROP INDEX idx_job_invocation_hosts_report_awaited ON job_invocation_hosts' : 'DROP INDEX idx_job_invocation_hosts_report_awaited');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.driver.options.type !== 'mysql';
    await queryRunner.query(sqlite
      ? 'CREATE INDEX idx_job_invocation_hosts_report_awaited ON job_invocation_hosts (job_invocation_id) WHERE puppetdb_report IS NULL'
      : 'CREATE INDEX idx_job_invocation_hosts_report_awaited ON job_invocation_hosts (job_invocation_id, puppetdb_report(1))');
    await queryRunner.dropTable('job_host_report_awaits');
  }
}

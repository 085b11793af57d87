import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * The values of a few facts (jobs.recorded_facts) on a job's hosts, recorded when the job's hosts
 * are written: "jobs that ran on hosts with osfamily = Debian" asks about the hosts as they were
 * then, which the facts table (as they are now) cannot answer. One row per job, fact and value,
 * with the number of hosts that had it. No backfill: the values older jobs ran with are not known.
 * Names and values compare case-insensitively on both databases, as the facts table's do.
 */
export class CreateJobFactValues1765600000000 implements MigrationInterface {
  name = 'CreateJobFactValues1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    const text = (name: string, length: number): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : { collation: 'NOCASE' }),
    });
    await queryRunner.createTable(new Table({
      name: 'job_invocation_fact_values',
      // A surrogate key: values the facts table tells apart (its collation is the server's) may be
      // equal under this one, and must not make a job's creation fail.
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        { name: 'job_invocation_id', type: 'integer' },
        text('fact_name', 191),
        text('value', 255),
        { name: 'host_count', type: 'integer' },
      ],
      foreignKeys: [
        { name: 'fk_job_invocation_fact_values_job', columnNames: ['job_invocation_id'], referencedTableName: 'job_invocations', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
      // (name, value, job) answers `facts.osfamily = Debian` as an index-only semi-join, as idx_facts_name_value does for hosts.
      indices: [new TableIndex({ name: 'idx_job_invocation_fact_values_name_value', columnNames: ['fact_name', 'value', 'job_invocation_id'] })],
      ...(mysql ? { engine: 'InnoDB' } : {}),
    }));
    // The Table API states no table character set: without this the table takes the database's default.
    if (mysql) await queryRunner.query('ALTER TABLE job_invocation_fact_values CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('job_invocation_fact_values');
  }
}

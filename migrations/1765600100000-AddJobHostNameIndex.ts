import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * A job's hosts in name order: the job page and `rex job hosts` read the first page of a
 * 100,000-host job sorted by name, with or without a search, and the job search's `host = name`
 * probes one job's rows by name. Without this index both sorted or scanned every row of the job.
 */
export class AddJobHostNameIndex1765600100000 implements MigrationInterface {
  name = 'AddJobHostNameIndex1765600100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('job_invocation_hosts', new TableIndex({ name: 'idx_job_invocation_hosts_job_name', columnNames: ['job_invocation_id', 'host_name'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('job_invocation_hosts', 'idx_job_invocation_hosts_job_name');
  }
}

import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * One index on a job host's host_id instead of two (issue #20: each index of job_invocation_hosts is
 * written for every host of every new job; the 10,000 rows of a job's POST were ~128 ms of MariaDB).
 * The unique (job, host) key becomes unique (host, job): the same rule, and host_id first serves what
 * the (host_id) index served (a host's job history, `host_id = ` searches). What used the key's job
 * prefix (the foreign key to job_invocations, a job's rows) has three other indexes that begin with
 * job_invocation_id. The new key is made before the old ones go, so the rule holds throughout.
 */
export class MergeJobHostHostIndex1765819830000 implements MigrationInterface {
  name = 'MergeJobHostHostIndex1765819830000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('job_invocation_hosts', new TableIndex({ name: 'uq_job_invocation_hosts_host_job', columnNames: ['host_id', 'job_invocation_id'], isUnique: true }));
    await queryRunner.dropIndex('job_invocation_hosts', 'uq_job_invocation_hosts_job_host');
    await queryRunner.dropIndex('job_invocation_hosts', 'idx_job_invocation_hosts_host');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('job_invocation_hosts', new TableIndex({ name: 'uq_job_invocation_hosts_job_host', columnNames: ['job_invocation_id', 'host_id'], isUnique: true }));
    await queryRunner.createIndex('job_invocation_hosts', new TableIndex({ name: 'idx_job_invocation_hosts_host', columnNames: ['host_id'] }));
    await queryRunner.dropIndex('job_invocation_hosts', 'uq_job_invocation_hosts_host_job');
  }
}

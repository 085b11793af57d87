import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** Remote actions, jobs, job hosts, per-proxy streams and the fact names a job's search used. */
export class CreateJobTables1763900200000 implements MigrationInterface {
  name = 'CreateJobTables1763900200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const id = { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' as const };
    const count = (name: string) => ({ name, type: 'integer', default: 0 });
    await queryRunner.createTable(new Table({
      name: 'remote_actions',
      columns: [
        id,
        { name: 'namespace', type: 'varchar', length: '100' },
        { name: 'action', type: 'varchar', length: '100' },
        { name: 'arguments', type: 'text' },
        { name: 'arguments_hash', type: 'varchar', length: '64' },
        { name: 'created_at', type: 'datetime', precision: 3 },
      ],
      indices: [new TableIndex({ name: 'uq_remote_actions_hash', columnNames: ['arguments_hash'], isUnique: true })],
    }));
    await queryRunner.createTable(new Table({
      name: 'job_invocations',
      columns: [
        id,
        { name: 'remote_action_id', type: 'integer' },
        { name: 'parent_id', type: 'integer', isNullable: true },
        { name: 'state', type: 'varchar', length: '16' },
        { name: 'version', type: 'integer', default: 1 },
        { name: 'last_event_seq', type: 'integer', default: 0 },
        { name: 'owner', type: 'varchar', length: '100' },
        { name: 'description', type: 'varchar', length: '255', default: "''" },
        { name: 'targeting_search', type: 'text', isNullable: true },
        { name: 'targeting_host_ids', type: 'text', isNullable: true },
        { name: 'targeting_hostgroup_id', type: 'integer', isNullable: true },
        { name: 'concurrency_level', type: 'integer', isNullable: true },
        { name: 'batch_size', type: 'integer', isNullable: true },
        { name: 'timeout_s', type: 'integer' },
        { name: 'ddl', type: 'text' },
        { name: 'aggregates', type: 'text', isNullable: true },
        count('total_hosts'),
        count('count_pending'),
        count('count_running'),
        count('count_succeeded'),
        count('count_failed'),
        count('count_no_response'),
        count('count_skipped'),
        count('count_cancelled'),
        { name: 'cancel_requested', type: 'boolean', default: false },
        { name: 'lease_owner', type: 'varchar', length: '64', isNullable: true },
        { name: 'lease_expires_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'deadline_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'hosts_purged_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'created_at', type: 'datetime', precision: 3 },
        { name: 'started_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'finished_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'updated_at', type: 'datetime', precision: 3 },
      ],
      foreignKeys: [
        { name: 'fk_job_invocations_remote_action', columnNames: ['remote_action_id'], referencedTableName: 'remote_actions', referencedColumnNames: ['id'] },
        { name: 'fk_job_invocations_parent', columnNames: ['parent_id'], referencedTableName: 'job_invocations', referencedColumnNames: ['id'], onDelete: 'SET NULL' },
      ],
      indices: [
        new TableIndex({ name: 'idx_job_invocations_remote_action', columnNames: ['remote_action_id'] }),
        new TableIndex({ name: 'idx_job_invocations_parent', columnNames: ['parent_id'] }),
        new TableIndex({ name: 'idx_job_invocations_state', columnNames: ['state'] }),
        new TableIndex({ name: 'idx_job_invocations_owner', columnNames: ['owner'] }),
        new TableIndex({ name: 'idx_job_invocations_targeting_hostgroup', columnNames: ['targeting_hostgroup_id'] }),
        new TableIndex({ name: 'idx_job_invocations_created_at', columnNames: ['created_at'] }),
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'job_invocation_hosts',
      columns: [
        id,
        { name: 'job_invocation_id', type: 'integer' },
        { name: 'host_id', type: 'integer' },
        { name: 'host_name', type: 'varchar', length: '255' },
        { name: 'smart_proxy_id', type: 'integer', isNullable: true },
        { name: 'hostgroup_id', type: 'integer', isNullable: true },
        { name: 'state', type: 'varchar', length: '16' },
        { name: 'reason', type: 'varchar', length: '255', isNullable: true },
        { name: 'statuscode', type: 'integer', isNullable: true },
        { name: 'statusmsg', type: 'text', isNullable: true },
        { name: 'data', type: 'text', isNullable: true },
        { name: 'event_seq', type: 'integer', default: 0 },
        { name: 'proxy_sequence', type: 'integer', isNullable: true },
        { name: 'started_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'finished_at', type: 'datetime', precision: 3, isNullable: true },
      ],
      // No foreign key to hosts: the row keeps the host's name after the host is deleted.
      foreignKeys: [
        { name: 'fk_job_invocation_hosts_job', columnNames: ['job_invocation_id'], referencedTableName: 'job_invocations', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
      indices: [
        new TableIndex({ name: 'uq_job_invocation_hosts_job_host', columnNames: ['job_invocation_id', 'host_id'], isUnique: true }),
        new TableIndex({ name: 'idx_job_invocation_hosts_job_state', columnNames: ['job_invocation_id', 'state'] }),
        new TableIndex({ name: 'idx_job_invocation_hosts_job_event', columnNames: ['job_invocation_id', 'event_seq'] }),
        new TableIndex({ name: 'idx_job_invocation_hosts_host', columnNames: ['host_id'] }),
        new TableIndex({ name: 'idx_job_invocation_hosts_hostgroup', columnNames: ['hostgroup_id'] }),
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'job_invocation_proxies',
      columns: [
        id,
        { name: 'job_invocation_id', type: 'integer' },
        { name: 'smart_proxy_id', type: 'integer' },
        { name: 'execution_id', type: 'varchar', length: '100', isNullable: true },
        { name: 'chunk', type: 'integer', default: 0 },
        { name: 'last_sequence', type: 'integer', default: 0 },
        { name: 'state', type: 'varchar', length: '16' },
      ],
      foreignKeys: [
        { name: 'fk_job_invocation_proxies_job', columnNames: ['job_invocation_id'], referencedTableName: 'job_invocations', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
      indices: [new TableIndex({ name: 'uq_job_invocation_proxies_job_proxy', columnNames: ['job_invocation_id', 'smart_proxy_id'], isUnique: true })],
    }));
    await queryRunner.createTable(new Table({
      name: 'job_invocation_fact_names',
      columns: [
        { name: 'job_invocation_id', type: 'integer', isPrimary: true },
        { name: 'fact_name', type: 'varchar', length: '255', isPrimary: true },
      ],
      foreignKeys: [
        { name: 'fk_job_invocation_fact_names_job', columnNames: ['job_invocation_id'], referencedTableName: 'job_invocations', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
      indices: [new TableIndex({ name: 'idx_job_invocation_fact_names_name', columnNames: ['fact_name'] })],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('job_invocation_fact_names');
    await queryRunner.dropTable('job_invocation_proxies');
    await queryRunner.dropTable('job_invocation_hosts');
    await queryRunner.dropTable('job_invocations');
    await queryRunner.dropTable('remote_actions');
  }
}

import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Schedules (issue 6), their runs, and on each job the schedule and occurrence it came from.
 * One row per schedule carries its next occurrence; a due occurrence is claimed by locking that row.
 */
export class CreateSchedules1764300000000 implements MigrationInterface {
  name = 'CreateSchedules1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const id = { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' as const };
    await queryRunner.createTable(new Table({
      name: 'schedules',
      columns: [
        id,
        { name: 'enabled', type: 'boolean', default: true },
        { name: 'remote_action_id', type: 'integer' },
        // No foreign key: a deleted user must leave the schedule in place, refused at its next run.
        { name: 'owner_id', type: 'integer' },
        { name: 'owner', type: 'varchar', length: '100' },
        { name: 'description', type: 'varchar', length: '255', default: "''" },
        { name: 'targeting_search', type: 'text', isNullable: true },
        { name: 'targeting_host_ids', type: 'text', isNullable: true },
        { name: 'targeting_hostgroup_id', type: 'integer', isNullable: true },
        { name: 'targeting_pql', type: 'text', isNullable: true },
        { name: 'targeting_type', type: 'varchar', length: '16' },
        { name: 'static_host_ids', type: 'text', isNullable: true },
        { name: 'concurrency_level', type: 'integer', isNullable: true },
        { name: 'batch_size', type: 'integer', isNullable: true },
        { name: 'timeout_s', type: 'integer' },
        { name: 'ddl', type: 'text' },
        { name: 'start_at', type: 'datetime', precision: 3 },
        { name: 'start_before', type: 'datetime', precision: 3, isNullable: true },
        { name: 'cron_line', type: 'varchar', length: '255', isNullable: true },
        { name: 'time_zone', type: 'varchar', length: '64', isNullable: true },
        { name: 'max_iterations', type: 'integer', isNullable: true },
        { name: 'end_time', type: 'datetime', precision: 3, isNullable: true },
        { name: 'iterations', type: 'integer', default: 0 },
        { name: 'next_run_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'next_job_id', type: 'integer', isNullable: true },
        { name: 'last_run_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'created_at', type: 'datetime', precision: 3 },
        { name: 'updated_at', type: 'datetime', precision: 3 },
      ],
      foreignKeys: [
        { name: 'fk_schedules_remote_action', columnNames: ['remote_action_id'], referencedTableName: 'remote_actions', referencedColumnNames: ['id'] },
      ],
      indices: [
        // The scheduler's claim: enabled rows in next_run_at order, an index range scan.
        new TableIndex({ name: 'idx_schedules_due', columnNames: ['enabled', 'next_run_at'] }),
        new TableIndex({ name: 'idx_schedules_remote_action', columnNames: ['remote_action_id'] }),
        new TableIndex({ name: 'idx_schedules_owner', columnNames: ['owner_id'] }),
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'schedule_runs',
      columns: [
        id,
        { name: 'schedule_id', type: 'integer' },
        { name: 'occurrence_at', type: 'datetime', precision: 3 },
        { name: 'state', type: 'varchar', length: '16' },
        { name: 'job_id', type: 'integer', isNullable: true },
        { name: 'reason', type: 'varchar', length: '255', isNullable: true },
        { name: 'instance_id', type: 'varchar', length: '64', isNullable: true },
        { name: 'recorded_at', type: 'datetime', precision: 3 },
      ],
      foreignKeys: [
        { name: 'fk_schedule_runs_schedule', columnNames: ['schedule_id'], referencedTableName: 'schedules', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
      indices: [
        // The database itself refuses a second run of one occurrence.
        new TableIndex({ name: 'uq_schedule_runs_occurrence', columnNames: ['schedule_id', 'occurrence_at'], isUnique: true }),
      ],
    }));
    // Plain ALTER TABLE on purpose: TypeORM's addColumn rebuilds the whole table on SQLite, and dropping
    // the old job_invocations there would cascade into job_invocation_hosts. Both databases add a
    // nullable column in place. No foreign key: a job keeps the number of a schedule deleted later.
    await queryRunner.query('ALTER TABLE job_invocations ADD COLUMN schedule_id integer NULL');
    await queryRunner.query('ALTER TABLE job_invocations ADD COLUMN scheduled_at datetime(3) NULL');
    await queryRunner.query('CREATE INDEX idx_job_invocations_schedule ON job_invocations (schedule_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(queryRunner.connection.options.type === 'mysql' ? 'DROP INDEX idx_job_invocations_schedule ON job_invocations' : 'DROP INDEX idx_job_invocations_schedule');
    await queryRunner.query('ALTER TABLE job_invocations DROP COLUMN scheduled_at');
    await queryRunner.query('ALTER TABLE job_invocations DROP COLUMN schedule_id');
    await queryRunner.dropTable('schedule_runs');
    await queryRunner.dropTable('schedules');
  }
}

import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { useUtf8mb4 } from './utf8mb4';

/**
 * Job templates (issue #19): a named namespace/action with fixed arguments, typed inputs (JSON),
 * a description format and optional default targeting and rollout.
 */
export class CreateJobTemplates1765819100000 implements MigrationInterface {
  name = 'CreateJobTemplates1765819100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.createTable(new Table({
      name: 'job_templates',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        { name: 'name', type: 'varchar', length: '100' },
        { name: 'description_format', type: 'varchar', length: '255', default: "''" },
        { name: 'namespace', type: 'varchar', length: '100' },
        { name: 'action', type: 'varchar', length: '100' },
        { name: 'arguments', type: 'text' },
        { name: 'inputs', type: 'text' },
        { name: 'targeting', type: 'text', isNullable: true },
        { name: 'batch_size', type: 'integer', isNullable: true },
        { name: 'concurrency_level', type: 'integer', isNullable: true },
        { name: 'timeout_s', type: 'integer', isNullable: true },
        { name: 'created_at', type: 'datetime', precision: 3 },
        { name: 'updated_at', type: 'datetime', precision: 3 },
      ],
      indices: [new TableIndex({ name: 'uq_job_templates_name', columnNames: ['name'], isUnique: true })],
      ...(mysql ? { engine: 'InnoDB' } : {}),
    }));
    await useUtf8mb4(queryRunner, ['job_templates']);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('job_templates');
  }
}

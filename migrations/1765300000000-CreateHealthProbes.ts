import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * One row the database health check writes every few seconds (status/database-health.ts): a write
 * that fails (disk full, read-only, lost connection) turns /readyz to 503 before a user's write
 * does, and one that succeeds again tells that space came back without waiting for traffic. One row
 * for all instances: a probe is a write, not a record, so nothing accumulates.
 */
export class CreateHealthProbes1765300000000 implements MigrationInterface {
  name = 'CreateHealthProbes1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.createTable(new Table({
      name: 'health_probes',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true },
        { name: 'probed_by', type: 'varchar', length: '64', isNullable: true, ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' } : {}) },
        { name: 'probed_at', type: 'datetime', precision: 3, isNullable: true },
      ],
      ...(mysql ? { engine: 'InnoDB' } : {}),
    }));
    await queryRunner.query('INSERT INTO health_probes (id, probed_by, probed_at) VALUES (1, NULL, NULL)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('health_probes');
  }
}

import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { useUtf8mb4 } from './utf8mb4';

/**
 * Webhooks (issue #19): endpoints told when a job ends, and their deliveries. A delivery is stored
 * before it is sent and keeps its state, attempts and next attempt, so a restart between a failed
 * attempt and the next one still delivers; (webhook, job, event) is unique, so two instances that
 * both see a job end enqueue it once.
 */
export class CreateWebhooks1765819000000 implements MigrationInterface {
  name = 'CreateWebhooks1765819000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    const id = { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' as const };
    await queryRunner.createTable(new Table({
      name: 'webhooks',
      columns: [
        id,
        { name: 'name', type: 'varchar', length: '100' },
        { name: 'url', type: 'varchar', length: '2048' },
        { name: 'secret', type: 'varchar', length: '255' },
        { name: 'events', type: 'varchar', length: '255' },
        { name: 'enabled', type: 'boolean', default: true },
        { name: 'created_at', type: 'datetime', precision: 3 },
        { name: 'updated_at', type: 'datetime', precision: 3 },
      ],
      indices: [new TableIndex({ name: 'uq_webhooks_name', columnNames: ['name'], isUnique: true })],
      ...(mysql ? { engine: 'InnoDB' } : {}),
    }));
    await queryRunner.createTable(new Table({
      name: 'webhook_deliveries',
      columns: [
        id,
        { name: 'webhook_id', type: 'integer' },
        { name: 'delivery_uuid', type: 'varchar', length: '36' },
        { name: 'event', type: 'varchar', length: '64' },
        { name: 'job_invocation_id', type: 'integer' },
        { name: 'payload', type: 'text' },
        { name: 'state', type: 'varchar', length: '16' },
        { name: 'attempts', type: 'integer', default: 0 },
        { name: 'next_attempt_at', type: 'datetime', precision: 3 },
        { name: 'last_status_code', type: 'integer', isNullable: true },
        { name: 'last_error', type: 'text', isNullable: true },
        { name: 'last_attempt_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'delivered_at', type: 'datetime', precision: 3, isNullable: true },
        { name: 'created_at', type: 'datetime', precision: 3 },
      ],
      foreignKeys: [
        { name: 'fk_webhook_deliveries_webhook', columnNames: ['webhook_id'], referencedTableName: 'webhooks', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
      ],
      indices: [
        new TableIndex({ name: 'uq_webhook_deliveries_uuid', columnNames: ['delivery_uuid'], isUnique: true }),
        new TableIndex({ name: 'uq_webhook_deliveries_job_event', columnNames: ['webhook_id', 'job_invocation_id', 'event'], isUnique: true }),
        new TableIndex({ name: 'idx_webhook_deliveries_due', columnNames: ['state', 'next_attempt_at'] }),
      ],
      ...(mysql ? { engine: 'InnoDB' } : {}),
    }));
    await useUtf8mb4(queryRunner, ['webhooks', 'webhook_deliveries']);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_deliveries');
    await queryRunner.dropTable('webhooks');
  }
}

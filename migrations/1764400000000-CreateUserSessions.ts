import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/**
 * Browser sessions of the web UI. Stored in the database (not in process memory) so that several
 * ui-extension instances behind one address accept each other's cookies, and so that logging out
 * revokes a session everywhere at once. The cookie carries a random token; only its SHA-256 is kept.
 */
export class CreateUserSessions1764400000000 implements MigrationInterface {
  name = 'CreateUserSessions1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'user_sessions',
      columns: [
        { name: 'id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'user_id', type: 'integer' },
        { name: 'csrf_token', type: 'varchar', length: '64' },
        { name: 'source_address', type: 'varchar', length: '64', isNullable: true },
        { name: 'created_at', type: 'datetime', precision: 3 },
        { name: 'last_seen_at', type: 'datetime', precision: 3 },
        { name: 'expires_at', type: 'datetime', precision: 3 },
      ],
      indices: [
        new TableIndex({ name: 'idx_user_sessions_user', columnNames: ['user_id'] }),
        new TableIndex({ name: 'idx_user_sessions_expires', columnNames: ['expires_at'] }),
      ],
    }));
    await queryRunner.createForeignKey('user_sessions', new TableForeignKey({
      name: 'fk_user_sessions_user',
      columnNames: ['user_id'],
      referencedTableName: 'users',
      referencedColumnNames: ['id'],
      onDelete: 'CASCADE',
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('user_sessions', true, true, true);
  }
}

import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Failed-login counters shared by every ui-extension instance (auth/login-throttle.ts), in the
 * layout rate-limiter-flexible's MySQL and SQLite stores read and write: `key`, `points`, `expire`
 * in this order (its MySQL upsert inserts by position). Keys are SHA-256 digests with a short
 * prefix, so no login name or address is stored here. `expire` is epoch milliseconds.
 */
export class CreateLoginThrottle1765100000000 implements MigrationInterface {
  name = 'CreateLoginThrottle1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'login_throttle',
      columns: [
        { name: 'key', type: 'varchar', length: '100', isPrimary: true },
        { name: 'points', type: 'integer', default: 0 },
        { name: 'expire', type: 'bigint', isNullable: true },
      ],
      indices: [new TableIndex({ name: 'idx_login_throttle_expire', columnNames: ['expire'] })],
    }));
    // A server whose default character set is latin1 must not decide this table's (STYLE.md §8).
    if (queryRunner.connection.options.type === 'mysql') {
      await queryRunner.query('ALTER TABLE login_throttle CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('login_throttle', true, true, true);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each browser session remembers which password it was opened with (a digest of the user's
 * password hash, never the hash itself): once the password changes, on any instance or directly in
 * the database, every session opened with the old one is refused. Sessions from before this
 * migration have none and are refused too, so everyone logs in to the web UI once after the upgrade.
 */
export class AddUserSessionCredentialStamp1765100100000 implements MigrationInterface {
  name = 'AddUserSessionCredentialStamp1765100100000';

  // Plain ALTER TABLE on purpose (as AddJobTargetingPql): TypeORM's addColumn rebuilds the table
  // on SQLite. On MySQL the column states its character set (STYLE.md §8).
  async up(queryRunner: QueryRunner): Promise<void> {
    const charset = queryRunner.connection.options.type === 'mysql' ? ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci' : '';
    await queryRunner.query(`ALTER TABLE user_sessions ADD COLUMN credential_stamp varchar(64)${charset} NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE user_sessions DROP COLUMN credential_stamp');
  }
}

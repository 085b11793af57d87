import { MigrationInterface, QueryRunner } from 'typeorm';
import { MYSQL_CHARSET, MYSQL_COLLATION, tablesNotUtf8mb4, useUtf8mb4 } from './utf8mb4';

/**
 * Every MySQL/MariaDB table in utf8mb4_unicode_ci (issue 24). The migrations before this one left the
 * character set to the database's default, so on a server whose default is latin1 any text beyond
 * Latin-1 (an emoji in a job description, a CJK role name) failed to store and answered 500. This
 * converts the tables that are not utf8mb4_unicode_ci yet (each is rebuilt: on a large job history
 * that takes a while, once; a database already in it is left alone) and makes it the database's
 * default for tables to come. Nothing to do on SQLite.
 */
export class ConvertTablesToUtf8mb41765200000000 implements MigrationInterface {
  name = 'ConvertTablesToUtf8mb41765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type !== 'mysql') return;
    await queryRunner.query(`ALTER DATABASE CHARACTER SET ${MYSQL_CHARSET} COLLATE ${MYSQL_COLLATION}`);
    await useUtf8mb4(queryRunner, await tablesNotUtf8mb4(queryRunner));
  }

  // Nothing to undo on purpose: the character set each table had before is not recorded (it was
  // whatever the server's default was), converting back to latin1 would destroy every character
  // beyond it, and the schema of the migrations before this one works unchanged on utf8mb4.
  async down(): Promise<void> {}
}

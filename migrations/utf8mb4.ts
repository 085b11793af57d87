import type { QueryRunner } from 'typeorm';

/** The one character set and collation of every MySQL/MariaDB table (STYLE.md §8). */
export const MYSQL_CHARSET = 'utf8mb4';
export const MYSQL_COLLATION = 'utf8mb4_unicode_ci';

const isMysql = (queryRunner: QueryRunner) => queryRunner.connection.driver.options.type === 'mysql';

/**
 * Tables of the current database that are not wholly utf8mb4_unicode_ci: the table's default
 * collation, or any text column's, is another one (latin1 on a server whose default is latin1).
 */
export async function tablesNotUtf8mb4(queryRunner: QueryRunner): Promise<string[]> {
  const rows = (await queryRunner.query(
    `SELECT t.TABLE_NAME AS name FROM information_schema.TABLES t
      WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
        AND (t.TABLE_COLLATION <> ? OR EXISTS (
          SELECT 1 FROM information_schema.COLUMNS c
           WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.COLLATION_NAME IS NOT NULL AND c.COLLATION_NAME <> ?))
      ORDER BY t.TABLE_NAME`,
    [MYSQL_COLLATION, MYSQL_COLLATION],
  )) as Array<{ name: string }>;
  return rows.map((r) => r.name);
}

/**
 * Converts the given tables (text columns included) to utf8mb4_unicode_ci on MySQL/MariaDB; nothing
 * on SQLite, whose text is always Unicode. A migration that creates a table calls it right after
 * createTable: the Table API cannot state a character set, and the table would otherwise take the
 * database's default, which a restored dump or an operator's `CREATE DATABASE` may make latin1.
 */
export async function useUtf8mb4(queryRunner: QueryRunner, tables: readonly string[]): Promise<void> {
  if (!isMysql(queryRunner)) return;
  for (const table of tables) {
    await queryRunner.query(`ALTER TABLE \`${table.replace(/`/g, '``')}\` CONVERT TO CHARACTER SET ${MYSQL_CHARSET} COLLATE ${MYSQL_COLLATION}`);
  }
}

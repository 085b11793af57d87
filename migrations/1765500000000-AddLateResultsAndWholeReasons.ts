import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What issue 27 needs stored: host and schedule-run reasons whole (TEXT instead of a 255-character
 * cut), the late result flag of a job host and the late count of a job, and whether a job's proxy
 * stream reports which hosts it sent (HostsSent), so a restarted instance still tells "never asked"
 * from "asked and silent".
 */
export class AddLateResultsAndWholeReasons1765500000000 implements MigrationInterface {
  name = 'AddLateResultsAndWholeReasons1765500000000';

  // Plain ALTER TABLE on purpose (as CreateSchedules): TypeORM's addColumn/changeColumn rebuild the
  // table on SQLite, and dropping the old job_invocations cascades into job_invocation_hosts.
  async up(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) {
      // SQLite does not enforce varchar lengths (the column has TEXT affinity already): only MySQL changes.
      await queryRunner.query('ALTER TABLE job_invocation_hosts MODIFY reason TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL');
      await queryRunner.query('ALTER TABLE schedule_runs MODIFY reason TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL');
    }
    await queryRunner.query('ALTER TABLE job_invocation_hosts ADD COLUMN late_at datetime(3) NULL');
    await queryRunner.query('ALTER TABLE job_invocations ADD COLUMN count_late integer NOT NULL DEFAULT 0');
    await queryRunner.query('ALTER TABLE job_invocation_proxies ADD COLUMN reports_sent boolean NOT NULL DEFAULT 0');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE job_invocation_proxies DROP COLUMN reports_sent');
    await queryRunner.query('ALTER TABLE job_invocations DROP COLUMN count_late');
    await queryRunner.query('ALTER TABLE job_invocation_hosts DROP COLUMN late_at');
    if (isMysql(queryRunner)) {
      // A longer reason cannot come back into 255 characters: it is cut at a word with an ellipsis,
      // as the code before this migration cut it, so the way down never fails on strict MySQL.
      for (const table of ['job_invocation_hosts', 'schedule_runs']) {
        await queryRunner.query(`UPDATE ${table} SET reason = CONCAT(LEFT(reason, 252), '...') WHERE CHAR_LENGTH(reason) > 255`);
        await queryRunner.query(`ALTER TABLE ${table} MODIFY reason varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL`);
      }
    }
  }
}

function isMysql(queryRunner: QueryRunner): boolean {
  const type = queryRunner.connection.options.type;
  return type === 'mysql' || type === 'mariadb';
}

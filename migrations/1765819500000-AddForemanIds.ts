import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Foreman id each host and hostgroup was synced from (NULL for records from any other source),
 * so the Foreman sync removes exactly what it brought and Foreman no longer lists: a host or
 * hostgroup imported from a file or reported by a proxy is never the sync's to delete.
 */
export class AddForemanIds1765819500000 implements MigrationInterface {
  name = 'AddForemanIds1765819500000';

  // Plain ALTER TABLE on purpose (as AddFactSource): TypeORM's addColumn rebuilds the table on
  // SQLite; both databases add a NULL column in place.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE hosts ADD COLUMN foreman_id integer NULL');
    await queryRunner.query('ALTER TABLE hostgroups ADD COLUMN foreman_id integer NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE hostgroups DROP COLUMN foreman_id');
    await queryRunner.query('ALTER TABLE hosts DROP COLUMN foreman_id');
  }
}

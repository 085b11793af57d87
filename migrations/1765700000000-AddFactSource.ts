import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which inventory source wrote each fact (`inventory`, `puppetdb` or `proxy`), so a source never
 * overwrites or removes a fact a higher-ranked source set: a proxy refresh used to replace the
 * facts of the inventory file, the source of record. Rows written before have no source (NULL) and
 * are taken over by the next source that reports them, as before (docs/USAGE.md, "Fact sources").
 */
export class AddFactSource1765700000000 implements MigrationInterface {
  name = 'AddFactSource1765700000000';

  // Plain ALTER TABLE on purpose (as AddJobOwnerId): TypeORM's addColumn rebuilds the table on
  // SQLite, which at millions of facts is a long copy; both databases add a NULL column in place.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE facts ADD COLUMN source varchar(16) NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE facts DROP COLUMN source');
  }
}

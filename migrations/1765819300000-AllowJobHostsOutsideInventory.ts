import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * A job host without an inventory row (issue 26): a certname a PQL targeting returns that the
 * inventory does not know is recorded in the job as skipped, "not in the inventory", with its name
 * and no host id. `job_invocation_hosts.host_id` becomes nullable; the unique index on
 * (job_invocation_id, host_id) allows several NULLs on SQLite and MariaDB alike, and the name
 * index keeps such rows apart.
 */
export class AllowJobHostsOutsideInventory1765819300000 implements MigrationInterface {
  name = 'AllowJobHostsOutsideInventory1765819300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) {
      await queryRunner.query('ALTER TABLE job_invocation_hosts MODIFY host_id int NULL');
      return;
    }
    // SQLite cannot drop NOT NULL in place: TypeORM rebuilds the table with its indices. Nothing
    // references job_invocation_hosts, so the rebuild cascades into no other table.
    await queryRunner.changeColumn('job_invocation_hosts', 'host_id', new TableColumn({ name: 'host_id', type: 'integer', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Rows without a host keep their name, state and reason, with the negated row id as host id: no
    // host has one (ids start at 1), it keeps (job, host) unique, the job's counts stay true, and the
    // code before this migration shows them as they are.
    await queryRunner.query('UPDATE job_invocation_hosts SET host_id = -id WHERE host_id IS NULL');
    if (isMysql(queryRunner)) {
      await queryRunner.query('ALTER TABLE job_invocation_hosts MODIFY host_id int NOT NULL');
      return;
    }
    await queryRunner.changeColumn('job_invocation_hosts', 'host_id', new TableColumn({ name: 'host_id', type: 'integer', isNullable: false }));
  }
}

function isMysql(queryRunner: QueryRunner): boolean {
  const type = queryRunner.connection.options.type;
  return type === 'mysql' || type === 'mariadb';
}

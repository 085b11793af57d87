import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fills job_invocations.owner_id from the owner's login for jobs made before the column existed. A
 * job whose owner no longer exists keeps NULL: it is nobody's, as its login names nobody.
 */
export class BackfillJobOwnerId1765400100000 implements MigrationInterface {
  name = 'BackfillJobOwnerId1765400100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('UPDATE job_invocations SET owner_id = (SELECT u.id FROM users u WHERE u.login = job_invocations.owner) WHERE owner_id IS NULL');
  }

  // Back to the state before the backfill: the column exists and is empty (the previous
  // migration's down then drops it).
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('UPDATE job_invocations SET owner_id = NULL');
  }
}

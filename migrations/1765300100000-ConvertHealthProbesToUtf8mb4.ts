import type { MigrationInterface, QueryRunner } from 'typeorm';
import { useUtf8mb4 } from './utf8mb4';

/**
 * health_probes (1765300000000) states utf8mb4 on its one text column but not as the table's
 * default, so on a server whose default is latin1 the table reads as latin1 and the next column
 * added to it would be. Written beside 1765200000000-ConvertTablesToUtf8mb4, which it did not see;
 * fixed forward here, as STYLE.md §8 asks of a merged migration.
 */
export class ConvertHealthProbesToUtf8mb41765300100000 implements MigrationInterface {
  name = 'ConvertHealthProbesToUtf8mb41765300100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await useUtf8mb4(queryRunner, ['health_probes']);
  }

  async down(): Promise<void> {
    // Nothing to undo that would help: the table's text was utf8mb4 already, and going back to the
    // server's default (latin1, say) could only make it lose characters.
  }
}

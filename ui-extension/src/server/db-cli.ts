import { ConfigError, loadConfig } from './config';
import { createDataSource } from './data-source';

/** `npm run db:migrate` / `npm run db:revert` against the configured database. */
async function main(command: string | undefined): Promise<void> {
  if (command !== 'migrate' && command !== 'revert') {
    process.stderr.write('usage: db-cli migrate|revert\n');
    process.exit(2);
  }
  const config = loadConfig();
  const dataSource = createDataSource(config.database);
  await dataSource.initialize();
  try {
    if (command === 'migrate') {
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      process.stdout.write(ran.length === 0 ? 'no pending migrations\n' : ran.map((m) => `applied ${m.name}\n`).join(''));
    } else {
      await dataSource.undoLastMigration({ transaction: 'each' });
      process.stdout.write('reverted the last migration\n');
    }
  } finally {
    await dataSource.destroy();
  }
}

main(process.argv[2]).catch((error: Error) => {
  process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `db-cli failed: ${error.message}\n`);
  process.exit(1);
});

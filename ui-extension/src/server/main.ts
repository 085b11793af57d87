import { createLogger } from './logger';
import { exitOnSignal, loadConfigOrExit } from './process-lifecycle';
import { startServer } from './server';
import { builtWebRoot } from './web-root';

/** Production entry point: configuration from file and env, migrations must already have run. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.log.level });
  const server = await startServer({ config, logger, migrate: false, webRoot: builtWebRoot() });
  exitOnSignal(logger, () => server.close());
}

main().catch((error: NodeJS.ErrnoException) => {
  const hint = error.code === 'EADDRINUSE' ? '; another process holds the port: stop it, or choose another with http.port (env UI_EXTENSION_PORT)' : '';
  process.stderr.write(`ui-extension failed to start: ${error.message}${hint}\n`);
  process.exit(1);
});

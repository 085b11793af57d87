import { ConfigError, loadConfig, type Config, type LoadConfigOptions } from './config';
import type { Logger } from './logger';

/** Loads the configuration for an entry point; a bad config prints every problem and exits 2. */
export function loadConfigOrExit(options?: LoadConfigOptions): Readonly<Config> {
  try {
    return loadConfig(options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** On SIGTERM or SIGINT: log, run `shutdown` once, and exit 0. */
export function exitOnSignal(logger: Logger, shutdown: () => Promise<void>): void {
  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await shutdown();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

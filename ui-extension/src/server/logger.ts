import pino from 'pino';

/** The only importer of the logging library on the ui-extension side (STYLE.md §2). */
export type Logger = pino.Logger;

export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({
    name: options.name ?? 'ui-extension',
    level: options.level,
    // Secrets must never reach a log line, even by accident through a logged object.
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.cookie', 'req.headers.authorization'],
      censor: '[REDACTED]',
    },
  });
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

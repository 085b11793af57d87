import pino from 'pino';

/** The only importer of the logging library on the ui-extension side (STYLE.md §2). */
export type Logger = pino.Logger;

/**
 * Keys whose values are secrets wherever a logged object carries them: passwords and their hashes,
 * tokens, keys, the database URL (it may hold a password), cookies, and the parameters of a failed
 * query (a user's password hash or a token hash can be among them).
 */
const SECRET_KEYS = ['password', 'current_password', 'password_hash', 'passwordHash', 'token', 'token_value', 'tokenHash', 'token_hash', 'secret', 'psk', 'private_key', 'key', 'authorization', 'cookie', 'parameters'];
export const REDACTED_PATHS = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  'headers.cookie', 'req.headers.authorization', 'req.headers.cookie', 'database.url', '*.database.url',
];

export function createLogger(options: { level: string; name?: string; destination?: { write(line: string): void } }): Logger {
  const settings: pino.LoggerOptions = {
    name: options.name ?? 'ui-extension',
    level: options.level,
    // Secrets must never reach a log line, even by accident through a logged object.
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

import pino from 'pino';

/** The only importer of the logging library on the proxy side (STYLE.md §2). */
export type Logger = pino.Logger;

export interface LoggerOptions {
  level: string;
  name?: string;
  /** Where JSON lines go instead of stdout; tests use it to read what was logged. */
  destination?: { write(line: string): void };
}

export function createLogger(options: LoggerOptions): Logger {
  const settings: pino.LoggerOptions = {
    name: options.name ?? 'proxy-plugin',
    level: options.level,
    // Action arguments can carry secrets; a logged object must never leak them by accident.
    redact: {
      paths: ['password', 'token', 'secret', 'passphrase', 'arguments', 'key_pem', 'keyPem', 'private_key', 'psk'].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
      censor: '[REDACTED]',
    },
    // ISO-8601 UTC times and level names ("level":"info"), as the ui-extension logs.
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

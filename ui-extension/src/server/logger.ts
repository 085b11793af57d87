import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { pinoHttp } from 'pino-http';

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

/**
 * ISO-8601 UTC times (`"time":"2026-12-06T07:04:37.512Z"`) and level names (`"level":"info"`):
 * what journalctl readers, Loki and Elasticsearch take without a pipeline to convert epoch
 * milliseconds and pino's numbers.
 */
const READABLE_LINES: Pick<pino.LoggerOptions, 'timestamp' | 'formatters'> = {
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
};

export interface AccessLogOptions<Req extends IncomingMessage, Res extends ServerResponse> {
  /** The request's id (X-Request-Id, accepted or made up), bound to `req.log` and the access line as `requestId`. */
  requestId: (req: Req, res: Res) => string;
  /** The access line's fields besides the request id, read once the response has ended (status, user, ...). */
  fields: (req: Req, res: Res, responseTime: number) => Record<string, unknown>;
  /** The access line's message, e.g. `GET /api/v2/hosts 200`. */
  message: (req: Req, res: Res) => string;
}

/**
 * The HTTP access log (pino-http): one line per request when its response ends (or the client
 * goes away), `info` below 500 and `error` from 500, with the request id. It also gives the
 * request `req.log`, a child logger that binds the same `requestId`, so every line a request
 * writes can be found with its access line.
 */
export function createAccessLog<Req extends IncomingMessage, Res extends ServerResponse>(logger: Logger, options: AccessLogOptions<Req, Res>) {
  return pinoHttp<Req, Res>({
    logger,
    genReqId: (req, res) => options.requestId(req, res),
    customAttributeKeys: { reqId: 'requestId' },
    // req.log binds only the id; the access line carries our own compact fields, never headers.
    quietReqLogger: true,
    quietResLogger: true,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessObject: (req, res, base: { responseTime: number }) => options.fields(req, res, base.responseTime),
    customErrorObject: (req, res, _error, base: { responseTime: number }) => options.fields(req, res, base.responseTime),
    customSuccessMessage: (req, res) => options.message(req, res),
    customErrorMessage: (req, res) => options.message(req, res),
  });
}

export function createLogger(options: { level: string; name?: string; destination?: { write(line: string): void } }): Logger {
  const settings: pino.LoggerOptions = {
    name: options.name ?? 'ui-extension',
    level: options.level,
    // Secrets must never reach a log line, even by accident through a logged object.
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    ...READABLE_LINES,
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

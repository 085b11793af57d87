/**
 * What the public `GET /api/v2/status` may say about a database failure. Driver messages carry the
 * address (`connect ECONNREFUSED 10.0.4.7:3306`), host names, the database name and the user
 * (`Access denied for user 'rex'@'10.0.4.9'`); anyone may ask for the status, so it names only the
 * kind of failure, and the operator reads the rest in the server's log.
 */
const KINDS: ReadonlyArray<[RegExp, string]> = [
  [/^(ECONNREFUSED)$/, 'connection refused'],
  [/^(ETIMEDOUT|PROTOCOL_SEQUENCE_TIMEOUT|ER_CON_COUNT_ERROR)$/, 'no connection in time'],
  [/^(ENOTFOUND|EAI_AGAIN)$/, 'database host name not resolved'],
  [/^(ECONNRESET|EPIPE|PROTOCOL_CONNECTION_LOST|ER_SERVER_SHUTDOWN|ER_CONNECTION_KILLED)$/, 'connection lost'],
  [/^(EHOSTUNREACH|ENETUNREACH)$/, 'database host unreachable'],
  [/^(ER_ACCESS_DENIED_ERROR|ER_DBACCESS_DENIED_ERROR)$/, 'access denied'],
  [/^(ER_BAD_DB_ERROR)$/, 'unknown database'],
  [/^SQLITE_/, 'SQLite error'],
];

/** Our own ping timeout says nothing about the database but the time it took. */
const OWN_TIMEOUT = /^no answer within \d+ ms$/;

export function publicDatabaseError(error: unknown): string {
  const err = error as { code?: unknown; driverError?: { code?: unknown }; message?: unknown } | undefined;
  if (typeof err?.message === 'string' && OWN_TIMEOUT.test(err.message)) return err.message;
  const code = err?.code ?? err?.driverError?.code;
  if (typeof code === 'string') {
    for (const [pattern, kind] of KINDS) if (pattern.test(code)) return `${kind} (${code})`;
    if (/^[A-Z_]+$/.test(code)) return `database error ${code}`;
  }
  return 'database unreachable';
}

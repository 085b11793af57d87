/**
 * The one error type of the ui-extension (STYLE.md §4). `code` is a canonical gRPC status name,
 * `message` is safe to show to the caller, `cause` is logged and never sent.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'DEADLINE_EXCEEDED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  DEADLINE_EXCEEDED: 504,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export interface AppErrorOptions {
  cause?: unknown;
  /** Safe, structured detail for the caller (e.g. which field broke which rule). */
  details?: Record<string, unknown>;
  /** Overrides the HTTP status of the code, e.g. 422 for arguments that fail a DDL. */
  httpStatus?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  readonly httpStatus: number;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.httpStatus = options.httpStatus ?? HTTP_STATUS[code];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** The HTTP status for an error code (googleapis google/rpc/code.proto mapping). */
export function toHttpStatus(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

interface DriverErrorFields {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  driverError?: { code?: unknown; errno?: unknown; message?: unknown };
}

/** The driver's code, errno and message, whether TypeORM wrapped the error or not. */
function driverFields(error: unknown): { code?: string; errno?: number; message: string } {
  const err = error as DriverErrorFields | undefined;
  const code = err?.code ?? err?.driverError?.code;
  const errno = err?.errno ?? err?.driverError?.errno;
  const message = err?.message ?? err?.driverError?.message;
  return { code: typeof code === 'string' ? code : undefined, errno: typeof errno === 'number' ? errno : undefined, message: typeof message === 'string' ? message : '' };
}

/**
 * A database out of disk space: SQLite's SQLITE_FULL (it also says so when the file system answers
 * ENOSPC), node's ENOSPC, and MariaDB's "table is full" (1114 ER_RECORD_FILE_FULL), "disk full"
 * (1021 ER_DISK_FULL) and OS error 28 (ENOSPC) inside another error's message ("Errcode: 28",
 * "errno: 28"). Retrying helps only once space is freed: they answer 507, and a running job resumes
 * from the proxy like after an outage (isDatabaseUnavailable is true for them too).
 */
const DATABASE_FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'ER_RECORD_FILE_FULL', 'ER_DISK_FULL']);
const DATABASE_FULL_ERRNOS = new Set([1021, 1114]);

export function isDatabaseFull(error: unknown): boolean {
  if (isAppError(error)) return false;
  const { code, errno, message } = driverFields(error);
  if (code !== undefined && DATABASE_FULL_CODES.has(code)) return true;
  if (errno !== undefined && DATABASE_FULL_ERRNOS.has(errno)) return true;
  return /\b(Errcode|errno): 28\b|No space left on device/.test(message);
}

/**
 * Thrown (as a driver error, so isDatabaseUnavailable sees it) when the SQLite connection is inside a
 * transaction nobody owns and even ROLLBACK cannot end it: every write on it would be acknowledged
 * and never committed, so none is let through (data-source-guard.ts).
 */
export const DATABASE_CONNECTION_STUCK = 'DATABASE_CONNECTION_STUCK';

/**
 * Driver error codes of a database that cannot be reached, dropped the connection or cannot write
 * now (mysql2, node net, SQLite busy, I/O error, read-only file, disk full): a retry may succeed, so
 * they answer 503 (507 for a full disk) and a running job resumes later.
 */
const DATABASE_UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'SQLITE_BUSY', 'EPIPE', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'SQLITE_CANTOPEN', DATABASE_CONNECTION_STUCK]);
/** better-sqlite3 reports extended result codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, ...). */
const DATABASE_UNAVAILABLE_PREFIXES = ['SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_BUSY'];

/**
 * MariaDB's deadlock (1213 ER_LOCK_DEADLOCK) and lock wait timeout (1205 ER_LOCK_WAIT_TIMEOUT), and
 * SQLite's busy answers: the statement (a deadlock: its whole transaction) was rolled back and wrote
 * nothing, so running it again is safe and usually succeeds. The one rule for retrying them
 * (lock-retry.ts; the scheduler's claim loop).
 */
const LOCK_CONFLICT_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT']);

export function isLockConflict(error: unknown): boolean {
  if (isAppError(error)) return false;
  const { code } = driverFields(error);
  return code !== undefined && LOCK_CONFLICT_CODES.has(code);
}

/** True when the error (or the driver error TypeORM wraps) says the database is unreachable or cannot write now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (isAppError(error)) return false;
  if (isDatabaseFull(error)) return true;
  const { code, message } = driverFields(error);
  if (code !== undefined && (DATABASE_UNAVAILABLE_CODES.has(code) || DATABASE_UNAVAILABLE_PREFIXES.some((p) => code.startsWith(p)))) return true;
  // mysql2 refuses work on a pool connection that already died with a plain Error.
  return /Can't add new command when connection is in closed state|Pool is closed/.test(message);
}

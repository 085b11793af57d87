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

/**
 * Driver error codes of a database that cannot be reached or dropped the connection (mysql2, node
 * net, SQLite busy): a retry may succeed, so they answer 503 and a running job resumes later.
 */
const DATABASE_UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'SQLITE_BUSY', 'EPIPE', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN']);

/** True when the error (or the driver error TypeORM wraps) says the database is unreachable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (isAppError(error)) return false;
  const err = error as { code?: unknown; driverError?: { code?: unknown }; message?: unknown } | undefined;
  const code = err?.code ?? err?.driverError?.code;
  if (typeof code === 'string' && DATABASE_UNAVAILABLE_CODES.has(code)) return true;
  // mysql2 refuses work on a pool connection that already died with a plain Error.
  return typeof err?.message === 'string' && /Can't add new command when connection is in closed state|Pool is closed/.test(err.message);
}

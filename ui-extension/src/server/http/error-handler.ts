import type { NextFunction, Request, Response } from 'express';
import { AppError, isAppError, isDatabaseFull, isDatabaseUnavailable } from '../errors';

/**
 * A full disk is RESOURCE_EXHAUSTED (google/rpc/code.proto names "the entire file system is out of
 * space" as its case) answered 507 Insufficient Storage, so a client and an operator see the cause;
 * other database or network failures that a retry may fix become UNAVAILABLE (503), not INTERNAL.
 */
export const DATABASE_FULL_MESSAGE = 'the database is out of disk space and this write failed; retry once space is freed';

function classify(error: unknown): AppError | undefined {
  if (isAppError(error)) return error;
  const err = error as { type?: string; status?: unknown; expose?: boolean } | undefined;
  if (isDatabaseFull(error)) return new AppError('RESOURCE_EXHAUSTED', DATABASE_FULL_MESSAGE, { cause: error, httpStatus: 507 });
  if (isDatabaseUnavailable(error)) return new AppError('UNAVAILABLE', 'the database is unavailable; retry later', { cause: error });
  // body-parser: malformed JSON or too large a body.
  if (err?.type === 'entity.parse.failed') return new AppError('INVALID_ARGUMENT', 'request body: is not valid JSON', { cause: error });
  if (err?.type === 'entity.too.large') return new AppError('INVALID_ARGUMENT', 'request body: is too large', { cause: error, httpStatus: 413 });
  // The router decodes path parameters; a broken percent-encoding (`/hosts/%zz`) is the caller's.
  if (error instanceof URIError) return new AppError('INVALID_ARGUMENT', 'request path: is not valid percent-encoding', { cause: error });
  // Other refusals of express and body-parser (unsupported charset or encoding, aborted body)
  // carry their own 4xx status and a message meant for the caller.
  const status = typeof err?.status === 'number' ? err.status : undefined;
  if (status !== undefined && status >= 400 && status < 500 && err?.expose) {
    return new AppError('INVALID_ARGUMENT', `request: ${(error as Error).message}`, { cause: error, httpStatus: status });
  }
  return undefined;
}

/** The last middleware: every error becomes Foreman's `{"error": {...}}` body (STYLE.md §4). */
export function errorHandler(options: { exposeStack: boolean }) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const appError = classify(error);
    if (appError) {
      const level = appError.httpStatus >= 500 ? 'warn' : 'debug';
      req.log?.[level]({ code: appError.code, err: appError.cause ?? undefined, status: appError.httpStatus }, appError.message);
      const retryAfter = appError.details?.retry_after_s;
      if (appError.httpStatus === 429 && typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
      res.status(appError.httpStatus).json({
        error: { code: appError.code, message: appError.message, requestId: req.requestId, ...(appError.details ? { details: appError.details } : {}) },
      });
      return;
    }
    req.log?.error({ err: error }, 'internal error');
    res.status(500).json({
      error: {
        code: 'INTERNAL',
        message: 'internal error',
        requestId: req.requestId,
        ...(options.exposeStack && error instanceof Error ? { stack: error.stack } : {}),
      },
    });
  };
}

import type { NextFunction, Request, Response } from 'express';
import type { Denial } from '../audit/denial-audit';
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

/**
 * Foreman's 422 body carries `errors` (messages per attribute) and `full_messages` (each message
 * with its attribute), which Foreman clients (hammer, foreman-ansible-modules via apypie) print;
 * theforeman/foreman app/views/api/v2/errors/unprocessable_entity.json.rabl. Ours come from the
 * refused fields (`details.fields`), or the message under `base` when no field is named.
 */
export function foremanValidationErrors(error: AppError): { errors: Record<string, string[]>; full_messages: string[] } {
  const raw = error.details?.fields;
  const fields = Array.isArray(raw) ? raw.filter((f): f is { field: string; rule: string } => typeof f?.field === 'string' && typeof f?.rule === 'string') : [];
  if (fields.length === 0) return { errors: { base: [error.message] }, full_messages: [error.message] };
  // A Map, then fromEntries: a refused field may be named `__proto__`, which plain assignment would not store.
  const byField = new Map<string, string[]>();
  for (const f of fields) byField.set(f.field, [...(byField.get(f.field) ?? []), f.rule]);
  return { errors: Object.fromEntries(byField), full_messages: fields.map((f) => `${f.field} ${f.rule}`) };
}

/** A 403 as the denial audit records it: who, which route, which permission or filter refused. */
function denialOf(req: Request, error: AppError): Denial {
  const missing = error.details?.missing_permissions;
  const path = req.originalUrl.split('?')[0];
  return {
    user: req.currentUser ? { id: req.currentUser.id, login: req.currentUser.login } : null,
    address: req.ip ?? null,
    route: req.routeName ?? `${req.method} ${path}`,
    path,
    permissions: Array.isArray(missing) ? missing.map(String) : [],
    reason: error.message,
    requestId: req.requestId ?? null,
  };
}

export interface ErrorHandlerOptions {
  exposeStack: boolean;
  /**
   * Audits every refusal (403). This is the one place every 403 passes, with the caller and the
   * route, whether a route's `requirePermission`, a service's filter check or the CSRF check refused.
   */
  denials?: { record(denial: Denial): Promise<void> };
}

/** The last middleware: every error becomes Foreman's `{"error": {...}}` body (STYLE.md §4). */
export function errorHandler(options: ErrorHandlerOptions) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const appError = classify(error);
    if (appError) {
      const level = appError.httpStatus >= 500 ? 'warn' : 'debug';
      req.log?.[level]({ code: appError.code, err: appError.cause ?? undefined, status: appError.httpStatus }, appError.message);
      const retryAfter = appError.details?.retry_after_s;
      if (appError.httpStatus === 429 && typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
      const send = () => {
        res.status(appError.httpStatus).json({
          error: {
            code: appError.code,
            message: appError.message,
            requestId: req.requestId,
            ...(appError.details ? { details: appError.details } : {}),
            ...(appError.httpStatus === 422 ? foremanValidationErrors(appError) : {}),
          },
        });
      };
      if (appError.httpStatus !== 403 || !options.denials) return send();
      // Answered once the audit has it (the first refusal of a minute is one insert; the rest are
      // counted in memory), so whoever reads the audit after the 403 finds it. A failed audit
      // write is logged and does not change the answer: the request was refused either way.
      options.denials.record(denialOf(req, appError)).catch((err: unknown) => req.log?.error({ err }, 'denial audit write failed')).finally(send);
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

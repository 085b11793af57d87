import { stringify } from 'lossless-json';
import { CSRF_HEADER } from '@common/session';

/** An error answered by the API: the message is the API's own, safe to show as it is. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Foreman's index envelope. */
export interface ListEnvelope<T> {
  total: number;
  subtotal: number;
  page: number;
  per_page: number;
  search: string | null;
  results: T[];
}

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

/** Set after login: every non-GET request carries it, as the server requires for cookie sessions. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API answers 401 to a request made with the session (it expired or was revoked). */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Calls the REST API under /api/v2 with the session cookie; non-2xx answers throw ApiError. */
export async function api<T>(method: string, path: string, options: { query?: Query; body?: unknown; signal?: AbortSignal; quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers[CSRF_HEADER] = csrfToken;
  let res: Response;
  try {
    res = await fetch(withQuery(`/api/v2${path}`, options.query), {
      method,
      headers,
      // lossless-json: typed job arguments keep `2.0` a float (common/input-typing.ts).
      body: options.body === undefined ? undefined : stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, `the server cannot be reached: ${(error as Error).message}`, 'UNAVAILABLE');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const err = (body as { error?: { message?: string; code?: string; details?: Record<string, unknown>; requestId?: string } } | undefined)?.error;
    const message = err?.message ?? `HTTP ${res.status} ${res.statusText}`;
    if (res.status === 401 && !options.quiet401) onUnauthenticated?.();
    throw new ApiError(res.status, err?.code === 'INTERNAL' && err.requestId ? `${message} (request ${err.requestId})` : message, err?.code ?? 'UNKNOWN', err?.details);
  }
  return body as T;
}

/** The message to show for any error caught in the UI. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

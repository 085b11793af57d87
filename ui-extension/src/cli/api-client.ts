import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { LosslessNumber, parse, stringify } from 'lossless-json';

import { CliError, EXIT } from './exit-codes';

export type Query = Record<string, string | number | boolean | undefined>;

/** The API answered with an error: its status, code and message (the error body of the API). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
  ) {
    // 4xx: the request was refused (bad input, not permitted, not found): a usage error.
    // 5xx: the server failed.
    super(status >= 500 ? EXIT.SERVER : EXIT.USAGE, `${apiMessage} (HTTP ${status} ${code})`);
  }
}

export interface ApiClient {
  get<T>(path: string, query?: Query, options?: { signal?: AbortSignal }): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body?: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  /** A raw body with its own content type (the YAML inventory import). */
  send<T>(method: string, path: string, body: string, contentType: string): Promise<T>;
  /** A GET whose body is a file (an export): streamed to `out` as it arrives, never held whole. */
  download(path: string, query: Query | undefined, out: Writable): Promise<void>;
  readonly baseUrl: string;
}

/**
 * A number of an API answer: a plain JS number when that prints back the same text (ids, counts),
 * else its exact text (reply data such as 0.0, 1.0e+20 or 2^70), so `--json` prints what came.
 */
function exactWhereNeeded(text: string): unknown {
  const n = Number(text);
  return String(n) === text ? n : new LosslessNumber(text);
}

/** The query string, leaving out unset values. */
export function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * The API over fetch with HTTP Basic (login and personal access token, or an asked password).
 * Paths are under /api/v2. Errors become ApiError (an answer) or CliError SERVER (no answer).
 */
export function createApiClient(options: { url: string; user?: string; secret?: string; userAgent?: string }): ApiClient {
  const base = `${options.url}/api/v2`;
  const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': options.userAgent ?? 'rex-cli' };
  if (options.user !== undefined && options.secret !== undefined) headers.Authorization = `Basic ${Buffer.from(`${options.user}:${options.secret}`).toString('base64')}`;

  async function request(method: string, path: string, init: { body?: string; contentType?: string; signal?: AbortSignal } = {}): Promise<Response> {
    try {
      return await fetch(`${base}${path}`, { method, headers: { ...headers, ...(init.contentType ? { 'Content-Type': init.contentType } : {}) }, body: init.body, signal: init.signal });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(EXIT.SERVER, `cannot reach ${options.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
  }

  async function call<T>(method: string, path: string, init: { body?: string; contentType?: string; signal?: AbortSignal } = {}): Promise<T> {
    const res = await request(method, path, init);
    const text = await res.text();
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = parse(text, null, exactWhereNeeded);
      } catch {
        if (!res.ok) throw new ApiError(res.status, 'UNKNOWN', text.slice(0, 500));
        throw new CliError(EXIT.SERVER, `${method} ${path}: the server answered something that is not JSON (HTTP ${res.status})`);
      }
    }
    if (!res.ok) {
      const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiError(res.status, error?.code ?? 'UNKNOWN', error?.message ?? `HTTP ${res.status}`);
    }
    return body as T;
  }

  return {
    baseUrl: base,
    get: (path, query, opts) => call('GET', `${path}${queryString(query)}`, { signal: opts?.signal }),
    // lossless-json's stringify: typed arguments hold numbers as their text (`2.0` stays a float).
    post: (path, body) => call('POST', path, { body: stringify(body ?? {}), contentType: 'application/json' }),
    put: (path, body) => call('PUT', path, { body: stringify(body ?? {}), contentType: 'application/json' }),
    delete: (path) => call('DELETE', path),
    send: (verb, path, body, contentType) => call(verb, path, { body, contentType }),
    async download(path, query, out) {
      const res = await request('GET', `${path}${queryString(query)}`);
      if (!res.ok || !res.body) {
        // An error answer is a small JSON body: read as any other.
        const text = await res.text();
        let error: { code?: string; message?: string } | undefined;
        try {
          error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
        } catch {
          error = undefined;
        }
        throw new ApiError(res.status, error?.code ?? 'UNKNOWN', error?.message ?? (text.slice(0, 500) || `HTTP ${res.status}`));
      }
      try {
        await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), out, { end: false });
      } catch (error) {
        throw new CliError(EXIT.SERVER, `GET ${path}: the download broke off: ${(error as Error).message}`);
      }
    },
  };
}


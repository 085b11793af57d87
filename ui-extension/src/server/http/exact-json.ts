import type { IncomingMessage } from 'node:http';

import type { Request, Response } from 'express';

import { parseExact, stringifyExact } from '@protos/json-numbers';

const RAW_BODY = Symbol('rawBody');

/** express.json's `verify`: keeps the body's bytes, so a route can read its numbers exactly. */
export function keepRawBody(req: IncomingMessage, _res: unknown, body: Buffer): void {
  (req as IncomingMessage & { [RAW_BODY]?: Buffer })[RAW_BODY] = body;
}

/**
 * One field of the JSON body with its numbers as the client wrote them (`5.0` stays a float):
 * the typed inputs of a job (issue 26). express.json has parsed and checked the body already; this
 * reads the same bytes again with exact numbers. Undefined when the field is absent.
 */
export function exactBodyField(req: Request, path: readonly string[]): unknown {
  const raw = (req as Request & { [RAW_BODY]?: Buffer })[RAW_BODY];
  if (!raw) return undefined;
  let value = parseExact(raw.toString('utf8'));
  for (const key of path) value = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/**
 * `res.json` for bodies that hold reply data, aggregates or typed arguments: their JsonNumbers are
 * written with the exact text the node (or the user) wrote, where res.json would round them
 * through JS numbers (`0.0` -> `0`, 2^53+1 -> 2^53; issue 26).
 */
export function sendExactJson(res: Response, body: unknown): void {
  res.type('application/json').send(stringifyExact(body));
}

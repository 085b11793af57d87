import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors';

/**
 * Bounds on request bodies beyond their size. No body of this API nests deeper than a handful of
 * levels (a job's arguments are the deepest: job.arguments.<input>.<value>), so 32 leaves room for
 * any real argument while a body of 5 MB of `[` (2.5 million levels) is refused before anything
 * walks it: JSON.parse copes, but every recursive walk after it (the unknown-field check, zod,
 * JSON.stringify of the arguments) would overflow the stack.
 */
export const MAX_BODY_DEPTH = 32;

/**
 * The nesting depth of JSON text, counting `[` and `{` outside strings, stopping as soon as it
 * passes `limit`. A byte scan, so it costs one pass and no memory whatever the body holds.
 */
export function jsonDepthOver(body: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (const byte of body) {
    if (inString) {
      if (escaped) escaped = false;
      else if (byte === 0x5c) escaped = true;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (byte === 0x5d || byte === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * `verify` of express.json: refuses a body nested deeper than MAX_BODY_DEPTH with 400 before it is
 * parsed (body-parser hands an AppError thrown here to the error handler as it is).
 */
export function refuseDeepJson(_req: IncomingMessage, _res: unknown, body: Buffer): void {
  if (jsonDepthOver(body, MAX_BODY_DEPTH)) {
    throw new AppError('INVALID_ARGUMENT', `request body: nests arrays and objects deeper than ${MAX_BODY_DEPTH} levels`, { details: { fields: [{ field: 'body', rule: `at most ${MAX_BODY_DEPTH} levels deep` }] } });
  }
}

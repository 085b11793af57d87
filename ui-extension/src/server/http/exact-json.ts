import type { Response } from 'express';

import { stringifyExact } from '@protos/json-numbers';

/**
 * `res.json` for bodies that hold reply data, aggregates or typed arguments: their JsonNumbers are
 * written with the exact text the node (or the user) wrote, where res.json would round them
 * through JS numbers (`0.0` -> `0`, 2^53+1 -> 2^53; issue 26).
 */
export function sendExactJson(res: Response, body: unknown): void {
  res.type('application/json').send(stringifyExact(body));
}

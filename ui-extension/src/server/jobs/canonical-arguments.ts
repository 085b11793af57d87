import { createHash } from 'node:crypto';

import { isJsonNumber } from '@protos/json-numbers';

/**
 * JSON with object keys sorted at every depth, so `{a:1,b:2}` and `{b:2,a:1}` are the same stored
 * action. Array order is kept: it is meaningful for list inputs.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  // A number as the user wrote it: `2.0` for a float input must reach the node as a Float.
  if (isJsonNumber(value)) return value.value;
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The identity of a remote action: sha256 over namespace, action and canonical arguments. */
export function remoteActionHash(namespace: string, action: string, args: Record<string, unknown>): string {
  // NUL separators: no namespace or action name contains one, so the triple cannot be ambiguous.
  return createHash('sha256').update(`${namespace}\u0000${action}\u0000${canonicalJson(args)}`).digest('hex');
}

/**
 * Ruby Marshal 4.8 for the psk security plugin, on top of @hyrious/marshal (docs/DEPENDENCIES.md):
 * building the values MCollective expects (Symbol keys where Ruby uses them, Floats where a DDL
 * says float) and turning what mcollectived sends back into plain JSON-friendly values.
 */
import { dump, load, RubyFloat, RubyObject, RubyStruct } from '@hyrious/marshal';

/** A Ruby Symbol. @hyrious/marshal maps Ruby symbols to registered JS symbols. */
export function sym(name: string): symbol {
  return Symbol.for(name);
}

/** A Ruby Float even when the JS number is whole (Marshal would otherwise write an Integer). */
export function rubyFloat(value: number): RubyFloat {
  return new RubyFloat(value);
}

/** A Ruby Hash with Symbol keys, as SimpleRPC uses for request data and the message envelope. */
export function symbolHash(entries: Record<string, unknown>): Record<symbol, unknown> {
  const out: Record<symbol, unknown> = {};
  for (const [key, value] of Object.entries(entries)) out[sym(key)] = value;
  return out;
}

export function marshalDump(value: unknown): Uint8Array {
  return dump(value);
}

/**
 * Loads one Marshal document keeping Strings without an encoding as bytes (Uint8Array): the psk
 * envelope's `:body` is such a binary String, and its hash is taken over exactly those bytes.
 */
export function marshalLoad(bytes: Uint8Array): unknown {
  return load(bytes, { hashSymbolKeysToString: true });
}

const utf8 = new TextDecoder('utf-8');

/**
 * Ruby values as JSON-friendly JS, the way `mco rpc --json` prints them: Symbols become their
 * names, binary Strings are read as UTF-8, Structs (Process.times in rpcutil daemon_stats) become
 * objects of their members, other objects their instance variables without the `@`.
 */
export function toPlain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'symbol') return Symbol.keyFor(value) ?? value.description ?? '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return utf8.decode(value);
  if (value instanceof RegExp) return value.source;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof RubyStruct) {
    const out: Record<string, unknown> = {};
    for (const key of Object.getOwnPropertySymbols(value.members)) out[Symbol.keyFor(key) ?? String(key.description)] = toPlain(value.members[key]);
    return out;
  }
  if (value instanceof RubyObject) {
    const out: Record<string, unknown> = {};
    for (const key of Object.getOwnPropertySymbols(value)) {
      const name = Symbol.keyFor(key) ?? key.description ?? '';
      if (name.startsWith('@')) out[name.slice(1)] = toPlain((value as unknown as Record<symbol, unknown>)[key]);
    }
    return out;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out[key] = toPlain(inner);
    return out;
  }
  return String(value);
}

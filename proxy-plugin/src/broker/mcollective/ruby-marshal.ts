/**
 * Ruby Marshal 4.8 for the psk security plugin, on top of @hyrious/marshal (docs/DEPENDENCIES.md):
 * building the values MCollective expects (Symbol keys where Ruby uses them, Floats where a DDL
 * says float) and reading the envelopes. Reply bodies are read by marshal-reader.ts, which keeps
 * their Ruby types exact.
 */
import { dump, load, RubyFloat } from '@hyrious/marshal';

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

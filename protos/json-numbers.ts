/**
 * JSON whose numbers keep their exact text, shared by both ends (issue 26): reply data as the daemon
 * sent it (`0.0` stays a float, 2^70 and 2^53+1 stay exact) and typed inputs as the user wrote them
 * (`5.0` is not `5` for an MCollective integer input). JavaScript's JSON.parse turns every number
 * into a double, so these values would change on the way; lossless-json (docs/DEPENDENCIES.md)
 * parses numbers into objects that keep their text and writes that text back verbatim.
 *
 * Values parsed here hold {@link JsonNumber}s. Code that needs a JS number reads `Number(n)`;
 * `JSON.stringify` of a JsonNumber writes the (possibly rounded) JS number, so logs and audits that
 * still use it stay readable; everything that stores or serves values uses {@link stringifyExact}.
 */
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';

/** A JSON number with its text as written. */
export class JsonNumber extends LosslessNumber {
  /** For JSON.stringify only (a lossy fallback): stringifyExact writes `value` itself. */
  toJSON(): number {
    return Number(this.value);
  }
}

export function isJsonNumber(value: unknown): value is LosslessNumber {
  return isLosslessNumber(value);
}

/**
 * JSON.parse that keeps every number's text; throws SyntaxError like JSON.parse. A repeated key
 * keeps its last value, as JSON.parse does (lossless-json would throw).
 */
export function parseExact(text: string): unknown {
  return parse(text, null, { parseNumber: (digits) => new JsonNumber(digits), onDuplicateKey: ({ newValue }) => newValue });
}

/**
 * A control character and a tag drawn once per process: no string of the data can be taken for a
 * placeholder (the tag never leaves the process). One tag and one compiled pattern for the process:
 * a fresh RegExp per call made V8 compile and keep one per serialized value, hundreds of MB over a
 * 100,000-host export (docs/BENCHMARKS.md, issue #19).
 */
const PLACEHOLDER_TAG = `\u0001rexnum${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}:`;
const PLACEHOLDER = new RegExp(`"${JSON.stringify(PLACEHOLDER_TAG).slice(1, -1).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}(\\d+)"`, 'g');

/**
 * JSON.stringify that writes JsonNumbers (and bigints) as their exact text: native JSON.stringify
 * with a placeholder per number, then the texts put in. lossless-json's own writer gives the same
 * text (json-numbers.test.ts checks) but is slower: for a page of 1,000 job hosts with their data,
 * 7 ms here against 80 ms (and 3 ms for plain JSON.stringify, which would round the numbers).
 */
export function stringifyExact(value: unknown): string {
  const texts: string[] = [];
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    if (isLosslessNumber(original)) texts.push(original.value);
    else if (typeof v === 'bigint') texts.push(v.toString());
    // A long list of strings (a job's host names) holds no number: written at once, not one call each.
    else if (Array.isArray(v) && v.length > 16 && v.every((item) => typeof item === 'string')) texts.push(JSON.stringify(v));
    else return v;
    return `${PLACEHOLDER_TAG}${texts.length - 1}`;
  });
  if (text === undefined) return 'null';
  if (texts.length === 0) return text;
  return text.replace(PLACEHOLDER, (_, index: string) => texts[Number(index)]);
}

/** lossless-json's own writer, for tests that check stringifyExact against it. */
export const stringifyLossless = stringify;

/** `1`, `-20`: no fraction and no exponent, as Ruby's JSON and Go read an integer. */
export const INTEGER_LITERAL = /^-?(0|[1-9]\d*)$/;

/** The text of a JSON number (JsonNumber, JS number or bigint); undefined for anything else. */
export function numberText(value: unknown): string | undefined {
  if (isJsonNumber(value)) return value.value;
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : undefined;
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

/** Whether a value is a JSON number written without fraction or exponent (JS numbers: whole). */
export function isIntegerNumber(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value);
  if (typeof value === 'bigint') return true;
  return isJsonNumber(value) && INTEGER_LITERAL.test(value.value);
}

/** Whether a value is any number (JsonNumber, finite JS number, bigint). */
export function isAnyNumber(value: unknown): boolean {
  return numberText(value) !== undefined;
}

/** Replaces JsonNumbers by JS numbers, deeply: for code that computes with plain values. */
export function toPlainNumbers(value: unknown): unknown {
  if (isJsonNumber(value)) return Number(value.value);
  if (Array.isArray(value)) return value.map(toPlainNumbers);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out[key] = toPlainNumbers(inner);
    return out;
  }
  return value;
}

/**
 * Text typed by a person (a `key=value` of `rex job run`, a field of the web form) turned into an
 * action input's value by the rules of `mco rpc` (mcollective/application/rpc.rb and
 * DDL.string_to_boolean / string_to_number of MCollective 2.12), so that the same text means the
 * same value here as there. docs/USAGE.md "Input types" lists the rules; the server checks the
 * result against the DDL as MCollective's validator does.
 *
 * Numbers come back as lossless-json LosslessNumbers holding the exact text, so that `2.0` reaches
 * the API (and the node) as a float and `2` as an integer; send them with lossless-json's
 * `stringify`.
 */
import { LosslessNumber, parse } from 'lossless-json';

export type TypedInput = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * `mco rpc`'s `/^(.+?)=(.+)$/` with Ruby's meaning: `^` and `$` anchor at every line and `.` is
 * any character but a newline, so the first line of the argument that holds `key=value` with a
 * non-empty key and value is the one read. Undefined when no line does (mco: "Could not parse").
 */
export function splitKeyValue(argument: string): { key: string; value: string } | undefined {
  const match = /(?:^|(?<=\n))([^\n]+?)=([^\n]+)(?=\n|$)/.exec(argument);
  return match ? { key: match[1], value: match[2] } : undefined;
}

/** Ruby's `=~ /^...$/` for a pattern without newlines: any line of the text matches. */
function anyLine(text: string, line: RegExp): boolean {
  return text.split('\n').some((l) => line.test(l));
}

/** Ruby's String#to_i: leading whitespace, a sign, digits with single underscores; 0 when none. */
function rubyToI(text: string): string {
  const match = /^\s*([+-]?)(\d+(?:_\d+)*)/.exec(text);
  if (!match) return '0';
  return BigInt(`${match[1]}${match[2].replace(/_/g, '')}`).toString();
}

/** Ruby's String#to_f, written as a JSON float (always with a fraction or an exponent). */
function rubyToF(text: string): string {
  const match = /^\s*([+-]?\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?(?:[eE][+-]?\d+)?)/.exec(text);
  const n = match ? Number(match[1].replace(/_/g, '')) : 0;
  const written = String(n);
  return /[.eE]/.test(written) ? written : `${written}.0`;
}

const TRUE_WORDS = ['true', 't', 'yes', 'y', '1'];
const FALSE_WORDS = ['false', 'f', 'no', 'n', '0'];

/**
 * The value `mco rpc` sends for `text` given to an input of DDL type `type`:
 * - boolean: true, t, yes, y, 1 / false, f, no, n, 0 in any case; anything else is refused;
 * - integer, float, number: digits with a fraction (`2.5`) are a Float, digits alone (`25`) an
 *   Integer, whatever the input's type (a Float for an integer input is then refused by the DDL
 *   check, as MCollective's validator refuses it); a sign, hex, an exponent or a space is refused;
 * - hash, array: JSON (Choria's rule; MCollective 2.12 has no such types);
 * - anything else (string, list, any): the text as it is.
 */
export function typeInputText(type: string, text: string): TypedInput {
  switch (type.toLowerCase()) {
    case 'boolean': {
      const word = text.toLowerCase();
      if (TRUE_WORDS.includes(word)) return { ok: true, value: true };
      if (FALSE_WORDS.includes(word)) return { ok: true, value: false };
      return { ok: false, message: `${text} does not look like a boolean argument (true, t, yes, y, 1, false, f, no, n or 0, as mco rpc reads them)` };
    }
    case 'integer':
    case 'float':
    case 'number':
      if (anyLine(text, /^\d+\.\d+$/)) return { ok: true, value: new LosslessNumber(rubyToF(text)) };
      if (anyLine(text, /^\d+$/)) return { ok: true, value: new LosslessNumber(rubyToI(text)) };
      return { ok: false, message: `${text} does not look like a number (digits, or digits.digits for a float, as mco rpc reads them)` };
    case 'hash':
    case 'array':
      try {
        return { ok: true, value: parse(text) };
      } catch {
        return { ok: false, message: `must be JSON for a ${type.toLowerCase()} input (got ${JSON.stringify(text)})` };
      }
    default:
      return { ok: true, value: text };
  }
}

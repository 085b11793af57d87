/**
 * Ruby values (marshal-reader.ts) as the JSON text `mco rpc --json` prints for them: MCollective's
 * RPC::Result#to_json hands the reply data to the json gem (2.6 on Ruby 3.1), which writes Hash,
 * Array, String, Integer, Float, true, false and nil itself and every other object as its `to_s`.
 * So a Time becomes "1970-01-01 00:00:00 UTC", a Range "1..3", a Symbol its name, a Struct
 * "#<struct Name a=1>", Integers keep every digit and Floats print as Ruby prints them (0.0, 1.0e+20).
 * Where Ruby's own output cannot be had, the choice is written down (docs/USAGE.md, "Reply values").
 */
import type { RubyValue } from './marshal-reader';

const utf8 = new TextDecoder('utf-8');

/**
 * Ruby's Float#to_s (numeric.c flo_to_s): the shortest digits that read back to the same double
 * (JavaScript finds the same ones); fixed notation when the point falls inside the digits, or
 * for whole numbers below 1e15 and fractions from 0.0001 on; else `d.ddde+XX`.
 */
export function rubyFloatToS(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const decpt = Number(exponent) + 1;
  if (decpt > 0 && decpt < digits.length) return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  if (decpt > 0 && decpt <= 15) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  if (decpt <= 0 && decpt > -4) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  const e = decpt - 1;
  return `${sign}${digits[0]}.${digits.length > 1 ? digits.slice(1) : '0'}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

function stringText(value: Extract<RubyValue, { kind: 'string' }>): string {
  // Ruby's generator converts to UTF-8 and refuses bytes that are not; a replacement character
  // keeps the rest of the reply instead (mco would print nothing at all).
  return utf8.decode(value.bytes);
}

function ivar(value: { ivars: Array<[string, RubyValue]> }, name: string): RubyValue | undefined {
  return value.ivars.find(([key]) => key === name)?.[1];
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * Time#to_s from Time's `_dump` (time.c time_mdump): two little-endian 32-bit words holding the UTC
 * date and time, a UTC flag, and the `offset` ivar for a local time, shown as `+HHMM`.
 */
function timeToS(value: Extract<RubyValue, { kind: 'userdef' }>): string {
  if (value.bytes.length !== 8) return '#<Time>';
  const view = new DataView(value.bytes.buffer, value.bytes.byteOffset, 8);
  const p = view.getUint32(0, true);
  const s = view.getUint32(4, true);
  const utc = ((p >>> 30) & 1) === 1;
  const yearIvar = ivar(value, 'year');
  const year = yearIvar && typeof yearIvar === 'object' && yearIvar.kind === 'integer' ? Number(yearIvar.value) : ((p >>> 14) & 0xffff) + 1900;
  const ms = Date.UTC(year, (p >>> 10) & 0xf, (p >>> 5) & 0x1f, p & 0x1f, (s >>> 26) & 0x3f, (s >>> 20) & 0x3f);
  const offsetIvar = ivar(value, 'offset');
  const offset = !utc && offsetIvar && typeof offsetIvar === 'object' && offsetIvar.kind === 'integer' ? Number(offsetIvar.value) : 0;
  const local = new Date(ms + offset * 1000);
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  if (utc) return `${date} UTC`;
  const minutes = Math.trunc(Math.abs(offset) / 60);
  return `${date} ${offset < 0 ? '-' : '+'}${pad(Math.trunc(minutes / 60))}${pad(minutes % 60)}`;
}

/** Regexp#to_s: `(?i-mx:source)`. */
function regexpToS(value: Extract<RubyValue, { kind: 'regexp' }>): string {
  const flags: Array<[string, number]> = [['m', 4], ['i', 1], ['x', 2]];
  const on = flags.filter(([, bit]) => value.options & bit).map(([f]) => f).join('');
  const off = flags.filter(([, bit]) => !(value.options & bit)).map(([f]) => f).join('');
  return `(?${on}${off ? `-${off}` : ''}:${value.source})`;
}

const PLAIN_SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*[?!=]?$/;

/** Ruby's String#inspect for the characters replies carry. */
function inspectString(text: string): string {
  const escaped = text.replace(/[\\"\n\t\r\f\v\x07\x08\x1b#]|[\x00-\x1f\x7f]/g, (c) => {
    const named: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\f': '\\f', '\v': '\\v', '\x07': '\\a', '\b': '\\b', '\x1b': '\\e', '#': '#' };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
  });
  // `#{`, `#$` and `#@` would read as interpolation, so Ruby escapes the `#`.
  return `"${escaped.replace(/#(?=[{$@])/g, '\\#')}"`;
}

/** Ruby's `inspect`, used inside a Struct's and an Array's `to_s`. */
export function rubyInspect(value: RubyValue): string {
  if (value === null) return 'nil';
  if (typeof value === 'boolean') return String(value);
  switch (value.kind) {
    case 'string':
      return inspectString(stringText(value));
    case 'symbol':
      return PLAIN_SYMBOL.test(value.name) ? `:${value.name}` : `:${inspectString(value.name)}`;
    case 'array':
      return `[${value.items.map(rubyInspect).join(', ')}]`;
    case 'hash':
      return value.entries.length === 0 ? '{}' : `{${value.entries.map(([k, v]) => `${rubyInspect(k)}=>${rubyInspect(v)}`).join(', ')}}`;
    case 'regexp':
      return `/${value.source}/${value.options & 4 ? 'm' : ''}${value.options & 1 ? 'i' : ''}${value.options & 2 ? 'x' : ''}`;
    case 'object':
      if (value.className === 'Range') return rangeText(value, rubyInspect);
      return rubyToS(value);
    default:
      return rubyToS(value);
  }
}

function rangeText(value: Extract<RubyValue, { kind: 'object' }>, show: (v: RubyValue) => string): string {
  const begin = ivar(value, 'begin') ?? null;
  const end = ivar(value, 'end') ?? null;
  const dots = ivar(value, 'excl') === true ? '...' : '..';
  return `${begin === null ? '' : show(begin)}${dots}${end === null ? '' : show(end)}`;
}

/** Ruby's `to_s`, which the json gem writes for every object it has no generator of its own for. */
export function rubyToS(value: RubyValue): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return String(value);
  switch (value.kind) {
    case 'integer':
      return value.value.toString();
    case 'float':
      return rubyFloatToS(value.value);
    case 'string':
      return stringText(value);
    case 'symbol':
      return value.name;
    case 'array':
    case 'hash':
      return rubyInspect(value);
    case 'regexp':
      return regexpToS(value);
    case 'class':
    case 'module':
      return value.name;
    case 'struct':
      return `#<struct ${value.className} ${value.ivars.map(([k, v]) => `${k}=${rubyInspect(v)}`).join(', ')}>`;
    case 'userdef':
      return value.className === 'Time' ? timeToS(value) : `#<${value.className}>`;
    case 'usermarshal':
      return userMarshalToS(value);
    case 'object':
      if (value.className === 'Range') return rangeText(value, rubyToS);
      // Object#to_s ends in the object's memory address, which says nothing once it left the node.
      return `#<${value.className}>`;
    default:
      return `#<${value.className}>`;
  }
}

/** Rational and Complex dump `[a, b]` through marshal_dump. */
function userMarshalToS(value: Extract<RubyValue, { kind: 'usermarshal' }>): string {
  const parts = value.data !== null && typeof value.data === 'object' && value.data.kind === 'array' ? value.data.items.map(rubyToS) : [];
  if (value.className === 'Rational' && parts.length === 2) return `${parts[0]}/${parts[1]}`;
  if (value.className === 'Complex' && parts.length === 2) return `${parts[0]}${parts[1].startsWith('-') ? '' : '+'}${parts[1]}i`;
  return `#<${value.className}>`;
}

/**
 * The JSON text of a value as Ruby's json gem writes it (compact). NaN and Infinity, which the
 * gem refuses to write, become the strings "NaN", "Infinity" and "-Infinity". A Hash key is its
 * `to_s`; when two keys read the same, the last one is kept, as JSON readers do.
 */
export function rubyToJson(value: RubyValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  switch (value.kind) {
    case 'integer':
      return value.value.toString();
    case 'float':
      return Number.isFinite(value.value) ? rubyFloatToS(value.value) : JSON.stringify(rubyFloatToS(value.value));
    case 'array':
      return `[${value.items.map(rubyToJson).join(',')}]`;
    case 'hash': {
      const members = new Map<string, string>();
      for (const [key, inner] of value.entries) {
        const name = rubyToS(key);
        members.delete(name);
        members.set(name, rubyToJson(inner));
      }
      return `{${[...members].map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
    }
    default:
      return JSON.stringify(rubyToS(value));
  }
}

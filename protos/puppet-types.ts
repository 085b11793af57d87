/**
 * Puppet type expressions as Puppet Task metadata writes them (`"type": "Optional[String[1, 64]]"`),
 * parsed and checked against JSON values.
 *
 * This lives in `protos/` for the same reason as ddl-validation.ts: task parameters reach the
 * ui-extension as `rex.proxy.v1.DdlInput.puppet_type`, and both ends check arguments against them
 * (the ui-extension to answer the user with a 422, the proxy because it can be reached directly).
 * Pure: no exceptions and no error types; each end turns a mismatch into its own error.
 *
 * Covered: Any, Data, ScalarData, Scalar, Undef, NotUndef, Boolean, Numeric, String, Integer and
 * Float with bounds, Enum (with the case-insensitive flag), Pattern, Regexp, Optional, Variant,
 * Array, Hash, Tuple, Struct (with Optional/NotUndef keys), Collection and Sensitive. A type name
 * this module does not know (a module's type alias such as `Stdlib::Port`) parses as unresolved and
 * accepts no value, as Puppet's own checker does with an unresolved type reference; an omitted
 * optional parameter of such a type is still fine.
 *
 * Numbers are read exactly (json-numbers.ts), so Integer and Float hold as in Puppet: `3.0` is a
 * Float and no Integer, `3` an Integer and no Float; Numeric takes both. A plain JS number (from a
 * caller that did not parse exactly) is an Integer when whole.
 * Regexes are Ruby regexes: `^` and `$` anchor lines, `\A`, `\z` and `\Z` the whole string, and a
 * Pattern matches when any of its regexes finds a match anywhere in the string.
 */
import { isIntegerNumber, isJsonNumber, numberText } from './json-numbers';

export type PuppetType =
  | { kind: 'Any' }
  | { kind: 'Data' }
  | { kind: 'ScalarData' }
  | { kind: 'Scalar' }
  | { kind: 'Undef' }
  | { kind: 'Boolean' }
  | { kind: 'Numeric' }
  | { kind: 'String'; min: number; max: number }
  | { kind: 'Integer'; min: number; max: number }
  | { kind: 'Float'; min: number; max: number }
  | { kind: 'Enum'; values: string[]; caseInsensitive: boolean }
  | { kind: 'Pattern'; patterns: string[] }
  | { kind: 'Regexp'; pattern?: string }
  | { kind: 'Optional'; type: PuppetType }
  | { kind: 'NotUndef'; type: PuppetType }
  | { kind: 'Sensitive'; type: PuppetType }
  | { kind: 'Variant'; types: PuppetType[] }
  | { kind: 'Array'; element: PuppetType; min: number; max: number }
  | { kind: 'Collection'; min: number; max: number }
  | { kind: 'Hash'; key: PuppetType; value: PuppetType; min: number; max: number }
  | { kind: 'Tuple'; types: PuppetType[]; min: number; max: number }
  | { kind: 'Struct'; members: StructMember[] }
  | { kind: 'Unresolved'; name: string };

export interface StructMember {
  key: string;
  /** Written as `Optional['key']`: the key may be left out. */
  optionalKey: boolean;
  type: PuppetType;
}

export type PuppetTypeParse = { ok: true; type: PuppetType } | { ok: false; message: string };

/** Where a value broke its type: `path` is '' for the value itself, else like `[2]['port']`. */
export interface PuppetTypeMismatch {
  path: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Lexer

type Token =
  | { t: 'name'; v: string; at: number }
  | { t: 'word'; v: string; at: number }
  | { t: 'number'; v: number; integer: boolean; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'regex'; v: string; at: number }
  | { t: 'punct'; v: '[' | ']' | ',' | '{' | '}' | '=>'; at: number }
  | { t: 'end'; at: number };

class ParseFailure {
  constructor(readonly message: string) {}
}

const NAME = /^(?:::)?[A-Z][A-Za-z0-9_]*(?:::[A-Z][A-Za-z0-9_]*)*/;
const WORD = /^(?:::)?[a-z_][A-Za-z0-9_-]*(?:::[a-z_][A-Za-z0-9_-]*)*/;
const NUMBER = /^-?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/;

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string): never => {
    throw new ParseFailure(`${message} at position ${i + 1}`);
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    if (c === '[' || c === ']' || c === ',' || c === '{' || c === '}') {
      tokens.push({ t: 'punct', v: c, at: i });
      i++;
    } else if (rest.startsWith('=>')) {
      tokens.push({ t: 'punct', v: '=>', at: i });
      i += 2;
    } else if (c === "'" || c === '"') {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated string');
        const ch = text[i];
        if (ch === c) break;
        if (ch === '\\' && i + 1 < text.length) {
          const next = text[i + 1];
          if (c === "'") value += next === "'" || next === '\\' ? next : `\\${next}`;
          else value += ({ n: '\n', t: '\t', r: '\r', s: ' ', '"': '"', '\\': '\\', $: '$', "'": "'" } as Record<string, string>)[next] ?? `\\${next}`;
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      i++;
      tokens.push({ t: 'string', v: value, at: start });
    } else if (c === '/') {
      const start = i;
      let source = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated regex');
        const ch = text[i];
        if (ch === '/') break;
        if (ch === '\\' && i + 1 < text.length) {
          // `\/` is how a regex literal holds a slash; every other escape belongs to the regex.
          source += text[i + 1] === '/' ? '/' : text.slice(i, i + 2);
          i += 2;
          continue;
        }
        source += ch;
        i++;
      }
      i++;
      tokens.push({ t: 'regex', v: source, at: start });
    } else if (NUMBER.test(rest) && (c !== '-' || /^-[0-9]/.test(rest))) {
      const m = NUMBER.exec(rest)![0];
      const value = /^-?0[xX]/.test(m) ? (m.startsWith('-') ? -parseInt(m.slice(3), 16) : parseInt(m.slice(2), 16)) : Number(m);
      tokens.push({ t: 'number', v: value, integer: !/[.eE]/.test(m) || /^-?0[xX]/.test(m), at: i });
      i += m.length;
    } else if (NAME.test(rest)) {
      const m = NAME.exec(rest)![0];
      tokens.push({ t: 'name', v: m.replace(/^::/, ''), at: i });
      i += m.length;
    } else if (WORD.test(rest)) {
      const m = WORD.exec(rest)![0];
      tokens.push({ t: 'word', v: m.replace(/^::/, ''), at: i });
      i += m.length;
    } else {
      fail(`unexpected character ${JSON.stringify(c)}`);
    }
  }
  tokens.push({ t: 'end', at: text.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser

/** A type parameter before it is interpreted by its type: a type, a literal or `default`. */
type Param =
  | { p: 'type'; type: PuppetType; name: string; at: number }
  | { p: 'number'; v: number; integer: boolean; at: number }
  | { p: 'string'; v: string; at: number }
  | { p: 'regex'; v: string; at: number }
  | { p: 'bool'; v: boolean; at: number }
  | { p: 'default'; at: number }
  | { p: 'hash'; entries: Array<{ key: Param; value: Param }>; at: number };

const SIMPLE: Readonly<Record<string, PuppetType>> = {
  Any: { kind: 'Any' },
  Data: { kind: 'Data' },
  ScalarData: { kind: 'ScalarData' },
  Scalar: { kind: 'Scalar' },
  Undef: { kind: 'Undef' },
  Boolean: { kind: 'Boolean' },
  Numeric: { kind: 'Numeric' },
};

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private next(): Token {
    return this.tokens[this.pos++];
  }

  private fail(message: string, at = this.peek().at): never {
    throw new ParseFailure(`${message} at position ${at + 1}`);
  }

  private expect(v: ']' | ',' | '}' | '=>' | '[' | '{'): void {
    const token = this.next();
    if (token.t !== 'punct' || token.v !== v) this.fail(`expected '${v}'`, token.at);
  }

  private isPunct(v: string): boolean {
    const token = this.peek();
    return token.t === 'punct' && token.v === v;
  }

  parseWhole(): PuppetType {
    const type = this.parseType();
    if (this.peek().t !== 'end') this.fail('unexpected text after the type');
    return type;
  }

  private parseType(): PuppetType {
    const param = this.parseParam();
    if (param.p !== 'type') this.fail('expected a type name such as String or Integer', param.at);
    return param.type;
  }

  private parseParams(): Param[] {
    const params: Param[] = [];
    this.expect('[');
    while (!this.isPunct(']')) {
      params.push(this.parseParam());
      if (this.isPunct(',')) this.next();
      else if (!this.isPunct(']')) this.fail("expected ',' or ']'");
    }
    this.expect(']');
    return params;
  }

  private parseParam(): Param {
    const token = this.next();
    switch (token.t) {
      case 'number':
        return { p: 'number', v: token.v, integer: token.integer, at: token.at };
      case 'string':
        return { p: 'string', v: token.v, at: token.at };
      case 'regex':
        return { p: 'regex', v: token.v, at: token.at };
      case 'word':
        if (token.v === 'default') return { p: 'default', at: token.at };
        if (token.v === 'true' || token.v === 'false') return { p: 'bool', v: token.v === 'true', at: token.at };
        if (token.v === 'undef') return { p: 'type', type: { kind: 'Undef' }, name: 'Undef', at: token.at };
        // Barewords are strings in the Puppet language: Enum[present, absent].
        return { p: 'string', v: token.v, at: token.at };
      case 'name': {
        const params = this.isPunct('[') ? this.parseParams() : undefined;
        return { p: 'type', type: this.build(token.v, params, token.at), name: token.v, at: token.at };
      }
      case 'punct':
        if (token.v === '{') return this.parseHash(token.at);
        return this.fail(`unexpected '${token.v}'`, token.at);
      default:
        return this.fail('unexpected end of the type', token.at);
    }
  }

  private parseHash(at: number): Param {
    const entries: Array<{ key: Param; value: Param }> = [];
    while (!this.isPunct('}')) {
      const key = this.parseParam();
      this.expect('=>');
      const value = this.parseParam();
      entries.push({ key, value });
      if (this.isPunct(',')) this.next();
      else if (!this.isPunct('}')) this.fail("expected ',' or '}'");
    }
    this.expect('}');
    return { p: 'hash', entries, at };
  }

  private bound(param: Param | undefined, fallback: number, integer: boolean, what: string): number {
    if (param === undefined || param.p === 'default') return fallback;
    if (param.p !== 'number') this.fail(`${what} must be a number or default`, param.at);
    if (integer && !Number.isInteger(param.v)) this.fail(`${what} must be a whole number`, param.at);
    return param.v;
  }

  private range(name: string, params: Param[], integer: boolean, at: number, lowest: number): { min: number; max: number } {
    if (params.length > 2) this.fail(`${name} takes at most 2 parameters (min, max)`, at);
    const min = this.bound(params[0], lowest, integer, `${name} minimum`);
    const max = this.bound(params[1], Infinity, integer, `${name} maximum`);
    if (min > max) this.fail(`${name} minimum ${min} is greater than its maximum ${max}`, at);
    return { min, max };
  }

  private asType(param: Param | undefined, where: string, at: number): PuppetType {
    if (param === undefined) return this.fail(`${where} needs a type parameter`, at);
    if (param.p === 'type') return param.type;
    // Optional['x'] and NotUndef['x'] mean Optional[Enum['x']]: a literal becomes a one-value Enum.
    if (param.p === 'string') return { kind: 'Enum', values: [param.v], caseInsensitive: false };
    return this.fail(`${where} expects a type`, param.at);
  }

  private build(name: string, params: Param[] | undefined, at: number): PuppetType {
    const simple = SIMPLE[name];
    if (simple) {
      if (params && params.length > 0) this.fail(`${name} takes no parameters`, at);
      return simple;
    }
    const ps = params ?? [];
    switch (name) {
      case 'String':
        return { kind: 'String', ...this.range('String', ps, true, at, 0) };
      case 'Integer':
        return { kind: 'Integer', ...this.range('Integer', ps, true, at, -Infinity) };
      case 'Float':
        return { kind: 'Float', ...this.range('Float', ps, false, at, -Infinity) };
      case 'Collection':
        return { kind: 'Collection', ...this.range('Collection', ps, true, at, 0) };
      case 'Enum': {
        const values: string[] = [];
        let caseInsensitive = false;
        ps.forEach((p, i) => {
          if (p.p === 'string') values.push(p.v);
          else if (p.p === 'bool' && i === ps.length - 1) caseInsensitive = p.v;
          else this.fail('Enum values must be strings', p.at);
        });
        return { kind: 'Enum', values, caseInsensitive };
      }
      case 'Pattern': {
        const patterns = ps.map((p) => {
          if (p.p === 'regex' || p.p === 'string') return p.v;
          if (p.p === 'type' && p.type.kind === 'Regexp' && p.type.pattern !== undefined) return p.type.pattern;
          return this.fail('Pattern values must be regexes or strings', p.at);
        });
        for (const [i, pattern] of patterns.entries()) {
          if (toJsRegExp(pattern) === undefined) this.fail(`Pattern regex /${pattern}/ is not a regex this checker can run`, ps[i].at);
        }
        return { kind: 'Pattern', patterns };
      }
      case 'Regexp': {
        if (ps.length === 0) return { kind: 'Regexp' };
        const p = ps[0];
        if (ps.length > 1 || (p.p !== 'regex' && p.p !== 'string')) this.fail('Regexp takes one regex', at);
        return { kind: 'Regexp', pattern: (p as { v: string }).v };
      }
      case 'Optional':
      case 'NotUndef':
      case 'Sensitive': {
        if (ps.length > 1) this.fail(`${name} takes one type`, at);
        const inner: PuppetType = ps.length === 0 ? { kind: 'Any' } : this.asType(ps[0], name, at);
        return { kind: name, type: inner };
      }
      case 'Variant':
        return { kind: 'Variant', types: ps.map((p) => this.asType(p, 'Variant', at)) };
      case 'Array': {
        if (ps.length > 3) this.fail('Array takes at most 3 parameters (type, min, max)', at);
        const element = ps.length === 0 ? { kind: 'Any' as const } : this.asType(ps[0], 'Array', at);
        return { kind: 'Array', element, ...this.range('Array size', ps.slice(1), true, at, 0) };
      }
      case 'Hash': {
        if (ps.length === 1 || ps.length > 4) this.fail('Hash takes a key type and a value type, then optionally min and max', at);
        const key = ps.length === 0 ? { kind: 'Any' as const } : this.asType(ps[0], 'Hash', at);
        const value = ps.length === 0 ? { kind: 'Any' as const } : this.asType(ps[1], 'Hash', at);
        return { kind: 'Hash', key, value, ...this.range('Hash size', ps.slice(2), true, at, 0) };
      }
      case 'Tuple': {
        let end = ps.length;
        while (end > 0 && (ps[end - 1].p === 'number' || ps[end - 1].p === 'default') && ps.length - end < 2) end--;
        const types = ps.slice(0, end).map((p) => this.asType(p, 'Tuple', at));
        const sizes = ps.slice(end);
        const min = this.bound(sizes[0], types.length, true, 'Tuple minimum size');
        const max = this.bound(sizes[1], sizes.length === 0 ? types.length : Infinity, true, 'Tuple maximum size');
        if (min > max) this.fail(`Tuple minimum size ${min} is greater than its maximum ${max}`, at);
        return { kind: 'Tuple', types, min, max };
      }
      case 'Struct': {
        if (ps.length !== 1 || ps[0].p !== 'hash') this.fail('Struct takes one hash of key => type', at);
        const members: StructMember[] = [];
        for (const entry of (ps[0] as Extract<Param, { p: 'hash' }>).entries) {
          const member = this.structKey(entry.key);
          if (members.some((m) => m.key === member.key)) this.fail(`Struct key '${member.key}' appears twice`, entry.key.at);
          members.push({ ...member, type: this.asType(entry.value, `Struct key '${member.key}'`, entry.value.at) });
        }
        return { kind: 'Struct', members };
      }
      default:
        // Module type aliases (Stdlib::Port) and Puppet types tasks do not use (Timestamp[...]).
        return { kind: 'Unresolved', name };
    }
  }

  private structKey(param: Param): { key: string; optionalKey: boolean } {
    if (param.p === 'string') return { key: param.v, optionalKey: false };
    if (param.p === 'type') {
      const t = param.type;
      if ((t.kind === 'Optional' || t.kind === 'NotUndef') && t.type.kind === 'Enum' && t.type.values.length === 1) {
        return { key: t.type.values[0], optionalKey: t.kind === 'Optional' };
      }
    }
    return this.fail("Struct keys must be strings, Optional['key'] or NotUndef['key']", param.at);
  }
}

/** Parses a Puppet type expression; the message names the position of the first problem. */
export function parsePuppetType(text: string): PuppetTypeParse {
  try {
    return { ok: true, type: new Parser(lex(text)).parseWhole() };
  } catch (error) {
    if (error instanceof ParseFailure) return { ok: false, message: `invalid Puppet type ${JSON.stringify(text)}: ${error.message}` };
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function regexLiteral(source: string): string {
  // An unescaped slash would end the literal early.
  return `/${source.replace(/(?<!\\)((?:\\\\)*)\//g, '$1\\/')}/`;
}

function bounds(min: number, max: number, lowest: number): string {
  if (max === Infinity) return min === lowest ? '' : `[${min}]`;
  return `[${min === lowest ? 'default' : min}, ${max}]`;
}

/** The canonical text of a type; parsing it again gives the same type. */
export function formatPuppetType(type: PuppetType): string {
  switch (type.kind) {
    case 'String':
    case 'Collection':
      return `${type.kind}${bounds(type.min, type.max, 0)}`;
    case 'Integer':
    case 'Float':
      return `${type.kind}${bounds(type.min, type.max, -Infinity)}`;
    case 'Enum':
      return `Enum[${[...type.values.map(quote), ...(type.caseInsensitive ? ['true'] : [])].join(', ')}]`;
    case 'Pattern':
      return `Pattern[${type.patterns.map(regexLiteral).join(', ')}]`;
    case 'Regexp':
      return type.pattern === undefined ? 'Regexp' : `Regexp[${regexLiteral(type.pattern)}]`;
    case 'Optional':
    case 'NotUndef':
    case 'Sensitive':
      return `${type.kind}[${formatPuppetType(type.type)}]`;
    case 'Variant':
      return `Variant[${type.types.map(formatPuppetType).join(', ')}]`;
    case 'Array': {
      const size = type.max === Infinity ? (type.min === 0 ? '' : `, ${type.min}`) : `, ${type.min}, ${type.max}`;
      return `Array[${formatPuppetType(type.element)}${size}]`;
    }
    case 'Hash': {
      const size = type.max === Infinity ? (type.min === 0 ? '' : `, ${type.min}`) : `, ${type.min}, ${type.max}`;
      return `Hash[${formatPuppetType(type.key)}, ${formatPuppetType(type.value)}${size}]`;
    }
    case 'Tuple': {
      const n = type.types.length;
      const size = type.min === n && type.max === n ? [] : type.max === Infinity ? [String(type.min)] : [String(type.min), String(type.max)];
      return `Tuple[${[...type.types.map(formatPuppetType), ...size].join(', ')}]`;
    }
    case 'Struct':
      return `Struct[{${type.members.map((m) => `${m.optionalKey ? `Optional[${quote(m.key)}]` : quote(m.key)} => ${formatPuppetType(m.type)}`).join(', ')}}]`;
    case 'Unresolved':
      return type.name;
    default:
      return type.kind;
  }
}

// ---------------------------------------------------------------------------------------------
// Checking

const regexCache = new Map<string, RegExp | null>();

/**
 * A Ruby regex as a JavaScript one: `^`/`$` anchor lines in Ruby (so the `m` flag), `\A`, `\z`
 * and `\Z` anchor the string, and `\h` is a hex digit. Undefined when JavaScript cannot compile it.
 */
export function toJsRegExp(source: string): RegExp | undefined {
  let compiled = regexCache.get(source);
  if (compiled === undefined) {
    const translated = source
      .replace(/(?<!\\)((?:\\\\)*)\\A/g, '$1(?<![\\s\\S])')
      .replace(/(?<!\\)((?:\\\\)*)\\z/g, '$1(?![\\s\\S])')
      .replace(/(?<!\\)((?:\\\\)*)\\Z/g, '$1(?=\\n?(?![\\s\\S]))')
      .replace(/(?<!\\)((?:\\\\)*)\\h/g, '$1[0-9a-fA-F]')
      .replace(/(?<!\\)((?:\\\\)*)\\H/g, '$1[^0-9a-fA-F]');
    try {
      compiled = new RegExp(translated, 'm');
    } catch {
      compiled = null;
    }
    regexCache.set(source, compiled);
  }
  return compiled ?? undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isJsonNumber(value);
}

/** A number's value and Puppet type: JSON text without fraction or exponent is an Integer. */
function numeric(value: unknown): { n: number; integer: boolean; text: string } | undefined {
  const text = numberText(value);
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? { n, integer: isIntegerNumber(value), text } : undefined;
}

function isUndef(value: unknown): boolean {
  return value === undefined || value === null;
}

function isData(value: unknown): boolean {
  if (isUndef(value) || typeof value === 'string' || typeof value === 'boolean') return true;
  if (numberText(value) !== undefined) return numeric(value) !== undefined;
  if (Array.isArray(value)) return value.every(isData);
  if (isPlainObject(value)) return Object.values(value).every(isData);
  return false;
}

function characters(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/**
 * A short picture of a value for messages: its type, and short scalars themselves unless the value
 * is concealed (a sensitive parameter's value must not reach an error message).
 */
function describeValue(value: unknown, conceal: boolean): string {
  if (isUndef(value)) return 'undef';
  if (typeof value === 'string') return !conceal && value.length <= 40 ? `${quote(value)}` : `a String of ${characters(value)} characters`;
  if (typeof value === 'boolean') return conceal ? 'a Boolean' : String(value);
  const number = numeric(value);
  if (number) return conceal ? (number.integer ? 'an Integer' : 'a Float') : `${number.integer ? 'Integer' : 'Float'} ${number.text}`;
  if (Array.isArray(value)) return `an Array of ${value.length}`;
  if (isPlainObject(value)) return `a Hash of ${Object.keys(value).length}`;
  return typeof value;
}

function rangeText(min: number, max: number): string {
  if (max === Infinity) return `at least ${min}`;
  if (min === -Infinity) return `at most ${max}`;
  return min === max ? `exactly ${min}` : `between ${min} and ${max}`;
}

function within(n: number, min: number, max: number): boolean {
  return n >= min && n <= max;
}

const ARTICLE = (name: string) => (/^[AEIOU]/.test(name) ? 'an' : 'a');

/** True when the type accepts undef, i.e. a task parameter of this type may be left out. */
export function acceptsUndef(type: PuppetType): boolean {
  switch (type.kind) {
    case 'Any':
    case 'Data':
    case 'Undef':
    case 'Optional':
      return true;
    case 'Sensitive':
      return acceptsUndef(type.type);
    case 'Variant':
      return type.types.some(acceptsUndef);
    default:
      return false;
  }
}

/** True when the type is or contains Sensitive: such a parameter is masked like a password. */
export function isSensitiveType(type: PuppetType): boolean {
  switch (type.kind) {
    case 'Sensitive':
      return true;
    case 'Optional':
    case 'NotUndef':
      return isSensitiveType(type.type);
    case 'Variant':
      return type.types.some(isSensitiveType);
    default:
      return false;
  }
}

export interface CheckOptions {
  /** Keep values out of messages (sensitive parameters); inside Sensitive[...] they always are. */
  conceal?: boolean;
}

/** The mismatch of a value and a type, or undefined when the value is an instance of the type. */
export function checkPuppetValue(type: PuppetType, value: unknown, options: CheckOptions = {}): PuppetTypeMismatch | undefined {
  return check(type, value, '', options.conceal === true);
}

function check(type: PuppetType, value: unknown, path: string, conceal: boolean): PuppetTypeMismatch | undefined {
  const mismatch = (message: string): PuppetTypeMismatch => ({ path, message });
  const expects = (what: string): PuppetTypeMismatch => mismatch(`expects ${what}, got ${describeValue(value, conceal)}`);
  switch (type.kind) {
    case 'Any':
      return undefined;
    case 'Data':
      return isData(value) ? undefined : expects('a Data value');
    case 'ScalarData':
    case 'Scalar':
      return typeof value === 'string' || typeof value === 'boolean' || numeric(value) ? undefined : expects(`${ARTICLE(type.kind)} ${type.kind} value`);
    case 'Undef':
      return isUndef(value) ? undefined : expects('undef');
    case 'Boolean':
      return typeof value === 'boolean' ? undefined : expects('a Boolean value');
    case 'Numeric':
      return numeric(value) ? undefined : expects('a Numeric value');
    case 'Integer': {
      const number = numeric(value);
      if (!number?.integer) return expects('an Integer value');
      return within(number.n, type.min, type.max) ? undefined : expects(`an Integer ${rangeText(type.min, type.max)}`);
    }
    case 'Float': {
      const number = numeric(value);
      if (!number || number.integer) return expects('a Float value');
      return within(number.n, type.min, type.max) ? undefined : expects(`a Float ${rangeText(type.min, type.max)}`);
    }
    case 'String': {
      if (typeof value !== 'string') return expects('a String value');
      const length = characters(value);
      return within(length, type.min, type.max) ? undefined : mismatch(`expects a String of ${rangeText(type.min, type.max)} characters, got ${length}`);
    }
    case 'Enum': {
      if (typeof value !== 'string') return expects(`a match for ${formatPuppetType(type)}`);
      const ok = type.caseInsensitive ? type.values.some((v) => v.toLowerCase() === value.toLowerCase()) : type.values.includes(value);
      return ok ? undefined : expects(`a match for ${formatPuppetType(type)}`);
    }
    case 'Pattern': {
      if (typeof value !== 'string') return expects(`a match for ${formatPuppetType(type)}`);
      // Pattern[] with no regex matches every string, as in Puppet.
      if (type.patterns.length === 0) return undefined;
      return type.patterns.some((p) => toJsRegExp(p)?.test(value)) ? undefined : expects(`a match for ${formatPuppetType(type)}`);
    }
    case 'Regexp':
      // A JSON value is never a Regexp object; a string that compiles is the closest a task gets.
      if (typeof value !== 'string' || toJsRegExp(value) === undefined) return expects('a Regexp');
      return type.pattern === undefined || type.pattern === value ? undefined : expects(formatPuppetType(type));
    case 'Optional':
      return isUndef(value) ? undefined : check(type.type, value, path, conceal);
    case 'NotUndef':
      return isUndef(value) ? expects('a value that is not undef') : check(type.type, value, path, conceal);
    case 'Sensitive':
      return check(type.type, value, path, true);
    case 'Variant': {
      const problems = type.types.map((t) => check(t, value, path, conceal));
      if (problems.some((p) => p === undefined)) return undefined;
      return expects(`a value of type ${formatPuppetType(type)}`);
    }
    case 'Collection':
      if (Array.isArray(value)) return within(value.length, type.min, type.max) ? undefined : mismatch(`expects size to be ${rangeText(type.min, type.max)}, got ${value.length}`);
      if (isPlainObject(value)) {
        const size = Object.keys(value).length;
        return within(size, type.min, type.max) ? undefined : mismatch(`expects size to be ${rangeText(type.min, type.max)}, got ${size}`);
      }
      return expects('an Array or Hash');
    case 'Array': {
      if (!Array.isArray(value)) return expects('an Array value');
      if (!within(value.length, type.min, type.max)) return mismatch(`expects size to be ${rangeText(type.min, type.max)}, got ${value.length}`);
      for (let i = 0; i < value.length; i++) {
        const problem = check(type.element, value[i], `${path}[${i}]`, conceal);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'Tuple': {
      if (!Array.isArray(value)) return expects('an Array value');
      if (!within(value.length, type.min, type.max)) return mismatch(`expects size to be ${rangeText(type.min, type.max)}, got ${value.length}`);
      for (let i = 0; i < value.length; i++) {
        const elementType = type.types[Math.min(i, type.types.length - 1)];
        if (!elementType) return mismatch(`expects no entries, got ${value.length}`);
        const problem = check(elementType, value[i], `${path}[${i}]`, conceal);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'Hash': {
      if (!isPlainObject(value)) return expects('a Hash value');
      const entries = Object.entries(value);
      if (!within(entries.length, type.min, type.max)) return mismatch(`expects size to be ${rangeText(type.min, type.max)}, got ${entries.length}`);
      for (const [k, v] of entries) {
        const keyProblem = check(type.key, k, `${path}[${quote(k)}]`, conceal);
        if (keyProblem) return { path: keyProblem.path, message: `key ${keyProblem.message}` };
        const problem = check(type.value, v, `${path}[${quote(k)}]`, conceal);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'Struct': {
      if (!isPlainObject(value)) return expects('a Struct value (a Hash)');
      const known = new Set(type.members.map((m) => m.key));
      const extra = Object.keys(value).find((k) => !known.has(k));
      if (extra !== undefined) return mismatch(`has an unrecognized key ${quote(extra)}; the keys are ${type.members.map((m) => quote(m.key)).join(', ')}`);
      for (const member of type.members) {
        const memberPath = `${path}[${quote(member.key)}]`;
        if (!Object.prototype.hasOwnProperty.call(value, member.key)) {
          if (member.optionalKey || acceptsUndef(member.type)) continue;
          return { path: memberPath, message: `expects a value for key ${quote(member.key)}` };
        }
        const problem = check(member.type, value[member.key], memberPath, conceal);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'Unresolved':
      return mismatch(`cannot be checked: type ${type.name} is not resolved here (type aliases from modules are unknown to this checker)`);
  }
}

/**
 * A coarse DDL type for forms (`string`, `integer`, `float`, `number`, `boolean`, `list`, `array`,
 * `hash`, `any`), with the values of an Enum; the Puppet type stays the rule that is checked.
 */
export function ddlTypeHint(type: PuppetType): { type: string; list?: string[] } {
  switch (type.kind) {
    case 'Optional':
    case 'NotUndef':
    case 'Sensitive':
      return ddlTypeHint(type.type);
    case 'String':
    case 'Pattern':
    case 'Regexp':
      return { type: 'string' };
    case 'Enum':
      return { type: 'list', list: [...type.values] };
    case 'Integer':
      return { type: 'integer' };
    case 'Float':
      return { type: 'float' };
    case 'Numeric':
      return { type: 'number' };
    case 'Boolean':
      return { type: 'boolean' };
    case 'Array':
    case 'Tuple':
      return { type: 'array' };
    case 'Hash':
    case 'Struct':
      return { type: 'hash' };
    default:
      return { type: 'any' };
  }
}

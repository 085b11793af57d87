/**
 * MCollective agent DDLs in their Ruby syntax (`<libdir>/mcollective/agent/<agent>.ddl`), read
 * without Ruby: a tokenizer and parser for the subset agent DDLs use (metadata, action with its
 * block, input, output, display, summarize with aggregate calls), turned into the JSON DDL shape
 * (mcorpc/ddl/v1/agent.json) so that parseAgentDdl checks and converts both alike.
 *
 * The loop the Puppet Labs agents use to declare similar actions is part of the subset:
 * `["start", "stop"].each do |act| action act, :description => "#{act.capitalize} it" do ... end end`
 * (also over `%w[...]`), with interpolation of the loop variable and the String methods such DDLs
 * call on it (capitalize, upcase, downcase, to_s, sub, gsub with a regex and a string).
 * Other Ruby (constants, conditionals, other methods, other interpolation) is refused with the
 * line it is on: the DDL is then skipped with a clear problem, never half-read.
 */

/** A double-quoted string with `#{...}`: literal parts and the source text of each interpolation. */
type TemplatePart = string | { source: string };

type Token =
  | { t: 'template'; v: TemplatePart[]; line: number }
  | { t: 'words'; v: string[]; line: number }
  | { t: 'ident'; v: string; line: number }
  | { t: 'label'; v: string; line: number }
  | { t: 'symbol'; v: string; line: number }
  | { t: 'string'; v: string; line: number }
  | { t: 'number'; v: number; line: number }
  | { t: 'regex'; v: string; line: number }
  | { t: 'punct'; v: string; line: number }
  | { t: 'newline'; v: '\n'; line: number }
  | { t: 'eof'; v: ''; line: number };

export class RubyDdlError extends Error {
  override readonly name = 'RubyDdlError';
  constructor(message: string, readonly line: number) {
    super(`line ${line}: ${message}`);
  }
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  // A slash starts a regex where an expression may begin (after `=>`, `(`, `,` or `[`).
  const regexMayStart = (): boolean => {
    const last = tokens[tokens.length - 1];
    return !last || (last.t === 'punct' && ['=>', '(', ',', '['].includes(last.v)) || last.t === 'label' || last.t === 'newline';
  };
  while (i < source.length) {
    const ch = source[i];
    if (ch === '\n') {
      tokens.push({ t: 'newline', v: '\n', line });
      line++;
      i++;
    } else if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
    } else if (ch === '\\' && source[i + 1] === '\n') {
      line++;
      i += 2;
    } else if (ch === '#') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (ch === '%' && source[i + 1] === 'w' && '[({'.includes(source[i + 2] ?? '')) {
      const close = { '[': ']', '(': ')', '{': '}' }[source[i + 2] as '[' | '(' | '{'];
      const end = source.indexOf(close, i + 3);
      if (end < 0) throw new RubyDdlError('unterminated %w list', line);
      const body = source.slice(i + 3, end);
      tokens.push({ t: 'words', v: body.split(/\s+/).filter((w) => w !== ''), line });
      line += body.split('\n').length - 1;
      i = end + 1;
    } else if (ch === "'" || ch === '"') {
      const start = line;
      let value = '';
      const parts: TemplatePart[] = [];
      i++;
      while (i < source.length && source[i] !== ch) {
        const c = source[i];
        if (c === '\n') line++;
        if (c === '\\') {
          const next = source[i + 1];
          if (ch === "'") {
            // Single quotes keep every backslash except before \ and '.
            value += next === '\\' || next === "'" ? next : `\\${next}`;
          } else {
            const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', s: ' ', '0': '\0', e: '\x1b' };
            value += escapes[next] ?? next;
          }
          i += 2;
          continue;
        }
        if (ch === '"' && c === '#' && source[i + 1] === '{') {
          let depth = 1;
          let j = i + 2;
          while (j < source.length && depth > 0) {
            if (source[j] === '{') depth++;
            else if (source[j] === '}') depth--;
            j++;
          }
          if (depth > 0) throw new RubyDdlError('unterminated #{ in a string', line);
          parts.push(value, { source: source.slice(i + 2, j - 1) });
          value = '';
          i = j;
          continue;
        }
        value += c;
        i++;
      }
      if (i >= source.length) throw new RubyDdlError('unterminated string', start);
      i++;
      if (parts.length > 0) tokens.push({ t: 'template', v: [...parts, value], line: start });
      else tokens.push({ t: 'string', v: value, line: start });
    } else if (ch === ':' && source[i + 1] === ':') {
      throw new RubyDdlError('constants (::) are not supported in a DDL', line);
    } else if (ch === ':' && (source[i + 1] === '"' || source[i + 1] === "'")) {
      const quote = source[i + 1];
      const close = source.indexOf(quote, i + 2);
      if (close < 0) throw new RubyDdlError('unterminated symbol', line);
      tokens.push({ t: 'symbol', v: source.slice(i + 2, close), line });
      i = close + 1;
    } else if (ch === ':' && IDENT_START.test(source[i + 1] ?? '')) {
      let j = i + 1;
      while (j < source.length && IDENT_PART.test(source[j])) j++;
      if (source[j] === '?' || source[j] === '!') j++;
      tokens.push({ t: 'symbol', v: source.slice(i + 1, j), line });
      i = j;
    } else if (IDENT_START.test(ch)) {
      let j = i;
      while (j < source.length && IDENT_PART.test(source[j])) j++;
      if (source[j] === '?' || source[j] === '!') j++;
      const word = source.slice(i, j);
      // `key: value` hash style (Ruby 1.9+), but not `a ? b : c` or `::`.
      if (source[j] === ':' && source[j + 1] !== ':') {
        tokens.push({ t: 'label', v: word, line });
        j++;
      } else {
        tokens.push({ t: 'ident', v: word, line });
      }
      i = j;
    } else if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const match = /^-?[0-9][0-9_]*(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(source.slice(i))!;
      tokens.push({ t: 'number', v: Number(match[0].replace(/_/g, '')), line });
      i += match[0].length;
    } else if (ch === '/' && regexMayStart()) {
      let j = i + 1;
      while (j < source.length && source[j] !== '/') {
        if (source[j] === '\n') throw new RubyDdlError('unterminated regular expression', line);
        j += source[j] === '\\' ? 2 : 1;
      }
      if (j >= source.length) throw new RubyDdlError('unterminated regular expression', line);
      const body = source.slice(i + 1, j);
      j++;
      while (/[imxo]/.test(source[j] ?? '')) j++;
      tokens.push({ t: 'regex', v: body, line });
      i = j;
    } else if (source.startsWith('=>', i)) {
      tokens.push({ t: 'punct', v: '=>', line });
      i += 2;
    } else if ('(),[]{}|.'.includes(ch)) {
      tokens.push({ t: 'punct', v: ch, line });
      i++;
    } else {
      throw new RubyDdlError(`unexpected character ${JSON.stringify(ch)}`, line);
    }
  }
  tokens.push({ t: 'eof', v: '', line });
  return tokens;
}

/** Values of the subset: Symbols, hashes (string keys: the symbol or string name) and calls are tagged. */
type Value = string | number | boolean | null | RubySymbol | RubyRegex | Value[] | RubyHash | RubyCall | RubyVariable | RubyTemplate;

class RubySymbol {
  constructor(readonly name: string) {}
}
class RubyRegex {
  constructor(readonly source: string) {}
}
class RubyHash {
  constructor(readonly entries: Map<string, Value> = new Map()) {}
}
class RubyCall {
  constructor(readonly name: string, readonly args: Value[]) {}
}
/** A loop variable, with the String methods called on it (`act.capitalize`). */
class RubyVariable {
  constructor(readonly name: string, readonly methods: Array<{ name: string; args: Value[] }>, readonly line: number) {}
}
class RubyTemplate {
  constructor(readonly parts: Array<string | Value>) {}
}

interface Statement {
  name: string;
  args: Value[];
  block?: Statement[];
  line: number;
  /** `[...].each do |variable| ... end`: the block runs once per item. */
  loop?: { items: Value[]; variable: string };
}

/** The String methods loop DDLs call on their variable, as Ruby defines them. */
const STRING_METHODS: Readonly<Record<string, (value: string, args: Value[], line: number) => string>> = {
  capitalize: (v) => v.charAt(0).toUpperCase() + v.slice(1).toLowerCase(),
  upcase: (v) => v.toUpperCase(),
  downcase: (v) => v.toLowerCase(),
  to_s: (v) => v,
  sub: (v, args, line) => substitute(v, args, line, false),
  gsub: (v, args, line) => substitute(v, args, line, true),
};

function substitute(value: string, args: Value[], line: number, global: boolean): string {
  const [pattern, replacement] = args;
  if (typeof replacement !== 'string' || !(pattern instanceof RubyRegex || typeof pattern === 'string')) {
    throw new RubyDdlError(`${global ? 'gsub' : 'sub'} takes a regex or string and a replacement string`, line);
  }
  const regex = pattern instanceof RubyRegex ? new RegExp(pattern.source, global ? 'g' : '') : new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), global ? 'g' : '');
  // Ruby's \1 back-references become JavaScript's $1; a literal $ must not be read as one.
  return value.replace(regex, replacement.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1'));
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private next(): Token {
    return this.tokens[this.pos++];
  }

  private isPunct(v: string): boolean {
    const tok = this.peek();
    return tok.t === 'punct' && tok.v === v;
  }

  private expectPunct(v: string): void {
    const tok = this.next();
    if (tok.t !== 'punct' || tok.v !== v) throw new RubyDdlError(`expected ${v}, found ${tok.t === 'eof' ? 'the end of the file' : String(tok.v)}`, tok.line);
  }

  private skipNewlines(): void {
    while (this.peek().t === 'newline') this.pos++;
  }

  /** statements until `end` (for do-blocks), `}` or the end of the file */
  statements(terminator: 'end' | '}' | 'eof'): Statement[] {
    const out: Statement[] = [];
    for (;;) {
      this.skipNewlines();
      const tok = this.peek();
      if (terminator === 'eof' && tok.t === 'eof') return out;
      if (terminator === 'end' && tok.t === 'ident' && tok.v === 'end') {
        this.pos++;
        return out;
      }
      if (terminator === '}' && tok.t === 'punct' && tok.v === '}') {
        this.pos++;
        return out;
      }
      if (tok.t === 'eof') throw new RubyDdlError(`missing ${terminator}`, tok.line);
      out.push(this.statement());
    }
  }

  private statement(): Statement {
    const first = this.peek();
    if ((first.t === 'punct' && first.v === '[') || first.t === 'words') return this.loop();
    const tok = this.next();
    if (tok.t !== 'ident') throw new RubyDdlError(`unsupported construct starting with ${String(tok.v)}; a DDL holds only metadata, action, input, output, display and summarize calls`, tok.line);
    if (['if', 'unless', 'case', 'while', 'def', 'class', 'module', 'begin', 'require'].includes(tok.v)) {
      throw new RubyDdlError(`Ruby ${tok.v} is not supported in a DDL`, tok.line);
    }
    let args: Value[] = [];
    if (this.isPunct('(')) {
      this.pos++;
      args = this.argList(')');
      this.expectPunct(')');
    } else if (!this.atStatementEnd()) {
      args = this.argList(undefined);
    }
    let block: Statement[] | undefined;
    if (this.peek().t === 'ident' && this.peek().v === 'do') {
      this.pos++;
      if (this.isPunct('|')) throw new RubyDdlError(`block parameters are only supported on [...].each, not on ${tok.v}`, this.peek().line);
      block = this.statements('end');
    } else if (this.isPunct('{')) {
      this.pos++;
      block = this.statements('}');
    }
    const after = this.peek();
    if (after.t === 'ident' && after.v !== 'end') throw new RubyDdlError(`unexpected ${after.v} after ${tok.v}(...)`, after.line);
    if (after.t === 'punct' && after.v !== '}') throw new RubyDdlError(`unexpected ${after.v} after ${tok.v}(...)`, after.line);
    return { name: tok.v, args, block, line: tok.line };
  }

  /** `[items].each do |variable| statements end` */
  private loop(): Statement {
    const start = this.peek();
    const items = this.expression();
    if (!Array.isArray(items)) throw new RubyDdlError('expected a list', start.line);
    this.expectPunct('.');
    const each = this.next();
    if (each.t !== 'ident' || each.v !== 'each') throw new RubyDdlError(`only [...].each loops are supported, not .${String(each.v)}`, each.line);
    const open = this.next();
    if (open.t !== 'ident' || open.v !== 'do') throw new RubyDdlError('expected do after each', open.line);
    this.expectPunct('|');
    const variable = this.next();
    if (variable.t !== 'ident') throw new RubyDdlError('expected one loop variable', variable.line);
    this.expectPunct('|');
    const block = this.statements('end');
    return { name: 'each', args: [], block, line: start.line, loop: { items, variable: variable.v } };
  }

  /** `name.method(args).method ...` after a variable name. */
  private variable(name: string, line: number): RubyVariable {
    const methods: Array<{ name: string; args: Value[] }> = [];
    while (this.isPunct('.')) {
      this.pos++;
      const method = this.next();
      if (method.t !== 'ident' || !(method.v in STRING_METHODS)) throw new RubyDdlError(`unsupported method .${String(method.v)}; loop variables support ${Object.keys(STRING_METHODS).join(', ')}`, method.line);
      let args: Value[] = [];
      if (this.isPunct('(')) {
        this.pos++;
        args = this.argList(')');
        this.expectPunct(')');
      }
      methods.push({ name: method.v, args });
    }
    return new RubyVariable(name, methods, line);
  }

  private atStatementEnd(): boolean {
    const tok = this.peek();
    return tok.t === 'newline' || tok.t === 'eof' || (tok.t === 'ident' && (tok.v === 'do' || tok.v === 'end')) || (tok.t === 'punct' && (tok.v === '{' || tok.v === '}'));
  }

  /** Arguments; `key => value` and `key: value` pairs are gathered into one trailing Hash, as Ruby does. */
  private argList(close: string | undefined): Value[] {
    const args: Value[] = [];
    let hash: RubyHash | undefined;
    for (;;) {
      if (close) this.skipNewlines();
      if (close && this.isPunct(close)) break;
      const tok = this.peek();
      if (tok.t === 'label') {
        this.pos++;
        this.skipNewlines();
        hash ??= new RubyHash();
        hash.entries.set(tok.v, this.expression());
      } else {
        const value = this.expression();
        if (this.isPunct('=>')) {
          this.pos++;
          this.skipNewlines();
          hash ??= new RubyHash();
          hash.entries.set(keyName(value, tok.line), this.expression());
        } else {
          if (hash) throw new RubyDdlError('a plain argument cannot follow key => value pairs', tok.line);
          args.push(value);
        }
      }
      if (!this.isPunct(',')) break;
      this.pos++;
      // A trailing comma continues the call on the next line.
      this.skipNewlines();
    }
    if (hash) args.push(hash);
    return args;
  }

  private expression(): Value {
    const tok = this.next();
    switch (tok.t) {
      case 'string': {
        let text = tok.v;
        // "a" "b" and "a" \ "b" concatenate in Ruby.
        while (this.peek().t === 'string') text += String(this.next().v);
        return text;
      }
      case 'template':
        return new RubyTemplate(
          tok.v.map((part) => {
            if (typeof part === 'string') return part;
            const inner = new Parser(tokenize(part.source).map((t) => ({ ...t, line: tok.line })));
            const value = inner.expression();
            if (inner.peek().t !== 'eof') throw new RubyDdlError(`unsupported interpolation #{${part.source}}`, tok.line);
            return value;
          }),
        );
      case 'words':
        return tok.v;
      case 'number':
        return tok.v;
      case 'symbol':
        return new RubySymbol(tok.v);
      case 'regex':
        return new RubyRegex(tok.v);
      case 'ident':
        if (tok.v === 'true') return true;
        if (tok.v === 'false') return false;
        if (tok.v === 'nil') return null;
        if (this.isPunct('(')) {
          this.pos++;
          const args = this.argList(')');
          this.expectPunct(')');
          return new RubyCall(tok.v, args);
        }
        // Any other name can only be a loop variable; expand() refuses it when no loop defines it.
        return this.variable(tok.v, tok.line);
      case 'punct':
        if (tok.v === '[') {
          const items: Value[] = [];
          this.skipNewlines();
          while (!this.isPunct(']')) {
            items.push(this.expression());
            this.skipNewlines();
            if (this.isPunct(',')) {
              this.pos++;
              this.skipNewlines();
            } else break;
          }
          this.expectPunct(']');
          return items;
        }
        if (tok.v === '{') {
          const [hash] = this.argList('}').filter((v): v is RubyHash => v instanceof RubyHash);
          this.expectPunct('}');
          return hash ?? new RubyHash();
        }
        throw new RubyDdlError(`unexpected ${tok.v}`, tok.line);
      default:
        throw new RubyDdlError(`unexpected ${tok.t === 'eof' ? 'end of file' : tok.t}`, tok.line);
    }
  }
}

type Scope = ReadonlyMap<string, string>;

/** The value with every loop variable and interpolation replaced by its text. */
function resolve(value: Value, scope: Scope, line: number): Value {
  if (value instanceof RubyVariable) {
    const bound = scope.get(value.name);
    if (bound === undefined) throw new RubyDdlError(`unsupported expression ${value.name}; only literals, aggregate calls and loop variables are allowed`, value.line);
    return value.methods.reduce((text, method) => STRING_METHODS[method.name](text, method.args.map((a) => resolve(a, scope, line)), value.line), bound);
  }
  if (value instanceof RubyTemplate) {
    return value.parts
      .map((part) => {
        const resolved = resolve(part, scope, line);
        if (resolved instanceof RubySymbol) return resolved.name;
        if (typeof resolved === 'string' || typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
        if (resolved === null) return '';
        throw new RubyDdlError('only strings and numbers can be interpolated', line);
      })
      .join('');
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, scope, line));
  if (value instanceof RubyHash) return new RubyHash(new Map([...value.entries].map(([k, v]) => [k, resolve(v, scope, line)])));
  if (value instanceof RubyCall) return new RubyCall(value.name, value.args.map((a) => resolve(a, scope, line)));
  return value;
}

/** Unrolls loops and resolves their variables, so that what follows sees plain statements. */
function expand(statements: Statement[], scope: Scope): Statement[] {
  return statements.flatMap((statement) => {
    if (statement.loop) {
      const { items, variable } = statement.loop;
      return items.flatMap((item) => {
        const resolved = resolve(item, scope, statement.line);
        const text = resolved instanceof RubySymbol ? resolved.name : resolved;
        if (typeof text !== 'string') throw new RubyDdlError('loops may only run over strings or symbols', statement.line);
        return expand(statement.block ?? [], new Map([...scope, [variable, text]]));
      });
    }
    return [{ ...statement, args: statement.args.map((a) => resolve(a, scope, statement.line)), block: statement.block ? expand(statement.block, scope) : undefined }];
  });
}

function keyName(value: Value, line: number): string {
  if (value instanceof RubySymbol) return value.name;
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  throw new RubyDdlError('hash keys must be symbols or strings', line);
}

/** Ruby values as JSON DDL values: symbols and regexes become their text. */
function toJson(value: Value): unknown {
  if (value instanceof RubySymbol) return value.name;
  if (value instanceof RubyRegex) return value.source;
  if (value instanceof RubyHash) return Object.fromEntries([...value.entries].map(([k, v]) => [k, toJson(v)]));
  if (value instanceof RubyCall || value instanceof RubyVariable || value instanceof RubyTemplate) throw new Error('unresolved value');
  if (Array.isArray(value)) return value.map(toJson);
  return value;
}

function nameArg(statement: Statement, what: string): string {
  const first = statement.args[0];
  if (first instanceof RubySymbol) return first.name;
  if (typeof first === 'string') return first;
  throw new RubyDdlError(`${what} needs a name as its first argument`, statement.line);
}

function propertiesArg(statement: Statement, what: string): Record<string, unknown> {
  const last = statement.args[statement.args.length - 1];
  if (!(last instanceof RubyHash)) throw new RubyDdlError(`${what} needs :key => value properties`, statement.line);
  return toJson(last) as Record<string, unknown>;
}

function aggregateOf(statement: Statement): { function: string; args: unknown[] } {
  const call = statement.args[0];
  if (!(call instanceof RubyCall)) throw new RubyDdlError('aggregate takes a function call such as summary(:output)', statement.line);
  return { function: call.name, args: call.args.map(toJson) };
}

function actionOf(statement: Statement): Record<string, unknown> {
  const name = nameArg(statement, 'action');
  const props = statement.args.length > 1 ? propertiesArg(statement, 'action') : {};
  const action: Record<string, unknown> = { action: name, description: props.description ?? '', input: {}, output: {} };
  const input = action.input as Record<string, unknown>;
  const output = action.output as Record<string, unknown>;
  const aggregate: Array<{ function: string; args: unknown[] }> = [];
  for (const inner of statement.block ?? []) {
    switch (inner.name) {
      case 'display': {
        const mode = inner.args[0];
        if (!(mode instanceof RubySymbol) && typeof mode !== 'string') throw new RubyDdlError('display takes :ok, :failed or :always', inner.line);
        action.display = mode instanceof RubySymbol ? mode.name : mode;
        break;
      }
      case 'input':
        input[nameArg(inner, 'input')] = propertiesArg(inner, 'input');
        break;
      case 'output':
        output[nameArg(inner, 'output')] = propertiesArg(inner, 'output');
        break;
      case 'summarize':
        for (const call of inner.block ?? []) {
          if (call.name !== 'aggregate') throw new RubyDdlError(`summarize may only hold aggregate calls, found ${call.name}`, call.line);
          aggregate.push(aggregateOf(call));
        }
        break;
      case 'aggregate':
        aggregate.push(aggregateOf(inner));
        break;
      default:
        throw new RubyDdlError(`unsupported call ${inner.name} inside action ${name}`, inner.line);
    }
  }
  if (aggregate.length > 0) action.aggregate = aggregate;
  return action;
}

/**
 * Parses the text of an agent .ddl file into the JSON DDL shape; throws RubyDdlError (with the
 * line) for syntax outside the supported subset, or for a file that is not an agent DDL.
 */
export function parseRubyDdl(source: string): { metadata: Record<string, unknown>; actions: Array<Record<string, unknown>> } {
  const statements = expand(new Parser(tokenize(source)).statements('eof'), new Map());
  let metadata: Record<string, unknown> | undefined;
  const actions: Array<Record<string, unknown>> = [];
  for (const statement of statements) {
    switch (statement.name) {
      case 'metadata':
        metadata = propertiesArg(statement, 'metadata');
        break;
      case 'action':
        actions.push(actionOf(statement));
        break;
      // Version requirements of the DDL itself; they do not change what the actions accept.
      case 'requires':
        break;
      case 'dataquery':
      case 'discovery':
      case 'usage':
        throw new RubyDdlError(`${statement.name} belongs to a ${statement.name === 'usage' ? 'plugin' : statement.name} DDL, not an agent DDL`, statement.line);
      default:
        throw new RubyDdlError(`unsupported call ${statement.name} at the top level`, statement.line);
    }
  }
  if (!metadata) throw new RubyDdlError('no metadata :name => ... found; not an agent DDL', 1);
  return { metadata, actions };
}

import { AppError } from '../errors';

/**
 * Tokenizer and recursive-descent parser for the scoped_search subset Foreman users type
 * (github.com/wvanbergen/scoped_search/wiki/query-language). Grammar, lowest precedence first:
 *
 *   query     := or EOF
 *   or        := and (('or' | '||') and)*
 *   and       := not (('and' | '&&')? not)*      juxtaposition means `and`, as in scoped_search
 *   not       := ('not' | '!') not | primary
 *   primary   := '(' or ')' | ('set?' | 'has' | 'null?') KEY | KEY OP value | KEY ('^' | '!^') list | value
 *   list      := '(' value (',' value)* ')' | value
 *
 * A bare value is free text; the compiler decides which fields it searches. `has` is scoped_search's
 * other spelling of `set?` (a keyword there too, so the word itself is searched quoted: `"has"`).
 * Positions are 1-based character columns of the input, so an error can point at them.
 */

export type ComparisonOperator = '=' | '!=' | '~' | '!~' | '>' | '<' | '>=' | '<=';
export type ListOperator = '^' | '!^';
export type SearchOperator = ComparisonOperator | ListOperator;

export type SearchNode =
  | { type: 'and'; left: SearchNode; right: SearchNode }
  | { type: 'or'; left: SearchNode; right: SearchNode }
  | { type: 'not'; operand: SearchNode }
  | { type: 'condition'; key: string; operator: ComparisonOperator; value: string; position: number }
  | { type: 'list'; key: string; operator: ListOperator; values: string[]; position: number }
  | { type: 'presence'; key: string; operator: 'set?' | 'null?'; position: number }
  | { type: 'text'; value: string; position: number };

export type TokenKind = 'word' | 'string' | 'operator' | 'lparen' | 'rparen' | 'comma' | 'and' | 'or' | 'not' | 'presence' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The text as the user meant it: unquoted, escapes resolved, keywords lower-cased. */
  text: string;
  /** 1-based column of the first character. */
  position: number;
  /** True when the token is a string whose closing quote is missing (auto-completion uses it). */
  unterminated?: boolean;
}

/**
 * Bounds on one search. The parser recurses once per parenthesis or `not`, and ~5,000 of them
 * overflowed the stack; each term nests the SQL one level deeper, and SQLite refuses expressions
 * over 1,000 deep (1,000 `not`s or 1,100 `or`ed terms answered 500). Real searches stay far below;
 * many values of one field go in a list, `name ^ (a, b, c)`, which is one term of any length.
 */
export const SEARCH_LIMITS = { depth: 50, terms: 250 } as const;

const OPERATORS = ['!=', '!~', '!^', '>=', '<=', '=', '~', '^', '>', '<'] as const;
/** Characters that end an unquoted word. `?` is allowed so `set?` and `null?` read as words. */
const WORD_END = /[\s()=!~^<>,&|"']/;

function syntaxError(message: string, position: number, expected: string): AppError {
  return new AppError('INVALID_ARGUMENT', `search: ${message} at position ${position}; expected ${expected}`, {
    details: { fields: [{ field: 'search', rule: `expected ${expected}` }], position, expected },
  });
}

/**
 * Splits a search into tokens. With `lenient` an unterminated quote becomes a string token
 * marked `unterminated` instead of an error, which is what auto-completion needs.
 */
export function tokenize(input: string, options: { lenient?: boolean } = {}): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const position = i + 1;
    if (ch === '(') { tokens.push({ kind: 'lparen', text: ch, position }); i += 1; continue; }
    if (ch === ')') { tokens.push({ kind: 'rparen', text: ch, position }); i += 1; continue; }
    if (ch === ',') { tokens.push({ kind: 'comma', text: ch, position }); i += 1; continue; }
    if (input.startsWith('&&', i)) { tokens.push({ kind: 'and', text: 'and', position }); i += 2; continue; }
    if (input.startsWith('||', i)) { tokens.push({ kind: 'or', text: 'or', position }); i += 2; continue; }
    if (ch === '"' || ch === "'") {
      let value = '';
      let j = i + 1;
      let closed = false;
      while (j < input.length) {
        const c = input[j];
        if (c === '\\' && j + 1 < input.length) {
          value += input[j + 1];
          j += 2;
          continue;
        }
        if (c === ch) {
          closed = true;
          j += 1;
          break;
        }
        value += c;
        j += 1;
      }
      if (!closed && !options.lenient) throw syntaxError('unterminated quoted value', position, `a closing ${ch}`);
      tokens.push({ kind: 'string', text: value, position, ...(closed ? {} : { unterminated: true }) });
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => input.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'operator', text: op, position });
      i += op.length;
      continue;
    }
    if (ch === '!') { tokens.push({ kind: 'not', text: 'not', position }); i += 1; continue; }
    if (ch === '&' || ch === '|') throw syntaxError(`unexpected '${ch}'`, position, ch === '&' ? "'&&'" : "'||'");
    let j = i;
    while (j < input.length && !WORD_END.test(input[j])) j += 1;
    const word = input.slice(i, j);
    const lower = word.toLowerCase();
    if (lower === 'and' || lower === 'or' || lower === 'not') tokens.push({ kind: lower, text: lower, position });
    else if (lower === 'set?' || lower === 'null?') tokens.push({ kind: 'presence', text: lower, position });
    else if (lower === 'has') tokens.push({ kind: 'presence', text: 'set?', position });
    else tokens.push({ kind: 'word', text: word, position });
    i = j;
  }
  tokens.push({ kind: 'eof', text: '', position: input.length + 1 });
  return tokens;
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'eof': return 'end of input';
    case 'string': return `"${token.text}"`;
    default: return `'${token.text}'`;
  }
}

/** Parses a search into an AST; null for an empty search. Throws INVALID_ARGUMENT naming position and expectation. */
export function parseSearch(input: string): SearchNode | null {
  const tokens = tokenize(input);
  let index = 0;
  let depth = 0;
  let terms = 0;
  const peek = (offset = 0): Token => tokens[Math.min(index + offset, tokens.length - 1)];
  const next = (): Token => tokens[index++];

  if (peek().kind === 'eof') return null;

  function value(after: string): Token {
    const token = peek();
    if (token.kind === 'word' || token.kind === 'string') return next();
    throw syntaxError(`found ${describe(token)}`, token.position, `a value after ${after}`);
  }

  function parseOr(): SearchNode {
    let left = parseAnd();
    while (peek().kind === 'or') {
      next();
      left = { type: 'or', left, right: parseAnd() };
    }
    return left;
  }

  function startsOperand(token: Token): boolean {
    return ['word', 'string', 'lparen', 'not', 'presence'].includes(token.kind);
  }

  function parseAnd(): SearchNode {
    let left = parseNot();
    for (;;) {
      if (peek().kind === 'and') {
        next();
        left = { type: 'and', left, right: parseNot() };
      } else if (startsOperand(peek())) {
        left = { type: 'and', left, right: parseNot() };
      } else {
        return left;
      }
    }
  }

  /** One level deeper for a parenthesis or a `not` at `token`; refused past SEARCH_LIMITS.depth. */
  function nested<T>(token: Token, parse: () => T): T {
    if (++depth > SEARCH_LIMITS.depth) {
      throw new AppError('INVALID_ARGUMENT', `search: nests parentheses and 'not' more than ${SEARCH_LIMITS.depth} levels deep at position ${token.position}; expected at most ${SEARCH_LIMITS.depth} levels`, {
        details: { fields: [{ field: 'search', rule: `at most ${SEARCH_LIMITS.depth} levels deep` }], position: token.position },
      });
    }
    const node = parse();
    depth -= 1;
    return node;
  }

  function parseNot(): SearchNode {
    const token = peek();
    if (token.kind === 'not') {
      next();
      return nested(token, () => ({ type: 'not', operand: parseNot() }));
    }
    return parsePrimary();
  }

  function parsePrimary(): SearchNode {
    const token = peek();
    if (token.kind === 'lparen') {
      next();
      return nested(token, () => {
        const inner = parseOr();
        const close = peek();
        if (close.kind !== 'rparen') throw syntaxError(`found ${describe(close)}`, close.position, "')' or 'and'/'or'");
        next();
        return inner;
      });
    }
    if (++terms > SEARCH_LIMITS.terms) {
      throw new AppError('INVALID_ARGUMENT', `search: has more than ${SEARCH_LIMITS.terms} terms at position ${token.position}; expected at most ${SEARCH_LIMITS.terms} terms (name many values at once with key ^ (a, b, c))`, {
        details: { fields: [{ field: 'search', rule: `at most ${SEARCH_LIMITS.terms} terms` }], position: token.position },
      });
    }
    if (token.kind === 'presence') {
      next();
      const key = peek();
      if (key.kind !== 'word') throw syntaxError(`found ${describe(key)}`, key.position, `a field name after '${token.text}'`);
      next();
      return { type: 'presence', key: key.text, operator: token.text as 'set?' | 'null?', position: key.position };
    }
    if (token.kind === 'word' && peek(1).kind === 'operator') {
      const key = next();
      const op = next();
      if (op.text === '^' || op.text === '!^') {
        const values: string[] = [];
        if (peek().kind === 'lparen') {
          next();
          values.push(value(`'${op.text} ('`).text);
          while (peek().kind === 'comma') {
            next();
            values.push(value("','").text);
          }
          const close = peek();
          if (close.kind !== 'rparen') throw syntaxError(`found ${describe(close)}`, close.position, "',' or ')'");
          next();
        } else {
          values.push(value(`'${op.text}'`).text);
        }
        return { type: 'list', key: key.text, operator: op.text as ListOperator, values, position: key.position };
      }
      return { type: 'condition', key: key.text, operator: op.text as ComparisonOperator, value: value(`'${op.text}'`).text, position: key.position };
    }
    if (token.kind === 'word' || token.kind === 'string') {
      next();
      return { type: 'text', value: token.text, position: token.position };
    }
    if (token.kind === 'operator') throw syntaxError(`found operator '${token.text}'`, token.position, 'a field name before the operator');
    throw syntaxError(`found ${describe(token)}`, token.position, "a condition, a value, 'not' or '('");
  }

  const root = parseOr();
  const rest = peek();
  if (rest.kind !== 'eof') throw syntaxError(`found ${describe(rest)}`, rest.position, "'and', 'or' or end of input");
  return root;
}

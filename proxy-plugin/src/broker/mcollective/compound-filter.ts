/**
 * Compound filters (`mco -S "hostgroup=web or (osfamily=Debian and not role::db)"`) travel as the
 * token list MCollective's client-side Matcher::Parser produces, which mcollectived then evaluates:
 * `[{"statement"=>"hostgroup=web"}, {"or"=>"or"}, {"("=>"("}, ...]`. This tokenizer covers the
 * language's common subset: fact and class statements (with =, ==, !=, =~, <, >, <=, >=, spaces
 * around the operator, quoted values, /regex/ values), function statements such as
 * `fstat("/etc/hosts").size>0`, and, or, not (also `!`) and parentheses.
 */

/** One token of the call stack, a single-key Hash with a String key on the Ruby side. */
export type CompoundToken = Readonly<Record<string, string>>;
export type CompoundCallstack = CompoundToken[];

export class CompoundFilterError extends Error {
  override readonly name = 'CompoundFilterError';
}

const OPERATOR_CHARS = new Set(['=', '<', '>', '!']);

function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && /\s/.test(ch);
}

function keyword(expr: string, at: number, word: string): boolean {
  if (expr.slice(at, at + word.length) !== word) return false;
  const next = expr[at + word.length];
  return next === undefined || isSpace(next) || next === '(';
}

/** Reads a /regex/ starting at `at` (a slash); returns the text with both slashes and the next index. */
function readRegex(expr: string, at: number): [string, number] {
  let i = at + 1;
  while (i < expr.length && expr[i] !== '/') i += expr[i] === '\\' ? 2 : 1;
  if (i >= expr.length) throw new CompoundFilterError(`unterminated regular expression at position ${at + 1}`);
  return [expr.slice(at, i + 1), i + 1];
}

/** Reads one statement or function statement starting at `at`. */
function readStatement(expr: string, at: number): [CompoundToken, number] {
  let text = '';
  let i = at;
  let isFunction = false;
  let hasOperator = false;
  while (i < expr.length) {
    const ch = expr[i];
    if (isSpace(ch)) {
      // `hostgroup = web`: spaces around the operator belong to the statement.
      let j = i;
      while (isSpace(expr[j])) j++;
      const endsWithOperator = OPERATOR_CHARS.has(text[text.length - 1] ?? '');
      if (!hasOperator && OPERATOR_CHARS.has(expr[j] ?? '') && !(expr[j] === '!' && expr[j + 1] !== '=')) i = j;
      else if (endsWithOperator && j < expr.length) i = j;
      else break;
      continue;
    }
    if (ch === ')') break;
    if (ch === '"' || ch === "'") {
      const close = expr.indexOf(ch, i + 1);
      if (close < 0) throw new CompoundFilterError(`unterminated quote at position ${i + 1}`);
      text += expr.slice(i + 1, close);
      i = close + 1;
      continue;
    }
    if (ch === '/' && (text === '' || OPERATOR_CHARS.has(text[text.length - 1]))) {
      const [regex, next] = readRegex(expr, i);
      text += regex;
      i = next;
      continue;
    }
    if (ch === '(' && text !== '' && !hasOperator) {
      const close = expr.indexOf(')', i);
      if (close < 0) throw new CompoundFilterError(`unterminated function call at position ${i + 1}`);
      text += expr.slice(i, close + 1);
      i = close + 1;
      isFunction = true;
      continue;
    }
    if (ch === '(') throw new CompoundFilterError(`unexpected ( at position ${i + 1}`);
    if (OPERATOR_CHARS.has(ch)) hasOperator = true;
    text += ch;
    i++;
  }
  if (text === '') throw new CompoundFilterError(`expected a statement at position ${at + 1}`);
  if (!isFunction && /^[=<>!]|[=<>!]$/.test(text) && !/^\/.*\/$/.test(text)) {
    throw new CompoundFilterError(`statement ${text} needs a name and a value around its operator`);
  }
  return [isFunction ? { fstatement: text } : { statement: text }, i];
}

function tokenize(expr: string): CompoundCallstack {
  const tokens: CompoundCallstack = [];
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i];
    if (isSpace(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ [ch]: ch });
      i++;
    } else if (ch === '!' && expr[i + 1] !== '=') {
      tokens.push({ not: 'not' });
      i++;
    } else if (keyword(expr, i, 'and') || keyword(expr, i, 'not')) {
      const word = expr.slice(i, i + 3);
      tokens.push({ [word]: word });
      i += 3;
    } else if (keyword(expr, i, 'or')) {
      tokens.push({ or: 'or' });
      i += 2;
    } else {
      const [token, next] = readStatement(expr, i);
      tokens.push(token);
      i = next;
    }
  }
  return tokens;
}

const kind = (token: CompoundToken): string => Object.keys(token)[0];

/** The grammar Matcher::Parser enforces: operands and binary operators alternate, parentheses balance. */
function checkOrder(tokens: CompoundCallstack): void {
  let depth = 0;
  let expectOperand = true;
  for (const token of tokens) {
    const k = kind(token);
    if (k === 'statement' || k === 'fstatement') {
      if (!expectOperand) throw new CompoundFilterError(`missing and/or before ${token[k]}`);
      expectOperand = false;
    } else if (k === 'not' || k === '(') {
      if (!expectOperand) throw new CompoundFilterError(`missing and/or before ${k}`);
      if (k === '(') depth++;
    } else if (k === ')') {
      if (expectOperand || depth === 0) throw new CompoundFilterError('unbalanced or empty parentheses');
      depth--;
    } else {
      if (expectOperand) throw new CompoundFilterError(`${k} needs a statement before it`);
      expectOperand = true;
    }
  }
  if (depth !== 0) throw new CompoundFilterError('unbalanced parentheses');
  if (expectOperand) throw new CompoundFilterError('the expression ends without a statement');
}

/** Tokenizes and checks a compound expression; throws CompoundFilterError naming the problem. */
export function parseCompoundFilter(expression: string): CompoundCallstack {
  const tokens = tokenize(expression.trim());
  if (tokens.length === 0) throw new CompoundFilterError('the expression is empty');
  checkOrder(tokens);
  return tokens;
}

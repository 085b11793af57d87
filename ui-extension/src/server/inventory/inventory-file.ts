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

function reject(problems: Array<{ path: string; rule: string }>): AppError {
  const shown = problems.slice(0, 20);
  const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
  return new AppError('INVALID_ARGUMENT', `invalid inventory: ${shown.map((p) => `${p.path}: ${p.rule}`).join('; ')}${more}`, {
    details: { fields: shown.map((p) => ({ field: p.path, rule: p.rule })) },
  });
}

/** Reads YAML or JSON text (JSON is YAML, so one parser reads both and reports the line). */
export function readInventoryText(text: string): unknown {
  try {
    return YAML.parse(text);
  } catch (error) {
    throw new AppError('INVALID_ARGUMENT', `invalid inventory: cannot be read as YAML or JSON: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
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

import type { HostWrite, StoredFact, StoredHost } from './host.repository';
import { storedFactValue } from './host.repository';
import type { InventoryRepositories } from './inventory.repository';
import { chunks } from './sql';

/**
 * Where facts come from, lowest rank first. Each fact row records the source that wrote it; a
 * source writes and removes only facts that no higher-ranked source holds, so a proxy refresh
 * never overwrites or removes what the inventory file (the source of record) says, per fact:
 *
 *   inventory  the inventory file (`POST /inventory/import`, the demo seed)
 *   foreman    the Foreman sync (Foreman's own facts of each host, `/api/v2/hosts/:id/facts`)
 *   puppetdb   the PuppetDB sync
 *   proxy      a smart proxy's node inventory (the proxies' refresh and periodic sync)
 *
 * Rows from before sources were recorded have none (NULL) and rank below all: the next source
 * that reports the fact takes it over, and any source's full report removes it when absent, as
 * every source did before. docs/USAGE.md ("Fact sources") says the same for operators.
 */
export const FACT_SOURCES = ['proxy', 'puppetdb', 'foreman', 'inventory'] as const;
export type FactSource = (typeof FACT_SOURCES)[number];

const rank = (source: string | null): number => FACT_SOURCES.indexOf(source as FactSource) + 1;

/**
 * A host as a source reports it. A field left undefined keeps the stored value (or null for a new
 * host); `facts`, when given, is the host's complete fact set.
 */
export interface HostInput {
  name: string;
  hostgroupId?: number | null;
  /** Only used when the stored host has no hostgroup yet (the sync's hostgroup fact). */
  defaultHostgroupId?: number | null;
  smartProxyId?: number | null;
  organizationId?: number | null;
  locationId?: number | null;
  lastSeenAt?: Date | null;
  missingSince?: Date | null;
  facts?: Record<string, string>;
}

export interface HostWriteSummary {
  created: number;
  /** Hosts with any field changed, their last contact included. */
  updated: number;
  /** Of those, hosts whose hostgroup, smart proxy, organization or location changed. */
  reassigned: number;
  unchanged: number;
  facts_written: number;
  facts_deleted: number;
  /** Facts the source reported with another value than a higher-ranked source holds: that value stays. */
  facts_outranked: number;
}

const sameDate = (a: Date | null, b: Date | null): boolean => (a === null ? b === null : b !== null && a.getTime() === b.getTime());

function merge(stored: StoredHost | undefined, input: HostInput): HostWrite {
  const pick = <T>(given: T | undefined, kept: T | undefined): T | null => (given !== undefined ? given : kept ?? null) as T | null;
  const hostgroupId = pick(input.hostgroupId, stored?.hostgroupId);
  return {
    name: stored?.name ?? input.name,
    hostgroupId: hostgroupId ?? input.defaultHostgroupId ?? null,
    smartProxyId: pick(input.smartProxyId, stored?.smartProxyId),
    organizationId: pick(input.organizationId, stored?.organizationId),
    locationId: pick(input.locationId, stored?.locationId),
    lastSeenAt: pick(input.lastSeenAt, stored?.lastSeenAt),
    missingSince: pick(input.missingSince, stored?.missingSince),
  };
}

function reassigned(stored: StoredHost, next: HostWrite): boolean {
  return stored.hostgroupId !== next.hostgroupId || stored.smartProxyId !== next.smartProxyId || stored.organizationId !== next.organizationId || stored.locationId !== next.locationId;
}

function changed(stored: StoredHost, next: HostWrite): boolean {
  return reassigned(stored, next) || !sameDate(stored.lastSeenAt, next.lastSeenAt) || !sameDate(stored.missingSince, next.missingSince);
}

/** Whether a write changed more than when hosts were last seen: worth an audit entry when nobody asked for it. */
export const inventoryChanged = (s: HostWriteSummary): boolean => s.created + s.reassigned + s.facts_written + s.facts_deleted > 0;

export const emptyHostWriteSummary = (): HostWriteSummary => ({ created: 0, updated: 0, reassigned: 0, unchanged: 0, facts_written: 0, facts_deleted: 0, facts_outranked: 0 });

/**
 * Writes hosts and their facts with the fewest statements: it reads what is stored for a batch,
 * then inserts the new hosts, upserts the changed ones and only the facts that differ, all as
 * multi-row statements of up to 500 rows. Writing the same input twice changes nothing. Facts are
 * written as `source`'s, under the precedence of FACT_SOURCES.
 */
export async function writeHosts(repos: InventoryRepositories, inputs: HostInput[], now: Date, source: FactSource): Promise<HostWriteSummary> {
  const summary = emptyHostWriteSummary();
  const own = rank(source);
  for (const batch of chunks(inputs)) {
    const stored = new Map((await repos.hosts.findByNames(batch.map((h) => h.name))).map((h) => [h.name.toLowerCase(), h]));
    const fresh: HostWrite[] = [];
    const updates: Array<HostWrite & { id: number }> = [];
    for (const input of batch) {
      const existing = stored.get(input.name.toLowerCase());
      const next = merge(existing, input);
      if (!existing) fresh.push(next);
      else if (changed(existing, next)) {
        updates.push({ ...next, id: existing.id });
        if (reassigned(existing, next)) summary.reassigned += 1;
      }
      else summary.unchanged += 1;
    }
    const inserted = await repos.hosts.insertHosts(fresh, now);
    await repos.hosts.updateHosts(updates, now);
    summary.created += fresh.length;
    summary.updated += updates.length;

    const ids = new Map<string, number>([...stored.values(), ...inserted].map((h) => [h.name.toLowerCase(), h.id]));
    const withFacts = batch.filter((h) => h.facts !== undefined);
    if (withFacts.length === 0) continue;
    const current = await repos.hosts.factsOfHosts(withFacts.map((h) => ids.get(h.name.toLowerCase()) as number));
    const upserts: Array<{ hostId: number; name: string; value: string; source: FactSource }> = [];
    const deletes: Array<{ hostId: number; name: string }> = [];
    for (const input of withFacts) {
      const hostId = ids.get(input.name.toLowerCase()) as number;
      const have = current.get(hostId) ?? new Map<string, StoredFact>();
      const want = input.facts as Record<string, string>;
      for (const [name, value] of Object.entries(want)) {
        const stored = have.get(name);
        if (stored && rank(stored.source) > own) {
          if (stored.value !== storedFactValue(value)) summary.facts_outranked += 1;
        } else if (!stored || stored.value !== storedFactValue(value) || stored.source !== source) upserts.push({ hostId, name, value, source });
      }
      for (const [name, stored] of have) {
        if (Object.prototype.hasOwnProperty.call(want, name)) continue;
        // A source removes what it no longer reports, but only its own facts (and unowned old rows).
        if (stored.source === source || stored.source === null) deletes.push({ hostId, name });
      }
    }
    await repos.hosts.deleteFacts(deletes);
    await repos.hosts.upsertFacts(upserts);
    summary.facts_written += upserts.length;
    summary.facts_deleted += deletes.length;
  }
  return summary;
}

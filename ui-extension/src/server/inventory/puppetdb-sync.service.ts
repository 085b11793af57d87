import type { Logger } from '../logger';
import type { PuppetDbNode } from '../puppetdb/puppetdb.client';
import { writeHosts, type HostWriteSummary } from './host-writer';
import type { InventoryStore } from './inventory.repository';

/**
 * PuppetDB as an inventory source: every node PuppetDB knows (its `inventory` entity) becomes a
 * host, with its facts flattened the way Foreman stores them (`os::family`). A host keeps its
 * hostgroup, smart proxy and taxonomies: PuppetDB does not know them, so a new host gets them from
 * a proxy sync or an import, and is targetable by `pql` or search meanwhile by name and facts.
 */
export interface PuppetDbSyncSummary extends HostWriteSummary {
  puppetdb: string;
  nodes: number;
}

export interface PuppetDbSyncService {
  sync(): Promise<PuppetDbSyncSummary>;
}

export function flattenFacts(facts: Record<string, unknown>, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const [key, value] of Object.entries(facts)) {
    const name = prefix ? `${prefix}::${key}` : key;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) flattenFacts(value as Record<string, unknown>, name, out);
    else out[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

export function createPuppetDbSyncService(deps: { store: InventoryStore; puppetdb: { url: string; inventory(): Promise<PuppetDbNode[]> }; clock: () => Date; logger: Logger }): PuppetDbSyncService {
  return {
    async sync() {
      const started = Date.now();
      const nodes = await deps.puppetdb.inventory();
      const now = deps.clock();
      const written = await deps.store.transaction((repos) =>
        writeHosts(repos, nodes.map((node) => ({ name: node.certname, lastSeenAt: now, missingSince: null, facts: flattenFacts(node.facts) })), now),
      );
      deps.logger.info({ puppetdb: deps.puppetdb.url, nodes: nodes.length, created: written.created, updated: written.updated, ms: Date.now() - started }, 'PuppetDB inventory synced');
      return { ...written, puppetdb: deps.puppetdb.url, nodes: nodes.length };
    },
  };
}

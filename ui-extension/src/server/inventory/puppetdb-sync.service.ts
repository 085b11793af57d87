import { auditContext, type AuditService } from '../audit/audit.service';
import { requirePermission, type CurrentUser } from '../auth/abilities';
import { flattenFacts } from '@protos/facts';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { PuppetDbNode } from '../puppetdb/puppetdb.client';
import { inventoryChanged, writeHosts, type HostWriteSummary } from './host-writer';
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
  /** The scheduled sync (puppetdb.sync_interval_s). */
  sync(): Promise<PuppetDbSyncSummary>;
  /** The sync an API caller asks for: it rewrites hosts and facts, so it needs manage_inventory. */
  syncAs(user: CurrentUser): Promise<PuppetDbSyncSummary>;
}

/** `puppetdb` is absent when none is configured; a sync then fails FAILED_PRECONDITION saying so. */
export function createPuppetDbSyncService(deps: { store: InventoryStore; puppetdb?: { url: string; inventory(): Promise<PuppetDbNode[]> }; audit: AuditService; clock: () => Date; logger: Logger }): PuppetDbSyncService {
  /**
   * A sync asked for by a user is audited always (who asked matters); the scheduled one only when it
   * changed something, so a quiet schedule does not fill the audit trail.
   */
  async function sync(user?: CurrentUser): Promise<PuppetDbSyncSummary> {
    const puppetdb = deps.puppetdb;
    if (!puppetdb) throw new AppError('FAILED_PRECONDITION', 'PuppetDB is not configured; set puppetdb.url (UI_EXTENSION_PUPPETDB_URL)');
    const started = Date.now();
    const nodes = await puppetdb.inventory();
    const now = deps.clock();
    const written = await deps.store.transaction(async (repos, tx) => {
      const summary = await writeHosts(repos, nodes.map((node) => ({ name: node.certname, lastSeenAt: now, missingSince: null, facts: flattenFacts(node.facts) })), now, 'puppetdb');
      if (user || inventoryChanged(summary)) {
        await deps.audit.record({
          user: user ? { id: user.id, login: user.login } : null,
          action: 'sync',
          object: { type: 'Inventory', name: 'puppetdb' },
          changes: { puppetdb: puppetdb.url, nodes: nodes.length, ...summary },
          ...(user ? auditContext(user) : { source: 'scheduler', requestId: null }),
        }, tx);
      }
      return summary;
    });
    deps.logger.info({ puppetdb: puppetdb.url, nodes: nodes.length, created: written.created, updated: written.updated, ms: Date.now() - started }, 'PuppetDB inventory synced');
    return { ...written, puppetdb: puppetdb.url, nodes: nodes.length };
  }

  return {
    sync: () => sync(),
    async syncAs(user) {
      requirePermission(user, 'manage_inventory', 'syncing the inventory from PuppetDB');
      return sync(user);
    },
  };
}

import { auditContext, type AuditService } from '../audit/audit.service';
import { requirePermission, type CurrentUser } from '../auth/abilities';
import { flattenFacts } from '@protos/facts';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { PuppetDbNode } from '../puppetdb/puppetdb.client';
import { inventoryChanged, writeHosts, type HostInput, type HostWriteSummary } from './host-writer';
import type { InventoryStore } from './inventory.repository';
import { chunks } from './sql';

/**
 * PuppetDB as an inventory source: every node PuppetDB knows (its `inventory` entity) becomes a
 * host, with its facts flattened the way Foreman stores them (`os::family`), written as the
 * `puppetdb` source's under the fact precedence of host-writer.ts: facts an import (a higher
 * source) holds stay, and only facts PuppetDB itself wrote are removed when it stops reporting them.
 * A host keeps its hostgroup, smart proxy and taxonomies. A host the sync creates gets the smart
 * proxy of its Puppet master (puppetMasterOf, matched by proxyOfMaster); one whose master matches
 * no smart proxy is created without one and named in the summary.
 */
export interface PuppetDbSyncSummary extends HostWriteSummary {
  puppetdb: string;
  nodes: number;
  /** Hosts created with the smart proxy of their Puppet master. */
  smart_proxies_assigned: number;
  /** Hosts created without a smart proxy: how many, and the first 100 with the master they named. */
  created_without_smart_proxy: number;
  hosts_without_smart_proxy: Array<{ name: string; puppet_master: string | null }>;
}

const LISTED_WITHOUT_PROXY = 100;

/**
 * The Puppet master of a node: its `puppetmaster` fact (set by sites, as Foreman's fact importer
 * reads it), else `servername` (the server fact Puppet Server adds), else the producer of its
 * factset (the server that submitted the facts).
 */
export function puppetMasterOf(node: PuppetDbNode): string | null {
  for (const fact of ['puppetmaster', 'servername']) {
    const value = node.facts[fact];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return node.producer;
}

/** The smart proxy of a Puppet master: the one named like it, else the one whose URL's host it is (case-insensitive). */
export function proxyOfMaster(master: string, proxies: Array<{ id: number; name: string; url: string }>): number | null {
  const wanted = master.toLowerCase();
  const hostOf = (url: string): string | null => {
    try {
      return new URL(url).hostname.toLowerCase();
    } catch {
      return null;
    }
  };
  return (proxies.find((p) => p.name.toLowerCase() === wanted) ?? proxies.find((p) => hostOf(p.url) === wanted))?.id ?? null;
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
      // Only hosts this sync creates take a smart proxy from their master; existing ones keep theirs.
      const existing = new Set<string>();
      for (const batch of chunks(nodes.map((n) => n.certname))) {
        for (const h of await repos.hosts.findByNames(batch)) existing.add(h.name.toLowerCase());
      }
      const proxies = await repos.smartProxies.list();
      let assigned = 0;
      const without: Array<{ name: string; puppet_master: string | null }> = [];
      const inputs = nodes.map((node): HostInput => {
        const input: HostInput = { name: node.certname, lastSeenAt: now, missingSince: null, facts: flattenFacts(node.facts) };
        if (existing.has(node.certname.toLowerCase())) return input;
        const master = puppetMasterOf(node);
        const smartProxyId = master === null ? null : proxyOfMaster(master, proxies);
        if (smartProxyId === null) without.push({ name: node.certname, puppet_master: master });
        else assigned += 1;
        return { ...input, smartProxyId };
      });
      const summary = {
        ...(await writeHosts(repos, inputs, now, 'puppetdb')),
        smart_proxies_assigned: assigned,
        created_without_smart_proxy: without.length,
        hosts_without_smart_proxy: without.slice(0, LISTED_WITHOUT_PROXY),
      };
      if (without.length > 0) deps.logger.warn({ puppetdb: puppetdb.url, hosts: without.length, first: without.slice(0, 5) }, 'PuppetDB sync created hosts whose Puppet master matches no smart proxy');
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

import { auditContext, type AuditService } from '../audit/audit.service';
import { requirePermission, type CurrentUser } from '../auth/abilities';
import { AppError } from '../errors';
import type { ForemanClient } from '../foreman/foreman.client';
import type { Logger } from '../logger';
import { writeHosts } from './host-writer';
import type { InventoryRepositories, InventoryStore } from './inventory.repository';

/**
 * Foreman as an inventory source (issue #25): its hosts with their hostgroup, organization,
 * location and Puppet proxy, its hostgroups, and each host's facts (`/api/v2/hosts/:id/facts`),
 * written under the `foreman` fact source (host-writer.ts FACT_SOURCES: above a proxy and PuppetDB,
 * below the inventory file). Each host and hostgroup records the Foreman id it came from, so the
 * sync removes exactly what it brought and Foreman no longer lists; records from any other source
 * are never removed. Foreman's smart proxies are HTTP smart-proxies, not our gRPC proxies (they
 * have no URL we could call), so they are matched by name against the registered ones and
 * reported, never created: a host's Puppet proxy is set only when one of that name is registered.
 */
export type ForemanChangeKind = 'host' | 'hostgroup' | 'organization' | 'location';

export interface ForemanSyncReport {
  foreman: string;
  hosts: { created: number; updated: number; removed: number; unchanged: number };
  hostgroups: { created: number; updated: number; removed: number; kept: number };
  facts: { written: number; deleted: number; outranked: number };
  smart_proxies: { matched: string[]; unknown: string[] };
  /** Every change by name, in the order made; the first CHANGE_LIST_MAX only (see changes_omitted). */
  changes: Array<{ type: ForemanChangeKind; name: string; change: 'created' | 'updated' | 'removed' }>;
  changes_omitted: number;
}

export interface ForemanSyncService {
  /** The scheduled sync (foreman.sync_interval_s). */
  sync(): Promise<ForemanSyncReport>;
  /** The sync an API caller asks for: it rewrites hosts and facts, so it needs manage_inventory. */
  syncAs(user: CurrentUser): Promise<ForemanSyncReport>;
}

const CHANGE_LIST_MAX = 500;
const key = (s: string) => s.toLowerCase();

/** `foreman` is absent when none is configured; a sync then fails FAILED_PRECONDITION saying so. */
export function createForemanSyncService(deps: { store: InventoryStore; foreman?: ForemanClient; audit: AuditService; clock: () => Date; logger: Logger }): ForemanSyncService {
  /** Reads all of Foreman before the transaction opens: a slow Foreman must not hold database locks. */
  async function readForeman(foreman: ForemanClient) {
    const [hosts, hostgroups, proxies] = [await foreman.hosts(), await foreman.hostgroups(), await foreman.smartProxies()];
    const facts = new Map<number, Record<string, string>>();
    for (const host of hosts) facts.set(host.id, await foreman.hostFacts(host.id));
    return { hosts, hostgroups, proxies, facts };
  }

  async function write(repos: InventoryRepositories, read: Awaited<ReturnType<typeof readForeman>>, now: Date): Promise<ForemanSyncReport> {
    const report: ForemanSyncReport = {
      foreman: '',
      hosts: { created: 0, updated: 0, removed: 0, unchanged: 0 },
      hostgroups: { created: 0, updated: 0, removed: 0, kept: 0 },
      facts: { written: 0, deleted: 0, outranked: 0 },
      smart_proxies: { matched: [], unknown: [] },
      changes: [],
      changes_omitted: 0,
    };
    const note = (type: ForemanChangeKind, name: string, change: 'created' | 'updated' | 'removed') => {
      if (report.changes.length < CHANGE_LIST_MAX) report.changes.push({ type, name, change });
      else report.changes_omitted += 1;
    };

    // Hostgroups: parents first (a title has fewer slashes than its descendants').
    const groupIds = new Map((await repos.hostgroups.all()).map((g) => [key(g.title), g.id]));
    const linked = new Map((await repos.hostgroups.foremanHostgroups()).map((g) => [g.id, g]));
    const wanted = [...read.hostgroups].sort((a, b) => a.title.split('/').length - b.title.split('/').length);
    for (const group of wanted) {
      let id = groupIds.get(key(group.title));
      if (id === undefined) {
        const { row } = await repos.hostgroups.ensure(group.title, now);
        id = row.id;
        groupIds.set(key(group.title), id);
        await repos.hostgroups.setForemanId(id, group.id);
        report.hostgroups.created += 1;
        note('hostgroup', group.title, 'created');
      } else if (linked.get(id)?.foremanId !== group.id) {
        // A hostgroup we already had (an import) that Foreman also has: from now on it is Foreman's.
        await repos.hostgroups.setForemanId(id, group.id);
        report.hostgroups.updated += 1;
        note('hostgroup', group.title, 'updated');
      }
    }

    const taxonomyIds = { organization: new Map<string, number>(), location: new Map<string, number>() };
    for (const kind of ['organization', 'location'] as const) {
      for (const row of await repos.taxonomies.all(kind)) taxonomyIds[kind].set(key(row.name), row.id);
      const names = new Set(read.hosts.map((h) => (kind === 'organization' ? h.organization_name : h.location_name)).filter((v): v is string => !!v));
      for (const name of names) {
        if (taxonomyIds[kind].has(key(name))) continue;
        const { row } = await repos.taxonomies.ensure(kind, name, now);
        taxonomyIds[kind].set(key(name), row.id);
        note(kind, name, 'created');
      }
    }

    const proxyIds = new Map((await repos.smartProxies.list()).map((p) => [key(p.name), p.id]));
    const foremanProxies = new Set(read.proxies.map((p) => p.name));
    for (const h of read.hosts) if (h.puppet_proxy_name) foremanProxies.add(h.puppet_proxy_name);
    for (const name of [...foremanProxies].sort()) (proxyIds.has(key(name)) ? report.smart_proxies.matched : report.smart_proxies.unknown).push(name);

    const ref = (map: Map<string, number>, name: string | null | undefined) => (name ? map.get(key(name)) ?? null : null);
    const byForemanId = new Map((await repos.hosts.foremanHosts()).map((h) => [h.foremanId, h]));
    // One host at a time so the report names each host that changed (a sync reads Foreman once per host anyway).
    for (const host of read.hosts) {
      const proxyId = host.puppet_proxy_name ? proxyIds.get(key(host.puppet_proxy_name)) : undefined;
      const summary = await writeHosts(repos, [{
        name: host.name,
        hostgroupId: ref(groupIds, host.hostgroup_title),
        // A Puppet proxy not registered here keeps whatever proxy the host has (a proxy sync may have set it).
        ...(proxyId !== undefined ? { smartProxyId: proxyId } : {}),
        organizationId: ref(taxonomyIds.organization, host.organization_name),
        locationId: ref(taxonomyIds.location, host.location_name),
        facts: read.facts.get(host.id) ?? {},
      }], now, 'foreman');
      report.facts.written += summary.facts_written;
      report.facts.deleted += summary.facts_deleted;
      report.facts.outranked += summary.facts_outranked;
      const stored = (await repos.hosts.findByNames([host.name]))[0];
      const relinked = byForemanId.get(host.id)?.id !== stored.id;
      if (relinked) await repos.hosts.setForemanIds([{ id: stored.id, foremanId: host.id }]);
      if (summary.created > 0) {
        report.hosts.created += 1;
        note('host', host.name, 'created');
      } else if (summary.updated + summary.facts_written + summary.facts_deleted > 0 || relinked) {
        report.hosts.updated += 1;
        note('host', host.name, 'updated');
      } else report.hosts.unchanged += 1;
    }

    // Gone from Foreman, or renamed there (the new name was just created): both leave under the old name.
    const listed = new Map(read.hosts.map((h) => [h.id, key(h.name)]));
    const gone = [...byForemanId.values()].filter((h) => listed.get(h.foremanId) !== key(h.name)).sort((a, b) => a.name.localeCompare(b.name));
    await repos.hosts.deleteHosts(gone.map((h) => h.id));
    for (const h of gone) note('host', h.name, 'removed');
    report.hosts.removed = gone.length;

    // Deepest first, so a removed parent's removed children are gone before it.
    const listedGroups = new Map(read.hostgroups.map((g) => [g.id, key(g.title)]));
    const staleGroups = [...linked.values()].filter((g) => listedGroups.get(g.foremanId) !== key(g.title)).sort((a, b) => b.title.split('/').length - a.title.split('/').length);
    for (const group of staleGroups) {
      if (await repos.hostgroups.deleteIfChildless(group.id)) {
        report.hostgroups.removed += 1;
        note('hostgroup', group.title, 'removed');
      } else report.hostgroups.kept += 1; // a child from another source still hangs below it
    }
    return report;
  }

  async function sync(user?: CurrentUser): Promise<ForemanSyncReport> {
    const foreman = deps.foreman;
    if (!foreman) throw new AppError('FAILED_PRECONDITION', 'Foreman is not configured; set foreman.url (UI_EXTENSION_FOREMAN_URL), foreman.login and foreman.token');
    const started = Date.now();
    const read = await readForeman(foreman);
    const now = deps.clock();
    const report = await deps.store.transaction(async (repos, tx) => {
      const written = { ...(await write(repos, read, now)), foreman: foreman.url };
      const changed = written.changes.length + written.changes_omitted > 0 || written.facts.written + written.facts.deleted > 0;
      // Asked for by a user: audited always (who asked matters); the schedule only when it changed something.
      if (user || changed) {
        await deps.audit.record({
          user: user ? { id: user.id, login: user.login } : null,
          action: 'sync',
          object: { type: 'Inventory', name: 'foreman' },
          changes: { foreman: foreman.url, hosts: written.hosts, hostgroups: written.hostgroups, facts: written.facts, unknown_proxies: written.smart_proxies.unknown, changes: written.changes.slice(0, 100) },
          ...(user ? auditContext(user) : { source: 'scheduler', requestId: null }),
        }, tx);
      }
      return written;
    });
    deps.logger.info({ foreman: foreman.url, hosts: read.hosts.length, created: report.hosts.created, updated: report.hosts.updated, removed: report.hosts.removed, ms: Date.now() - started }, 'Foreman inventory synced');
    return report;
  }

  return {
    sync: () => sync(),
    async syncAs(user) {
      requirePermission(user, 'manage_inventory', 'syncing the inventory from Foreman');
      return sync(user);
    },
  };
}

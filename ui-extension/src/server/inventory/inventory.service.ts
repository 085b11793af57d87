import fs from 'node:fs';
import type { HostgroupWithCountDto } from '@common/inventory';
import path from 'node:path';
import { auditContext, type AuditService } from '../audit/audit.service';
import { hostScope, requirePermission, type CurrentUser, type HostScope } from '../auth/abilities';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { autocompleteSearch, type SearchSuggestion } from '../search/autocomplete';
import { HOST_SEARCH } from '../search/host-search';
import type { HostFact, HostRow, HostSort, TargetHost } from './host.repository';
import { emptyHostWriteSummary, writeHosts, type HostWriteSummary } from './host-writer';
import type { HostgroupRow } from './hostgroup.repository';
import { readInventoryText, validateInventory, type InventoryDocument } from './inventory-file';
import type { InventoryRepositories, InventoryStore } from './inventory.repository';
import type { ProxyHealth } from '../proxies/proxy-monitor';
import { withLiveStatus, type SmartProxyRow } from './smart-proxy.repository';
import type { TaxonomyKind, TaxonomyRow } from './taxonomy.repository';

/**
 * The demo inventory: next to the sources (ui-extension/demo), or, from a build in
 * dist/ui-extension/src/server/inventory, the same file in the source tree (tsc copies no YAML).
 */
export function demoInventoryFile(): string {
  const candidates = [path.resolve(__dirname, '../../../demo/inventory.yaml'), path.resolve(__dirname, '../../../../../ui-extension/demo/inventory.yaml')];
  return candidates.find((file) => fs.existsSync(file)) ?? candidates[0];
}

/** `GET fact_names/:name/values`: values with their host counts; `hosts` have the fact at all. */
export interface FactValuesPage extends Page<{ value: string; count: number }> {
  hosts: number;
}

export interface Page<T> {
  total: number;
  subtotal: number;
  results: T[];
}

export interface PageParams {
  search: string;
  page: number;
  perPage: number;
}

export interface ImportSummary {
  organizations: { created: number };
  locations: { created: number };
  hostgroups: { created: number };
  smart_proxies: { created_or_updated: number };
  hosts: HostWriteSummary;
}

/**
 * The inventory, as each caller may see it: hosts (and their facts) inside the caller's view_hosts
 * scope, smart proxies inside view_smart_proxies. A host or proxy outside the scope is NOT_FOUND,
 * exactly as if it did not exist; without the permission at all the answer is PERMISSION_DENIED.
 */
export interface InventoryService {
  listHosts(user: CurrentUser, params: PageParams & { sort: HostSort }): Promise<Page<HostRow>>;
  getHost(user: CurrentUser, idOrName: string): Promise<HostRow>;
  hostFacts(user: CurrentUser, idOrName: string, params: PageParams): Promise<Page<HostFact>>;
  /** Hostgroups with the number of their own hosts the user may see. */
  listHostgroups(user: CurrentUser, params: PageParams): Promise<Page<HostgroupWithCountDto>>;
  getHostgroup(user: CurrentUser, idOrTitle: string): Promise<HostgroupWithCountDto>;
  listSmartProxies(user: CurrentUser, params: PageParams): Promise<Page<SmartProxyRow>>;
  getSmartProxy(user: CurrentUser, idOrName: string): Promise<SmartProxyRow>;
  listFactNames(user: CurrentUser, params: PageParams): Promise<Page<{ name: string }>>;
  /** A fact's values on the caller's hosts with how many hosts have each (`mco facts NAME`); NOT_FOUND when none of them has the fact. */
  factValues(user: CurrentUser, name: string, params: { page: number; perPage: number }): Promise<FactValuesPage>;
  listTaxonomies(user: CurrentUser, kind: TaxonomyKind, params: PageParams): Promise<Page<TaxonomyRow>>;
  autocompleteHosts(user: CurrentUser, partial: string): Promise<SearchSuggestion[]>;
  /**
   * The jobs engineer's entry point: hosts for a targeting, in one query. With `scope` (the
   * caller's view_hosts scope), hosts outside it are not matched.
   */
  findTargets(filter: { search?: string; hostIds?: number[]; hostgroupId?: number }, scope?: HostScope): Promise<TargetHost[]>;
  /** Imports an inventory document (manage_inventory); validated whole, written in one transaction. */
  importInventory(user: CurrentUser, raw: unknown): Promise<ImportSummary>;
  /** Imports YAML or JSON text; same rules as importInventory. */
  importInventoryText(user: CurrentUser, text: string): Promise<ImportSummary>;
  /** Imports the demo inventory when no host exists yet; returns whether it did. */
  seedDemoInventory(file?: string): Promise<boolean>;
  /**
   * Points the demo smart proxies at the URLs their demo proxies listen on now (the all-in-one
   * start with `demo.proxy_ports: auto` takes free ports, which differ at every start). Proxies that
   * are not demo proxies are never touched.
   */
  pointDemoProxies(urls: ReadonlyArray<{ name: string; url: string }>): Promise<void>;
}

export interface InventoryServiceDeps {
  store: InventoryStore;
  /** Every import is audited (who, and the counts of what it created and changed), with its change. */
  audit: AuditService;
  clock: () => Date;
  logger: Logger;
  /** The proxy monitor's live view, shown over the stored status of each smart proxy. */
  proxyHealth?: ProxyHealth;
}

/** Writes a validated document; shared by the file import, the demo seed and the Foreman sync. */
export async function applyInventory(repos: InventoryRepositories, doc: InventoryDocument, now: Date): Promise<ImportSummary> {
  const summary: ImportSummary = { organizations: { created: 0 }, locations: { created: 0 }, hostgroups: { created: 0 }, smart_proxies: { created_or_updated: 0 }, hosts: emptyHostWriteSummary() };
  const ids = { organization: new Map<string, number>(), location: new Map<string, number>(), hostgroup: new Map<string, number>(), proxy: new Map<string, number>() };
  const key = (s: string) => s.toLowerCase();

  for (const kind of ['organization', 'location'] as const) {
    for (const row of await repos.taxonomies.all(kind)) ids[kind].set(key(row.name), row.id);
    for (const name of kind === 'organization' ? doc.organizations : doc.locations) {
      if (ids[kind].has(key(name))) continue;
      const { row } = await repos.taxonomies.ensure(kind, name, now);
      ids[kind].set(key(name), row.id);
      summary[kind === 'organization' ? 'organizations' : 'locations'].created += 1;
    }
  }
  for (const row of await repos.hostgroups.all()) ids.hostgroup.set(key(row.title), row.id);
  // Parents first: a title has fewer slashes than any of its descendants'.
  for (const title of [...doc.hostgroups].sort((a, b) => a.split('/').length - b.split('/').length)) {
    if (ids.hostgroup.has(key(title))) continue;
    const { row } = await repos.hostgroups.ensure(title, now);
    ids.hostgroup.set(key(title), row.id);
    summary.hostgroups.created += 1;
  }
  for (const proxy of await repos.smartProxies.list()) ids.proxy.set(key(proxy.name), proxy.id);
  for (const proxy of doc.smart_proxies) {
    const { row, changed } = await repos.smartProxies.upsertByName(proxy, now);
    ids.proxy.set(key(proxy.name), row.id);
    if (changed) summary.smart_proxies.created_or_updated += 1;
  }
  const ref = (map: Map<string, number>, name: string | null | undefined): number | null | undefined =>
    name === undefined ? undefined : name === null ? null : map.get(key(name));
  summary.hosts = await writeHosts(repos, doc.hosts.map((h) => ({
    name: h.name,
    hostgroupId: ref(ids.hostgroup, h.hostgroup),
    smartProxyId: ref(ids.proxy, h.smart_proxy),
    organizationId: ref(ids.organization, h.organization),
    locationId: ref(ids.location, h.location),
    facts: h.facts,
  })), now, 'inventory');
  return summary;
}

async function knownNames(repos: InventoryRepositories) {
  return {
    hostgroups: (await repos.hostgroups.all()).map((g) => g.title),
    smartProxies: (await repos.smartProxies.list()).map((p) => p.name),
    organizations: (await repos.taxonomies.all('organization')).map((o) => o.name),
    locations: (await repos.taxonomies.all('location')).map((l) => l.name),
  };
}

export function createInventoryService(deps: InventoryServiceDeps): InventoryService {
  const { store } = deps;
  const log = deps.logger;

  /** Imports a document for `user` (null: the demo seed); the audit entry commits with the import. */
  async function importDocument(raw: unknown, user: CurrentUser | null, kind: string): Promise<ImportSummary> {
    const started = Date.now();
    const summary = await store.transaction(async (repos, tx) => {
      // Validated inside the transaction so references to stored names cannot vanish meanwhile.
      const doc = validateInventory(raw, await knownNames(repos));
      const written = await applyInventory(repos, doc, deps.clock());
      const context = user ? auditContext(user) : { source: kind, requestId: null };
      await deps.audit.record({ user: user && { id: user.id, login: user.login }, action: 'import', object: { type: 'Inventory', name: kind }, changes: { ...written }, ...context }, tx);
      return written;
    });
    log.info({ source: user ? `api:${user.login}` : kind, ...summary.hosts, ms: Date.now() - started }, 'inventory imported');
    return summary;
  }

  function requireImporter(user: CurrentUser): void {
    requirePermission(user, 'manage_inventory', 'importing an inventory');
  }

  /** The hosts the user may see; PERMISSION_DENIED without view_hosts. */
  function hostsOf(user: CurrentUser, doing: string): HostScope {
    requirePermission(user, 'view_hosts', doing);
    return hostScope(user, 'view_hosts');
  }

  async function withHostCounts(groups: HostgroupRow[], scope: HostScope): Promise<HostgroupWithCountDto[]> {
    const counts = await store.hostgroups.hostCounts(groups.map((g) => g.id), scope);
    return groups.map((g) => ({ ...g, hosts_count: counts.get(g.id) ?? 0 }));
  }

  function proxiesOf(user: CurrentUser, doing: string): HostScope {
    requirePermission(user, 'view_smart_proxies', doing);
    return hostScope(user, 'view_smart_proxies');
  }

  return {
    listHosts: (user, { search, page, perPage, sort }) => store.hosts.search({ search, page, perPage, sort, now: deps.clock(), scope: hostsOf(user, 'listing hosts') }),

    async getHost(user, idOrName) {
      const host = await store.hosts.findByIdOrName(idOrName, hostsOf(user, 'showing a host'));
      if (!host) throw new AppError('NOT_FOUND', `host not found by id or name '${idOrName}'`);
      return host;
    },

    async hostFacts(user, idOrName, params) {
      const host = await this.getHost(user, idOrName);
      return store.hosts.facts(host.id, params);
    },

    // Hostgroups, fact names and taxonomies are the vocabulary of searches; each caller sees the
    // part of it that its hosts use (rule 5 in auth/abilities.ts): one outside is NOT_FOUND.
    async listHostgroups(user, params) {
      const scope = hostsOf(user, 'listing hostgroups');
      const page = await store.hostgroups.search({ ...params, now: deps.clock(), scope });
      return { ...page, results: await withHostCounts(page.results, scope) };
    },

    async getHostgroup(user, idOrTitle) {
      const scope = hostsOf(user, 'showing a hostgroup');
      const group = await store.hostgroups.findByIdOrTitle(idOrTitle, scope);
      if (!group) throw new AppError('NOT_FOUND', `hostgroup not found by id or title '${idOrTitle}'`);
      return (await withHostCounts([group], scope))[0];
    },

    async listSmartProxies(user, params) {
      const page = await store.smartProxies.search({ ...params, now: deps.clock(), scope: proxiesOf(user, 'listing smart proxies') });
      return { ...page, results: page.results.map((p) => withLiveStatus(p, deps.proxyHealth)) };
    },

    async getSmartProxy(user, idOrName) {
      const proxy = await store.smartProxies.findByIdOrName(idOrName, proxiesOf(user, 'showing a smart proxy'));
      if (!proxy) throw new AppError('NOT_FOUND', `smart proxy not found by id or name '${idOrName}'`);
      return withLiveStatus(proxy, deps.proxyHealth);
    },

    listFactNames(user, params) {
      return store.hosts.factNames(params, hostsOf(user, 'listing fact names'));
    },

    async factValues(user, name, params) {
      const scope = hostsOf(user, 'counting fact values');
      const page = await store.hosts.factValueCounts(name, params, scope);
      // Rule 5 (auth/abilities.ts): a fact none of the caller's hosts has is not found, as in fact_names.
      if (page.hosts === 0) throw new AppError('NOT_FOUND', `fact not found: no host you may see has a fact named '${name}'`);
      return { total: page.total, subtotal: page.total, hosts: page.hosts, results: page.results };
    },

    listTaxonomies(user, kind, params) {
      return store.taxonomies.list(kind, params, hostsOf(user, `listing ${kind}s`));
    },

    autocompleteHosts(user, partial) {
      const scope = hostsOf(user, 'searching hosts');
      const proxyScope = hostScope(user, 'view_smart_proxies');
      return autocompleteSearch(partial, {
        definition: HOST_SEARCH,
        dynamicKeys: async (_prefix, partialName, limit) => (await store.hosts.factNames({ search: `${partialName.replace(/\*/g, '')}*`, page: 1, perPage: limit }, scope)).results.map((r) => r.name),
        async values(rawKey, prefix, limit) {
          const k = rawKey.toLowerCase();
          const starts = (items: string[]) => items.filter((v) => v.toLowerCase().startsWith(prefix.toLowerCase())).slice(0, limit);
          if (k.startsWith('facts.')) return store.hosts.factValues(rawKey.slice('facts.'.length), prefix, limit, scope);
          if (k === 'name') return store.hosts.hostNames(prefix, limit, scope);
          if (k === 'hostgroup') return starts([...new Set((await store.hostgroups.all(scope)).map((g) => g.name))]);
          if (k === 'hostgroup_fullname' || k === 'hostgroup_title' || k === 'parent_hostgroup') return starts((await store.hostgroups.all(scope)).map((g) => g.title));
          if (k === 'puppetmaster' || k === 'smart_proxy') return starts((await store.smartProxies.listIn(proxyScope)).map((p) => p.name));
          if (k === 'organization' || k === 'location') return starts((await store.taxonomies.all(k, scope)).map((t) => t.name));
          if (k === 'last_seen') return starts(['10 minutes ago', '1 hour ago', '1 day ago', 'today', 'yesterday']);
          return [];
        },
      });
    },

    findTargets: (filter, scope) => store.hosts.findTargets(filter, deps.clock(), scope),

    async importInventory(user, raw) {
      requireImporter(user);
      return importDocument(raw, user, 'inventory file');
    },

    async importInventoryText(user, text) {
      requireImporter(user);
      return importDocument(readInventoryText(text), user, 'inventory file');
    },

    async seedDemoInventory(file = demoInventoryFile()) {
      if ((await store.hosts.countAll()) > 0) return false;
      const text = fs.readFileSync(file, 'utf8');
      await importDocument(readInventoryText(text), null, 'demo seed');
      return true;
    },

    async pointDemoProxies(urls) {
      const stored = new Map((await store.smartProxies.findByNames(urls.map((u) => u.name))).map((p) => [p.name, p]));
      for (const { name, url } of urls) {
        const proxy = stored.get(name);
        if (!proxy?.demo || proxy.url === url) continue;
        await store.smartProxies.upsertByName({ name, url }, deps.clock());
        deps.logger.info({ proxy: name, url }, 'demo smart proxy moved to its new port');
      }
    },
  };
}

import { AppError } from '../errors';
import type { Logger } from '../logger';
import { validateInventory, type InventoryDocument } from './inventory-file';
import type { InventoryStore } from './inventory.repository';
import { applyInventory, type ImportSummary } from './inventory.service';

/**
 * Pulls hosts and facts from a Foreman server's API v2 (theforeman/foreman
 * app/views/api/v2/hosts/main.json.rabl, fact_values/index.json.rabl), paging through all results.
 * A personal access token is sent as the Basic password, which is how Foreman accepts tokens on
 * API requests.
 */
export interface ForemanSource {
  /** Base URL, e.g. https://foreman.example.com */
  url: string;
  login: string;
  token: string;
  perPage?: number;
}

export interface ForemanSyncSummary extends ImportSummary {
  foreman_hosts: number;
  /** Puppet proxies Foreman names that are not registered here; their hosts keep no proxy. */
  unknown_proxies: string[];
}

interface ForemanIndex<T> {
  total: number;
  subtotal: number;
  page: number;
  per_page: number;
  results: T;
}

interface ForemanHost {
  name: string;
  hostgroup_title?: string | null;
  puppet_proxy_name?: string | null;
  puppet_proxy?: { name?: string } | null;
  organization_name?: string | null;
  location_name?: string | null;
}

export interface ForemanSyncService {
  sync(source: ForemanSource): Promise<ForemanSyncSummary>;
}

export function createForemanSyncService(deps: { store: InventoryStore; clock: () => Date; logger: Logger; fetch?: typeof fetch }): ForemanSyncService {
  const doFetch = deps.fetch ?? fetch;

  async function getPage<T>(source: ForemanSource, resource: string, page: number): Promise<ForemanIndex<T>> {
    const url = new URL(`/api/v2/${resource}`, source.url);
    url.searchParams.set('page', String(page));
    url.searchParams.set('per_page', String(source.perPage ?? 250));
    const auth = Buffer.from(`${source.login}:${source.token}`).toString('base64');
    let response: Response;
    try {
      response = await doFetch(url, { headers: { Authorization: `Basic ${auth}`, Accept: 'application/json' } });
    } catch (error) {
      throw new AppError('UNAVAILABLE', `Foreman at ${source.url} cannot be reached`, { cause: error });
    }
    if (response.status === 401 || response.status === 403) throw new AppError('FAILED_PRECONDITION', `Foreman at ${source.url} refused the token (HTTP ${response.status})`);
    if (!response.ok) throw new AppError('UNAVAILABLE', `Foreman at ${source.url} answered HTTP ${response.status} for ${resource}`);
    return (await response.json()) as ForemanIndex<T>;
  }

  /** Every page of an index; Foreman pages fact_values by value rows, so both loops stop on subtotal. */
  async function* pages<T>(source: ForemanSource, resource: string): AsyncGenerator<ForemanIndex<T>> {
    for (let page = 1; ; page += 1) {
      const body = await getPage<T>(source, resource, page);
      yield body;
      const count = Array.isArray(body.results) ? body.results.length : Object.values(body.results as Record<string, object>).reduce((n, facts) => n + Object.keys(facts).length, 0);
      if (count === 0 || page * body.per_page >= body.subtotal) return;
    }
  }

  return {
    async sync(source) {
      const hosts: ForemanHost[] = [];
      for await (const body of pages<ForemanHost[]>(source, 'hosts')) hosts.push(...body.results);
      const facts = new Map<string, Record<string, string>>();
      for await (const body of pages<Record<string, Record<string, unknown>>>(source, 'fact_values')) {
        for (const [host, values] of Object.entries(body.results)) {
          const into = facts.get(host) ?? {};
          for (const [name, value] of Object.entries(values)) into[name] = value === null || value === undefined ? '' : String(value);
          facts.set(host, into);
        }
      }
      const registered = new Set((await deps.store.smartProxies.list()).map((p) => p.name.toLowerCase()));
      const unknownProxies = new Set<string>();
      const titles = new Set<string>();
      for (const h of hosts) {
        // Foreman only lists leaf titles on hosts; their ancestors must exist first.
        const parts = (h.hostgroup_title ?? '').split('/').filter(Boolean);
        parts.forEach((_, i) => titles.add(parts.slice(0, i + 1).join('/')));
      }
      const doc = {
        organizations: [...new Set(hosts.map((h) => h.organization_name).filter((v): v is string => !!v))],
        locations: [...new Set(hosts.map((h) => h.location_name).filter((v): v is string => !!v))],
        hostgroups: [...titles],
        smart_proxies: [],
        hosts: hosts.map((h) => {
          const proxy = h.puppet_proxy_name ?? h.puppet_proxy?.name ?? null;
          if (proxy && !registered.has(proxy.toLowerCase())) unknownProxies.add(proxy);
          return {
            name: h.name,
            hostgroup: h.hostgroup_title ?? null,
            organization: h.organization_name ?? null,
            location: h.location_name ?? null,
            ...(proxy && registered.has(proxy.toLowerCase()) ? { smart_proxy: proxy } : {}),
            ...(facts.has(h.name) ? { facts: facts.get(h.name) } : {}),
          };
        }),
      };
      const summary = await deps.store.transaction(async (repos) => {
        const known = {
          hostgroups: (await repos.hostgroups.all()).map((g) => g.title),
          smartProxies: [...registered],
          organizations: (await repos.taxonomies.all('organization')).map((o) => o.name),
          locations: (await repos.taxonomies.all('location')).map((l) => l.name),
        };
        // Validated like an uploaded file, so a Foreman host with a name we cannot store fails the
        // whole sync with the offending path instead of leaving half the hosts written.
        const validated: InventoryDocument = validateInventory(doc, known);
        return applyInventory(repos, validated, deps.clock());
      });
      deps.logger.info({ foreman: source.url, hosts: hosts.length, created: summary.hosts.created, updated: summary.hosts.updated }, 'Foreman inventory synced');
      return { ...summary, foreman_hosts: hosts.length, unknown_proxies: [...unknownProxies].sort() };
    },
  };
}

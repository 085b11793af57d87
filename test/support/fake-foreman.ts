import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP server answering Foreman's API v2 shapes. It stands in for Foreman because a
 * real Foreman (Rails, PostgreSQL, its smart proxies) cannot run in this test environment. Shapes
 * as Foreman documents them (shared/research/foreman-rex.md, "API conventions";
 * theforeman/foreman app/views/api/v2/{hosts,hostgroups,smart_proxies}/*.json.rabl and
 * fact_values/index.json.rabl): every index is `{total, subtotal, page, per_page, search, sort,
 * results}`, paged by `page` and `per_page`; a host's facts (`/api/v2/hosts/:id/facts`) are keyed
 * by the host's name; a refused login is 401 `{"error": {"message": "Unable to authenticate user
 * ..."}}` and an unknown record 404 `{"error": {"message": "Resource host not found by id ..."}}`.
 * Tests change its records between syncs as an operator would change Foreman.
 */
export interface FakeForemanHost {
  id: number;
  name: string;
  hostgroup_id: number | null;
  puppet_proxy_name: string | null;
  organization_name: string | null;
  location_name: string | null;
  facts: Record<string, string>;
}

export interface FakeForemanState {
  hostgroups: Array<{ id: number; title: string }>;
  hosts: FakeForemanHost[];
  smart_proxies: Array<{ id: number; name: string; url: string }>;
}

export interface FakeForeman {
  url: string;
  login: string;
  token: string;
  state: FakeForemanState;
  /** Paths asked, with their query, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeForeman(initial: FakeForemanState, options: { login?: string; token?: string } = {}): Promise<FakeForeman> {
  const login = options.login ?? 'rex-sync';
  const token = options.token ?? 'pat-0123456789abcdef';
  const fake = { state: initial, requests: [] as string[] };
  const expected = `Basic ${Buffer.from(`${login}:${token}`).toString('base64')}`;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    fake.requests.push(`${url.pathname}?${url.searchParams.toString()}`);
    const send = (status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    if (req.headers.authorization !== expected) {
      send(401, { error: { message: `Unable to authenticate user ${login}` } });
      return;
    }
    const page = Number(url.searchParams.get('page') ?? 1);
    const perPage = Number(url.searchParams.get('per_page') ?? 20);
    const index = (rows: unknown[], results?: unknown) => ({
      total: rows.length, subtotal: rows.length, page, per_page: perPage, search: null, sort: { by: null, order: null },
      results: results ?? rows.slice((page - 1) * perPage, page * perPage),
    });
    const { hostgroups, hosts, smart_proxies: proxies } = fake.state;
    const title = (id: number | null) => hostgroups.find((g) => g.id === id)?.title ?? null;
    const facts = url.pathname.match(/^\/api\/v2\/hosts\/([^/]+)\/facts$/);
    if (url.pathname === '/api/v2/hosts') {
      send(200, index(hosts.map((h) => ({
        id: h.id, name: h.name, hostgroup_id: h.hostgroup_id, hostgroup_title: title(h.hostgroup_id), hostgroup_name: title(h.hostgroup_id)?.split('/').pop() ?? null,
        puppet_proxy_name: h.puppet_proxy_name, organization_name: h.organization_name, location_name: h.location_name,
      }))));
    } else if (url.pathname === '/api/v2/hostgroups') {
      send(200, index(hostgroups.map((g) => ({ id: g.id, name: g.title.split('/').pop(), title: g.title, parent_id: hostgroups.find((p) => g.title.startsWith(`${p.title}/`) && p.title.split('/').length === g.title.split('/').length - 1)?.id ?? null }))));
    } else if (url.pathname === '/api/v2/smart_proxies') {
      send(200, index(proxies.map((p) => ({ ...p, features: [{ name: 'Puppet' }] }))));
    } else if (facts) {
      const host = hosts.find((h) => String(h.id) === facts[1] || h.name === facts[1]);
      if (!host) {
        send(404, { error: { message: `Resource host not found by id '${facts[1]}'` } });
        return;
      }
      // Paged by fact rows, keyed by the host's name, as Foreman's fact_values index answers.
      const rows = Object.entries(host.facts).sort(([a], [b]) => a.localeCompare(b));
      const slice = rows.slice((page - 1) * perPage, page * perPage);
      send(200, index(rows, slice.length === 0 ? {} : { [host.name]: Object.fromEntries(slice) }));
    } else {
      send(404, { error: { message: 'Route not found' } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    login,
    token,
    get state() { return fake.state; },
    set state(next: FakeForemanState) { fake.state = next; },
    requests: fake.requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

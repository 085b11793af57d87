import fs from 'node:fs';
import type { Command } from 'commander';
import type { HostDto, HostgroupDto, SmartProxyDto } from '@common/inventory';
import type { Context } from '../context';
import { printJson, printsProse, printTable, writeLine, type ListPage } from '../output';
import { enc, listQuery, runList, runRecord, withListOptions, type ListOptions } from './common';
import { historyColumns, type JobListRow } from './jobs';

/** `GET fact_names/:name/values`: the list envelope, the fact, and how many hosts have it. */
interface FactValues extends ListPage<{ value: string; count: number }> {
  fact: string;
  hosts: number;
}

const hostColumns = [
  ['id', (h: HostDto) => h.id],
  ['name', (h: HostDto) => h.name],
  ['hostgroup', (h: HostDto) => h.hostgroup_title],
  ['smart proxy', (h: HostDto) => h.smart_proxy_name],
  ['organization', (h: HostDto) => h.organization_name],
  ['location', (h: HostDto) => h.location_name],
  ['last seen', (h: HostDto) => h.last_seen_at],
] as const;

const HISTORY_ADDRESS: Record<string, string> = { host: 'host id or name', hostgroup: 'hostgroup id or title', fact: 'fact name', 'smart proxy': 'smart proxy id or name' };

function historyCommand(ctx: Context, parent: Command, what: string, path: (id: string) => string): Command {
  return withListOptions(parent.command('jobs').argument('<id>', HISTORY_ADDRESS[what]).description(`Jobs that ran on this ${what}`))
    .option('--from <time>', 'ran (or will run) at or after this time (ISO 8601)')
    .option('--to <time>', 'ran (or will run) at or before this time (ISO 8601)')
    .action(async (id: string, opts: ListOptions & { from?: string; to?: string; value?: string }, cmd: Command) => {
      await runList<JobListRow>(ctx, cmd, path(id), { ...listQuery(opts), from: opts.from, to: opts.to, value: opts.value }, historyColumns);
    });
}

/** hosts, hostgroups, facts, smart-proxy, organizations, locations, inventory. */
export function registerInventoryCommands(program: Command, ctx: Context): void {
  const hosts = program.command('hosts').alias('host').description('Hosts and their facts');
  withListOptions(hosts.command('list').description('List hosts'), { order: true }).action(async (opts: ListOptions, cmd: Command) => {
    await runList(ctx, cmd, '/hosts', listQuery(opts), hostColumns);
  });
  hosts.command('show').argument('<host>', 'id or name').description('Show a host').action(async (host: string, _opts: unknown, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).get<HostDto>(`/hosts/${enc(host)}`), (h) => hostColumns.map(([k, v]) => [k, v(h)]));
  });
  withListOptions(hosts.command('facts').argument('<host>', 'id or name').description('List a host\'s facts')).action(async (host: string, opts: ListOptions, cmd: Command) => {
    await runList<{ name: string; value: string; source: string | null }>(ctx, cmd, `/hosts/${enc(host)}/facts`, listQuery(opts), [['name', (f) => f.name], ['value', (f) => f.value], ['source', (f) => f.source]]);
  });
  hosts.command('complete').argument('[search]', 'a partial search', '').description('Completions of a partial host search').action(async (search: string, _opts: unknown, cmd: Command) => {
    const items = await (await ctx.api(cmd)).get<Array<{ completed: string; part: string }>>('/hosts/auto_complete_search', { search });
    if (ctx.json(cmd)) return printJson(ctx.io, items);
    for (const item of items) writeLine(ctx.io.out, `${item.completed}${item.part}`);
  });
  historyCommand(ctx, hosts, 'host', (id) => `/hosts/${enc(id)}/remote_execution/jobs`);

  const hostgroups = program.command('hostgroups').alias('hostgroup').description('Hostgroups');
  const hostgroupColumns = [['id', (g: HostgroupDto) => g.id], ['title', (g: HostgroupDto) => g.title], ['name', (g: HostgroupDto) => g.name], ['parent id', (g: HostgroupDto) => g.parent_id]] as const;
  withListOptions(hostgroups.command('list').description('List hostgroups')).action(async (opts: ListOptions, cmd: Command) => {
    await runList(ctx, cmd, '/hostgroups', listQuery(opts), hostgroupColumns);
  });
  hostgroups.command('show').argument('<hostgroup>', 'id or title').description('Show a hostgroup').action(async (id: string, _opts: unknown, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).get<HostgroupDto>(`/hostgroups/${enc(id)}`), (g) => hostgroupColumns.map(([k, v]) => [k, v(g)]));
  });
  historyCommand(ctx, hostgroups, 'hostgroup', (id) => `/hostgroups/${enc(id)}/remote_execution/jobs`);

  const facts = program.command('facts').alias('fact').description('Fact names');
  withListOptions(facts.command('list').description('List fact names (search: a substring or a pattern with *)')).action(async (opts: ListOptions, cmd: Command) => {
    await runList<{ name: string }>(ctx, cmd, '/fact_names', listQuery(opts), [['name', (f) => f.name]]);
  });
  facts.command('values').argument('<name>', 'fact name, e.g. osfamily').description('A fact\'s values with how many hosts have each, like mco facts')
    .option('--page <n>', 'page number, from 1 (all pages by default)')
    .option('--per-page <n>', 'values per page (at most 1000)')
    .action(async (name: string, opts: { page?: string; perPage?: string }, cmd: Command) => {
      const api = await ctx.api(cmd);
      const began = performance.now();
      const path = `/fact_names/${enc(name)}/values`;
      let body: FactValues;
      if (opts.page !== undefined || opts.perPage !== undefined) body = await api.get<FactValues>(path, { page: opts.page, per_page: opts.perPage });
      else {
        // The whole report by default, as mco facts gives it: every page of 1000 values.
        body = await api.get<FactValues>(path, { page: 1, per_page: 1000 });
        for (let page = 2; (page - 1) * 1000 < body.subtotal; page++) body.results.push(...(await api.get<FactValues>(path, { page, per_page: 1000 })).results);
      }
      if (ctx.json(cmd)) return printJson(ctx.io, body);
      if (!printsProse(ctx.io)) return printTable(ctx.io, body.results, [['value', (v) => v.value], ['count', (v) => v.count]]);
      const seen = (await api.get<ListPage<HostDto>>('/hosts', { per_page: 1 })).total;
      const ms = performance.now() - began;
      writeLine(ctx.io.out, `Report for fact: ${name}\n`);
      for (const v of body.results) writeLine(ctx.io.out, `        ${v.value.padEnd(40)} found ${v.count} times`);
      writeLine(ctx.io.out, `\nFinished processing ${body.hosts} / ${seen} hosts in ${ms.toFixed(2)} ms`);
    });
  historyCommand(ctx, facts, 'fact', (name) => `/fact_names/${enc(name)}/remote_execution/jobs`)
    .option('--value <value>', 'jobs that ran on hosts whose fact had this value when they ran (jobs.recorded_facts); without it, jobs whose targeting named the fact');

  const proxies = program.command('smart-proxy').alias('proxy').description('Smart proxies (one proxy-plugin per Puppet master)');
  const proxyColumns = [['id', (p: SmartProxyDto) => p.id], ['name', (p: SmartProxyDto) => p.name], ['url', (p: SmartProxyDto) => p.url], ['transport', (p: SmartProxyDto) => p.transport], ['status', (p: SmartProxyDto) => p.status], ['features', (p: SmartProxyDto) => p.features], ['capabilities', (p: SmartProxyDto) => p.capabilities]] as const;
  withListOptions(proxies.command('list').description('List smart proxies')).action(async (opts: ListOptions, cmd: Command) => {
    await runList(ctx, cmd, '/smart_proxies', listQuery(opts), proxyColumns);
  });
  proxies.command('show').argument('<proxy>', 'id or name').description('Show a smart proxy').action(async (id: string, _opts: unknown, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).get<SmartProxyDto>(`/smart_proxies/${enc(id)}`), (p) => proxyColumns.map(([k, v]) => [k, v(p)]));
  });
  proxies.command('create').argument('<name>', 'its name (e.g. the Puppet master\'s)').requiredOption('--proxy-url <host:port>', 'its gRPC address (rex\'s own --url names the server)').description('Register a smart proxy: it is asked for its features and capabilities, and refused when it cannot be reached').action(async (name: string, opts: { proxyUrl: string }, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).post<SmartProxyDto>('/smart_proxies', { smart_proxy: { name, url: opts.proxyUrl } }), (p) => proxyColumns.map(([k, v]) => [k, v(p)]));
  });
  proxies.command('update').argument('<proxy>', 'id or name').option('--name <name>', 'new name').option('--proxy-url <host:port>', 'new gRPC address').description('Rename a smart proxy or change its address; it is asked again for its features and capabilities').action(async (id: string, opts: { name?: string; proxyUrl?: string }, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).put<SmartProxyDto>(`/smart_proxies/${enc(id)}`, { smart_proxy: { name: opts.name, url: opts.proxyUrl } }), (p) => proxyColumns.map(([k, v]) => [k, v(p)]));
  });
  proxies.command('refresh').argument('<proxy>', 'id or name').description('Ask the proxy again for its features, capabilities and nodes (its hosts and facts)').action(async (id: string, _opts: unknown, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).post<Record<string, unknown>>(`/smart_proxies/${enc(id)}/refresh`), (r) => Object.entries(r));
  });
  historyCommand(ctx, proxies, 'smart proxy', (id) => `/smart_proxies/${enc(id)}/remote_execution/jobs`);

  for (const [name, path] of [['organizations', '/organizations'], ['locations', '/locations']] as const) {
    const group = program.command(name).description(`${name[0].toUpperCase()}${name.slice(1)}`);
    withListOptions(group.command('list').description(`List ${name}`)).action(async (opts: ListOptions, cmd: Command) => {
      await runList<{ id: number; name: string }>(ctx, cmd, path, listQuery(opts), [['id', (t) => t.id], ['name', (t) => t.name]]);
    });
  }

  const inventory = program.command('inventory').description('Inventory import, PuppetDB and Foreman sync');
  inventory.command('import').argument('<file>', 'inventory document, YAML or JSON (- for standard input)').description('Import an inventory document').action(async (file: string, _opts: unknown, cmd: Command) => {
    const text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
    const api = await ctx.api(cmd);
    await runRecord(ctx, cmd, () => api.send<Record<string, unknown>>('POST', '/inventory/import', text, 'application/yaml'), (r) => Object.entries(r));
  });
  inventory.command('puppetdb-sync').description('Pull nodes and facts from PuppetDB').action(async (_opts: unknown, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).post<Record<string, unknown>>('/inventory/puppetdb_sync'), (r) => Object.entries(r));
  });
  inventory.command('foreman-sync').description('Pull hosts, hostgroups and facts from Foreman (foreman.url) and show what changed').action(async (_opts: unknown, cmd: Command) => {
    await runRecord(ctx, cmd, async () => (await ctx.api(cmd)).post<ForemanSyncReport>('/inventory/foreman_sync'), foremanSyncRows);
  });
}

interface ForemanSyncReport {
  foreman: string;
  hosts: Record<string, number>;
  hostgroups: Record<string, number>;
  facts: Record<string, number>;
  smart_proxies: { matched: string[]; unknown: string[] };
  changes: Array<{ type: string; name: string; change: string }>;
  changes_omitted: number;
}

/** Counts on one line each (`created 2, updated 1, ...`), then one line per change, as hammer prints a task's result. */
function foremanSyncRows(r: ForemanSyncReport): Array<[string, unknown]> {
  const counts = (c: Record<string, number>) => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    ['foreman', r.foreman],
    ['hosts', counts(r.hosts)],
    ['hostgroups', counts(r.hostgroups)],
    ['facts', counts(r.facts)],
    ['unknown smart proxies', r.smart_proxies.unknown.join(', ') || '-'],
    ...r.changes.map((c): [string, unknown] => [c.change, `${c.type} ${c.name}`]),
    ...(r.changes_omitted > 0 ? [['more changes', r.changes_omitted] as [string, unknown]] : []),
  ];
}

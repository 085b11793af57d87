/**
 * Host search at scale on MariaDB (issue #3 acceptance): loads `hosts` hosts with `factsPerHost`
 * facts each into a scratch database with multi-row inserts, then times the first page and the
 * total count of `facts.osfamily = RedHat and parent_hostgroup = base` through the host repository
 * (the same SQL the API runs). Targets: first page < 200 ms, count < 500 ms (medians).
 */
import { performance } from 'node:perf_hooks';
import { hostScope, type HostScope } from '@server/auth/abilities';
import { createHostRepository } from '@server/inventory/host.repository';
import { sqlDateTime } from '@server/search/compiler';
import { openTestDataSource } from '@test/support/databases';

export interface SearchBenchOptions {
  hosts: number;
  factsPerHost: number;
  runs?: number;
  search?: string;
}

export interface SearchBenchResult {
  name: string;
  database: 'mysql';
  hosts: number;
  factsPerHost: number;
  factRows: number;
  search: string;
  loadMs: number;
  matching: number;
  firstPageMs: number[];
  countMs: number[];
  firstPageMedianMs: number;
  countMedianMs: number;
  targets: { firstPageMs: number; countMs: number };
  pass: boolean;
  /** `findTargets` for the same search (every matching host, as a job resolves its targeting), median. */
  findTargetsMedianMs: number;
  /** Other shapes of search on the same data, reported without a target (medians). */
  others: Array<{ search: string; matching: number; firstPageMedianMs: number; countMedianMs: number }>;
  /**
   * The same search as a user whose view_hosts filters reach two hostgroup subtrees (issue 8): the
   * scope is compiled into the same SQL. Same targets as the unscoped search.
   */
  scoped: { scope: string; matching: number; firstPageMedianMs: number; countMedianMs: number; visibleTotal: number };
}

/** A rare fact (the page must walk most of the name index), a substring, a subtree alone, a negation. */
const OTHER_SEARCHES = [
  'facts.fact_29 = value-7',
  'name ~ 4242',
  'parent_hostgroup = base/web',
  'not facts.osfamily = Debian and hostgroup = db',
];

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** A tree where about half of the groups sit under `base`, like a site with legacy roots. */
const HOSTGROUPS = ['base', 'base/web', 'base/db', 'base/app', 'base/cache', 'base/web/edge', 'legacy', 'legacy/web', 'legacy/db', 'lab'];
const OSFAMILIES = ['RedHat', 'Debian', 'RedHat', 'Suse'];
const ROWS_PER_INSERT = 5000;

export async function runSearchBench(options: SearchBenchOptions): Promise<SearchBenchResult> {
  const runs = options.runs ?? 7;
  const search = options.search ?? 'facts.osfamily = RedHat and parent_hostgroup = base';
  const db = await openTestDataSource('mysql');
  try {
    const ds = db.dataSource;
    const now = new Date();
    const stamp = sqlDateTime(now);
    const loadStarted = performance.now();
    // One connection for the load so the session settings apply to every insert.
    const runner = ds.createQueryRunner();
    try {
      await runner.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');
      await runner.query(`INSERT INTO smart_proxies (name, url, features, capabilities, status, demo, created_at, updated_at) VALUES ('puppet-a.bench', '127.0.0.1:50051', '[]', '["remote_execution"]', 'online', 0, ?, ?), ('puppet-b.bench', '127.0.0.1:50052', '[]', '["remote_execution"]', 'online', 0, ?, ?)`, [stamp, stamp, stamp, stamp]);
      const groupIds = new Map<string, number>();
      for (const title of HOSTGROUPS) {
        const cut = title.lastIndexOf('/');
        const parentId = cut > 0 ? (groupIds.get(title.slice(0, cut)) as number) : null;
        await runner.query('INSERT INTO hostgroups (name, parent_id, ancestry, title, created_at, updated_at) VALUES (?, ?, NULL, ?, ?, ?)', [title.slice(cut + 1), parentId, title, stamp, stamp]);
        groupIds.set(title, Number(((await runner.query('SELECT id FROM hostgroups WHERE title = ?', [title])) as Array<{ id: number }>)[0].id));
      }
      const groups = [...groupIds.values()];
      for (let start = 1; start <= options.hosts; start += ROWS_PER_INSERT) {
        const rows: unknown[] = [];
        const end = Math.min(options.hosts, start + ROWS_PER_INSERT - 1);
        for (let i = start; i <= end; i++) rows.push(`host${String(i).padStart(6, '0')}.bench.example.com`, groups[i % groups.length], 1 + (i % 2), stamp, stamp, stamp);
        await runner.query(`INSERT INTO hosts (name, hostgroup_id, smart_proxy_id, last_seen_at, created_at, updated_at) VALUES ${Array.from({ length: end - start + 1 }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}`, rows);
      }
      const firstId = Number(((await runner.query('SELECT MIN(id) AS id FROM hosts')) as Array<{ id: number }>)[0].id);
      // Facts in host-id order so InnoDB appends to the clustered (host_id, name) key.
      const perInsert = Math.max(1, Math.floor(ROWS_PER_INSERT / options.factsPerHost));
      for (let start = 0; start < options.hosts; start += perInsert) {
        const rows: unknown[] = [];
        const end = Math.min(options.hosts, start + perInsert);
        for (let i = start; i < end; i++) {
          const hostId = firstId + i;
          rows.push(hostId, 'osfamily', OSFAMILIES[i % OSFAMILIES.length]);
          for (let f = 1; f < options.factsPerHost; f++) rows.push(hostId, `fact_${String(f).padStart(2, '0')}`, `value-${(i * 7 + f) % (10 * f)}`);
        }
        await runner.query(`INSERT INTO facts (host_id, name, value) VALUES ${Array.from({ length: rows.length / 3 }, () => '(?, ?, ?)').join(', ')}`, rows);
      }
      await runner.query('SET SESSION foreign_key_checks = 1, unique_checks = 1');
      await runner.query('ANALYZE TABLE hosts, facts, hostgroups');
    } finally {
      await runner.release();
    }
    const loadMs = performance.now() - loadStarted;

    const hosts = createHostRepository(ds.manager);
    const measure = async (text: string, times: number, scope?: HostScope) => {
      const pageMs: number[] = [];
      const counted: number[] = [];
      let found = 0;
      // One warm-up of each, as a running server would have its buffer pool warm.
      await hosts.pageMatching({ search: text, page: 1, perPage: 20, sort: { by: 'name', order: 'asc' }, now, scope });
      await hosts.countMatching(text, now, scope);
      for (let run = 0; run < times; run++) {
        let t = performance.now();
        const page = await hosts.pageMatching({ search: text, page: 1, perPage: 20, sort: { by: 'name', order: 'asc' }, now, scope });
        pageMs.push(performance.now() - t);
        t = performance.now();
        found = await hosts.countMatching(text, now, scope);
        counted.push(performance.now() - t);
        if (page.length !== Math.min(20, found)) throw new Error(`${text}: first page has ${page.length} hosts of ${found}`);
      }
      return { pageMs, countMs: counted, matching: found };
    };
    const main = await measure(search, runs);
    const { pageMs: firstPageMs, countMs, matching } = main;
    const targetsMs: number[] = [];
    for (let run = 0; run < 3; run++) {
      const t = performance.now();
      const targets = await hosts.findTargets({ search }, now);
      targetsMs.push(performance.now() - t);
      if (targets.length !== matching) throw new Error(`findTargets found ${targets.length} hosts, the count ${matching}`);
    }
    const others: SearchBenchResult['others'] = [];
    for (const other of OTHER_SEARCHES) {
      const m = await measure(other, 3);
      others.push({ search: other, matching: m.matching, firstPageMedianMs: Math.round(median(m.pageMs) * 10) / 10, countMedianMs: Math.round(median(m.countMs) * 10) / 10 });
    }
    // A user who may see base/web (with base/web/edge) and legacy/db, through the real rules.
    const ids = ((await ds.query('SELECT id, title FROM hostgroups')) as Array<{ id: number; title: string }>).map((g) => ({ id: Number(g.id), title: g.title }));
    const subtree = (root: string) => ids.filter((g) => g.title === root || g.title.startsWith(`${root}/`)).map((g) => g.id);
    const scope = hostScope({ id: 0, login: 'bench', admin: false, rules: [{ permission: 'view_hosts', hostgroupIds: subtree('base/web') }, { permission: 'view_hosts', hostgroupIds: subtree('legacy/db') }] }, 'view_hosts');
    const scopedRun = await measure(search, runs, scope);
    const visibleTotal = await hosts.countMatching('', now, scope);
    const result: SearchBenchResult = {
      name: 'host search (MariaDB)',
      database: 'mysql',
      hosts: options.hosts,
      factsPerHost: options.factsPerHost,
      factRows: options.hosts * options.factsPerHost,
      search,
      loadMs: Math.round(loadMs),
      matching,
      firstPageMs: firstPageMs.map((v) => Math.round(v * 10) / 10),
      countMs: countMs.map((v) => Math.round(v * 10) / 10),
      firstPageMedianMs: Math.round(median(firstPageMs) * 10) / 10,
      countMedianMs: Math.round(median(countMs) * 10) / 10,
      targets: { firstPageMs: 200, countMs: 500 },
      pass: false,
      findTargetsMedianMs: Math.round(median(targetsMs) * 10) / 10,
      others,
      scoped: { scope: 'view_hosts on base/web and legacy/db (subtrees)', matching: scopedRun.matching, firstPageMedianMs: Math.round(median(scopedRun.pageMs) * 10) / 10, countMedianMs: Math.round(median(scopedRun.countMs) * 10) / 10, visibleTotal },
    };
    result.pass = result.firstPageMedianMs < 200 && result.countMedianMs < 500 && result.scoped.firstPageMedianMs < 200 && result.scoped.countMedianMs < 500;
    return result;
  } finally {
    await db.close();
  }
}

import type { SmartProxyDto } from '@common/inventory';
import type { HostScope } from '../auth/abilities';
import { hostColumns, hostScopeSql, type Sql } from '../auth/scope-sql';
import { compileSearch, jsonListField, sqlDateTime, type SearchDefinition } from '../search/compiler';
import type { ProxyHealth } from '../proxies/proxy-monitor';
import { SmartProxyEntity } from './smart-proxy.entity';
import { dialectOf, placeholders, type Db } from './sql';

/** A proxy as the API and the jobs dispatcher see it (Foreman's field names): the REST shape the web UI reads. */
export type SmartProxyRow = SmartProxyDto;

export interface SmartProxyWrite {
  name: string;
  url: string;
  features?: string[];
  capabilities?: string[];
  transport?: string | null;
  demo?: boolean;
  version?: string | null;
}

/** `GET /api/v2/smart_proxies?search=`, over `smart_proxies sp`. */
export const SMART_PROXY_SEARCH: SearchDefinition = {
  idColumn: 'sp.id',
  fields: {
    name: { kind: 'column', column: 'sp.name', type: 'string' },
    url: { kind: 'column', column: 'sp.url', type: 'string' },
    // The status last written by the proxy monitor or a sync (the API shows the live one over it).
    status: { kind: 'column', column: 'sp.status', type: 'string', values: ['online', 'offline', 'unknown'] },
    transport: { kind: 'column', column: 'sp.transport', type: 'string', nullable: true },
    // Features are stored as a JSON list: `feature = Puppet` holds it, `feature ~ Pup` a substring.
    feature: jsonListField('sp.features'),
  },
  freeText: ['name'],
};

function toRow(e: SmartProxyEntity): SmartProxyRow {
  return {
    id: e.id,
    name: e.name,
    url: e.url,
    features: e.features ?? [],
    capabilities: e.capabilities ?? [],
    transport: e.transport,
    status: e.status,
    last_seen_at: e.lastSeenAt ? e.lastSeenAt.toISOString() : null,
    status_checked_at: null,
    status_reason: null,
    demo: e.demo,
    version: e.version,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}

/**
 * The row with this instance's live view of the proxy (proxies/proxy-monitor.ts) over the stored
 * status, which changes only when a monitor or a sync writes it: the status is seconds old, and
 * the last contact is the newer of the stored and the live one.
 */
export function withLiveStatus(row: SmartProxyRow, health: ProxyHealth | undefined): SmartProxyRow {
  const live = health?.get(row.id);
  if (!live?.checkedAt) return row;
  const stored = row.last_seen_at ? Date.parse(row.last_seen_at) : 0;
  const contact = Math.max(stored, live.lastContactAt?.getTime() ?? 0);
  return {
    ...row,
    status: live.status,
    last_seen_at: contact > 0 ? new Date(contact).toISOString() : null,
    status_checked_at: live.checkedAt.toISOString(),
    status_reason: live.status === 'online' ? null : live.reason,
  };
}

export interface SmartProxyRepository {
  /** Every proxy, by name. */
  list(): Promise<SmartProxyRow[]>;
  findByIds(ids: number[]): Promise<SmartProxyRow[]>;
  /** One page by a search; with `scope`, only proxies serving at least one host in it (all for an unlimited scope). */
  search(params: { search: string; page: number; perPage: number; now: Date; scope?: HostScope }): Promise<{ total: number; subtotal: number; results: SmartProxyRow[] }>;
  findByIdOrName(idOrName: string, scope?: HostScope): Promise<SmartProxyRow | null>;
  /** Proxies in a scope (see search), by name. */
  listIn(scope: HostScope): Promise<SmartProxyRow[]>;
  findByNames(names: string[]): Promise<SmartProxyRow[]>;
  /** Inserts or updates by name; returns the row and whether anything changed. */
  upsertByName(proxy: SmartProxyWrite, now: Date): Promise<{ row: SmartProxyRow; changed: boolean }>;
  /** Inserts a proxy (its name must be free). */
  insert(proxy: SmartProxyWrite, now: Date): Promise<SmartProxyRow>;
  /**
   * Changes the given fields of a proxy; answers the row and, per changed field, its old and new
   * value (empty when nothing changed, and then nothing is written). Null when no such proxy.
   */
  updateById(id: number, patch: Partial<SmartProxyWrite>, now: Date): Promise<{ row: SmartProxyRow; changes: Record<string, [unknown, unknown]> } | null>;
  setStatus(id: number, status: 'online' | 'offline', now: Date): Promise<void>;
}

/**
 * Proxies carry no organization or location of their own: a proxy is in a caller's scope when it
 * serves a host in that scope, which is how a Manager of one organization sees that organization's
 * Puppet masters and no others.
 */
function proxyScopeSql(scope: HostScope | undefined): Sql {
  if (!scope || scope.all) return { sql: '1=1', params: [] };
  const hosts = hostScopeSql(scope, hostColumns('ph'));
  return { sql: `EXISTS (SELECT 1 FROM hosts ph WHERE ph.smart_proxy_id = sp.id AND ${hosts.sql})`, params: hosts.params };
}

export function createSmartProxyRepository(db: Db): SmartProxyRepository {
  const repo = db.getRepository(SmartProxyEntity);
  const dialect = dialectOf(db);
  return {
    list: async () => (await repo.find({ order: { name: 'ASC' } })).map(toRow),

    async findByIds(ids) {
      if (ids.length === 0) return [];
      const entities = await repo.createQueryBuilder('sp').where('sp.id IN (:...ids)', { ids }).orderBy('sp.name').getMany();
      return entities.map(toRow);
    },

    async search({ search, page, perPage, now, scope }) {
      const where = compileSearch(search, SMART_PROXY_SEARCH, { dialect, now });
      const visible = proxyScopeSql(scope);
      const total = Number(((await db.query(`SELECT COUNT(*) AS n FROM smart_proxies sp WHERE ${visible.sql}`, visible.params)) as Array<{ n: unknown }>)[0].n);
      const subtotal = Number(((await db.query(`SELECT COUNT(*) AS n FROM smart_proxies sp WHERE ${where.sql} AND ${visible.sql}`, [...where.params, ...visible.params])) as Array<{ n: unknown }>)[0].n);
      const ids = ((await db.query(`SELECT sp.id FROM smart_proxies sp WHERE ${where.sql} AND ${visible.sql} ORDER BY sp.name LIMIT ? OFFSET ?`, [...where.params, ...visible.params, perPage, (page - 1) * perPage])) as Array<{ id: unknown }>).map((r) => Number(r.id));
      return { total, subtotal, results: await this.findByIds(ids) };
    },

    async findByIdOrName(idOrName, scope) {
      const byId = /^\d+$/.test(idOrName);
      const visible = proxyScopeSql(scope);
      const rows = (await db.query(`SELECT sp.id FROM smart_proxies sp WHERE ${byId ? 'sp.id' : 'sp.name'} = ? AND ${visible.sql}`, [byId ? Number(idOrName) : idOrName, ...visible.params])) as Array<{ id: unknown }>;
      return rows.length > 0 ? (await this.findByIds([Number(rows[0].id)]))[0] ?? null : null;
    },

    async listIn(scope) {
      if (scope.all) return this.list();
      const visible = proxyScopeSql(scope);
      const rows = (await db.query(`SELECT sp.id FROM smart_proxies sp WHERE ${visible.sql}`, visible.params)) as Array<{ id: unknown }>;
      return this.findByIds(rows.map((r) => Number(r.id)));
    },

    async findByNames(names) {
      if (names.length === 0) return [];
      const rows = (await db.query(`SELECT id FROM smart_proxies WHERE name IN (${placeholders(names.length)})`, names)) as Array<{ id: unknown }>;
      return this.findByIds(rows.map((r) => Number(r.id)));
    },

    async upsertByName(proxy, now) {
      const existing = await repo.findOne({ where: { name: proxy.name } });
      if (!existing) return { row: await this.insert(proxy, now), changed: true };
      const updated = await this.updateById(existing.id, proxy, now);
      return { row: updated!.row, changed: Object.keys(updated!.changes).length > 0 };
    },

    async insert(proxy, now) {
      const saved = await repo.save(repo.create({
        name: proxy.name,
        url: proxy.url,
        features: proxy.features ?? [],
        capabilities: proxy.capabilities ?? [],
        transport: proxy.transport ?? null,
        demo: proxy.demo ?? false,
        version: proxy.version ?? null,
        status: 'unknown',
        lastSeenAt: null,
        createdAt: now,
        updatedAt: now,
      }));
      return toRow(saved);
    },

    async updateById(id, patch, now) {
      const existing = await repo.findOne({ where: { id } });
      if (!existing) return null;
      const changes: Record<string, [unknown, unknown]> = {};
      const next: Partial<SmartProxyEntity> = {};
      for (const key of ['name', 'url', 'features', 'capabilities', 'transport', 'demo', 'version'] as const) {
        const value = patch[key];
        if (value === undefined || JSON.stringify(existing[key]) === JSON.stringify(value)) continue;
        changes[key] = [existing[key], value];
        (next as Record<string, unknown>)[key] = value;
      }
      if (Object.keys(changes).length === 0) return { row: toRow(existing), changes };
      await repo.update({ id }, { ...next, updatedAt: now });
      return { row: toRow(await repo.findOneOrFail({ where: { id } })), changes };
    },

    async setStatus(id, status, now) {
      await db.query(`UPDATE smart_proxies SET status = ?${status === 'online' ? ', last_seen_at = ?' : ''} WHERE id = ?`, status === 'online' ? [status, sqlDateTime(now), id] : [status, id]);
    },
  };
}

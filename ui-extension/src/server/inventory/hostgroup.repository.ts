import type { HostgroupDto } from '@common/inventory';
import type { HostScope } from '../auth/abilities';
import { hostColumns, hostScopeSql, referenceScopeSql } from '../auth/scope-sql';
import { compileSearch, type SearchDefinition } from '../search/compiler';
import { HostgroupEntity } from './hostgroup.entity';
import { dialectOf, type Db } from './sql';

/** A hostgroup as the API shows it (Foreman's field names): the REST shape the web UI reads. */
export type HostgroupRow = HostgroupDto;

/** `GET /api/v2/hostgroups?search=`, over `hostgroups g`. */
export const HOSTGROUP_SEARCH: SearchDefinition = {
  idColumn: 'g.id',
  fields: {
    name: { kind: 'column', column: 'g.name', type: 'string' },
    title: { kind: 'column', column: 'g.title', type: 'string' },
    id: { kind: 'column', column: 'g.id', type: 'number' },
    parent_id: { kind: 'column', column: 'g.parent_id', type: 'number', nullable: true },
    parent: { kind: 'lookup', column: 'g.parent_id', table: 'hostgroups', idColumn: 'id', match: 'title' },
  },
  freeText: ['title'],
};

function toRow(e: HostgroupEntity): HostgroupRow {
  return { id: e.id, name: e.name, title: e.title, parent_id: e.parentId, ancestry: e.ancestry, created_at: e.createdAt.toISOString(), updated_at: e.updatedAt.toISOString() };
}

/**
 * With `scope` (a caller's view_hosts scope), only the hostgroups it reaches: those its rules name
 * and those holding a host in it (auth/scope-sql.ts referenceScopeSql); without, all of them.
 */
export interface HostgroupRepository {
  all(scope?: HostScope): Promise<HostgroupRow[]>;
  search(params: { search: string; page: number; perPage: number; now: Date; scope?: HostScope }): Promise<{ total: number; subtotal: number; results: HostgroupRow[] }>;
  findByIdOrTitle(idOrTitle: string, scope?: HostScope): Promise<HostgroupRow | null>;
  /** How many hosts each of `ids` holds itself (not through descendants), counting only hosts inside `scope`. */
  hostCounts(ids: number[], scope?: HostScope): Promise<Map<number, number>>;
  /** Creates the group at `title` (its parent must exist) unless it exists; returns it. */
  ensure(title: string, now: Date): Promise<{ row: HostgroupRow; created: boolean }>;
  /** Hostgroups the Foreman sync brought, by the Foreman id it recorded. */
  foremanHostgroups(): Promise<Array<{ id: number; title: string; foremanId: number }>>;
  setForemanId(id: number, foremanId: number): Promise<void>;
  /**
   * Deletes the hostgroup unless another group is still its child (their key forbids it); its hosts
   * keep no hostgroup. Returns whether it was deleted.
   */
  deleteIfChildless(id: number): Promise<boolean>;
}

export function createHostgroupRepository(db: Db): HostgroupRepository {
  const repo = db.getRepository(HostgroupEntity);
  const dialect = dialectOf(db);
  const visible = (scope: HostScope | undefined) => referenceScopeSql(scope ?? { all: true }, 'hostgroup', 'g.id');
  const count = async (sql: string, params: unknown[]) => Number(((await db.query(sql, params)) as Array<{ n: unknown }>)[0].n);
  const byIds = async (ids: number[]) => (ids.length === 0 ? [] : (await repo.createQueryBuilder('g').where('g.id IN (:...ids)', { ids }).orderBy('g.title').getMany()).map(toRow));
  return {
    async all(scope) {
      if (!scope || scope.all) return (await repo.find({ order: { title: 'ASC' } })).map(toRow);
      const inScope = visible(scope);
      return byIds(((await db.query(`SELECT g.id FROM hostgroups g WHERE ${inScope.sql}`, inScope.params)) as Array<{ id: unknown }>).map((r) => Number(r.id)));
    },

    async search({ search, page, perPage, now, scope }) {
      const where = compileSearch(search, HOSTGROUP_SEARCH, { dialect, now });
      const inScope = visible(scope);
      const total = await count(`SELECT COUNT(*) AS n FROM hostgroups g WHERE ${inScope.sql}`, inScope.params);
      const subtotal = await count(`SELECT COUNT(*) AS n FROM hostgroups g WHERE ${where.sql} AND ${inScope.sql}`, [...where.params, ...inScope.params]);
      const ids = ((await db.query(`SELECT g.id FROM hostgroups g WHERE ${where.sql} AND ${inScope.sql} ORDER BY g.title LIMIT ? OFFSET ?`, [...where.params, ...inScope.params, perPage, (page - 1) * perPage])) as Array<{ id: unknown }>).map((r) => Number(r.id));
      return { total, subtotal, results: await byIds(ids) };
    },

    async findByIdOrTitle(idOrTitle, scope) {
      const inScope = visible(scope);
      const rows = (await db.query(`SELECT g.id FROM hostgroups g WHERE ${/^\d+$/.test(idOrTitle) ? 'g.id' : 'g.title'} = ? AND ${inScope.sql}`, [/^\d+$/.test(idOrTitle) ? Number(idOrTitle) : idOrTitle, ...inScope.params])) as Array<{ id: unknown }>;
      return (await byIds(rows.map((r) => Number(r.id))))[0] ?? null;
    },

    async hostCounts(ids, scope) {
      const counts = new Map(ids.map((id) => [id, 0]));
      if (ids.length === 0) return counts;
      // One grouped count over the hosts' hostgroup index for a page of groups.
      const inScope = hostScopeSql(scope ?? { all: true }, hostColumns('h'));
      const rows = (await db.query(
        `SELECT h.hostgroup_id AS id, COUNT(*) AS n FROM hosts h WHERE h.hostgroup_id IN (${ids.map(() => '?').join(', ')}) AND ${inScope.sql} GROUP BY h.hostgroup_id`,
        [...ids, ...inScope.params],
      )) as Array<{ id: unknown; n: unknown }>;
      for (const r of rows) counts.set(Number(r.id), Number(r.n));
      return counts;
    },

    async foremanHostgroups() {
      const rows = (await db.query('SELECT id, title, foreman_id FROM hostgroups WHERE foreman_id IS NOT NULL')) as Array<Record<string, unknown>>;
      return rows.map((r) => ({ id: Number(r.id), title: String(r.title), foremanId: Number(r.foreman_id) }));
    },

    async setForemanId(id, foremanId) {
      await db.query('UPDATE hostgroups SET foreman_id = ? WHERE id = ?', [foremanId, id]);
    },

    async deleteIfChildless(id) {
      if ((await count('SELECT COUNT(*) AS n FROM hostgroups WHERE parent_id = ?', [id])) > 0) return false;
      // SET NULL is the key's rule, written out because SQLite enforces keys only with foreign_keys on.
      await db.query('UPDATE hosts SET hostgroup_id = NULL WHERE hostgroup_id = ?', [id]);
      await db.query('DELETE FROM hostgroups WHERE id = ?', [id]);
      return true;
    },

    async ensure(title, now) {
      const existing = await repo.findOne({ where: { title } });
      if (existing) return { row: toRow(existing), created: false };
      const cut = title.lastIndexOf('/');
      const parent = cut > 0 ? await repo.findOne({ where: { title: title.slice(0, cut) } }) : null;
      if (cut > 0 && !parent) throw new Error(`parent of hostgroup ${title} must be created first`);
      const saved = await repo.save(repo.create({
        name: title.slice(cut + 1),
        title,
        parentId: parent?.id ?? null,
        // Foreman's ancestry: the ids from the root down to the parent, `1/5`.
        ancestry: parent ? (parent.ancestry ? `${parent.ancestry}/${parent.id}` : String(parent.id)) : null,
        createdAt: now,
        updatedAt: now,
      }));
      return { row: toRow(saved), created: true };
    },
  };
}

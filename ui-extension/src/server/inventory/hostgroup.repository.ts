import type { HostgroupDto } from '@common/inventory';
import { compileSearch, type SearchDefinition } from '../search/compiler';
import { HostgroupEntity } from './hostgroup.entity';
import { dialectOf, type Db } from './sql';

/** A hostgroup as the API shows it (Foreman's field names): the REST shape the web UI reads. */
export type HostgroupRow = HostgroupDto;

const HOSTGROUP_SEARCH: SearchDefinition = {
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

export interface HostgroupRepository {
  all(): Promise<HostgroupRow[]>;
  search(params: { search: string; page: number; perPage: number; now: Date }): Promise<{ total: number; subtotal: number; results: HostgroupRow[] }>;
  findByIdOrTitle(idOrTitle: string): Promise<HostgroupRow | null>;
  /** Creates the group at `title` (its parent must exist) unless it exists; returns it. */
  ensure(title: string, now: Date): Promise<{ row: HostgroupRow; created: boolean }>;
}

export function createHostgroupRepository(db: Db): HostgroupRepository {
  const repo = db.getRepository(HostgroupEntity);
  const dialect = dialectOf(db);
  return {
    all: async () => (await repo.find({ order: { title: 'ASC' } })).map(toRow),

    async search({ search, page, perPage, now }) {
      const where = compileSearch(search, HOSTGROUP_SEARCH, { dialect, now });
      const total = await repo.count();
      const subtotal = Number(((await db.query(`SELECT COUNT(*) AS n FROM hostgroups g WHERE ${where.sql}`, where.params)) as Array<{ n: unknown }>)[0].n);
      const ids = ((await db.query(`SELECT g.id FROM hostgroups g WHERE ${where.sql} ORDER BY g.title LIMIT ? OFFSET ?`, [...where.params, perPage, (page - 1) * perPage])) as Array<{ id: unknown }>).map((r) => Number(r.id));
      const entities = ids.length === 0 ? [] : await repo.createQueryBuilder('g').where('g.id IN (:...ids)', { ids }).orderBy('g.title').getMany();
      return { total, subtotal, results: entities.map(toRow) };
    },

    async findByIdOrTitle(idOrTitle) {
      const entity = /^\d+$/.test(idOrTitle) ? await repo.findOne({ where: { id: Number(idOrTitle) } }) : await repo.findOne({ where: { title: idOrTitle } });
      return entity ? toRow(entity) : null;
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

import { LocationEntity, OrganizationEntity } from './taxonomy.entity';
import type { Db } from './sql';

export interface TaxonomyRow {
  id: number;
  name: string;
  created_at: string;
  updated_at: string;
}

export type TaxonomyKind = 'organization' | 'location';

export interface TaxonomyRepository {
  list(kind: TaxonomyKind, params: { search: string; page: number; perPage: number }): Promise<{ total: number; subtotal: number; results: TaxonomyRow[] }>;
  all(kind: TaxonomyKind): Promise<TaxonomyRow[]>;
  ensure(kind: TaxonomyKind, name: string, now: Date): Promise<{ row: TaxonomyRow; created: boolean }>;
}

const toRow = (e: OrganizationEntity | LocationEntity): TaxonomyRow => ({ id: e.id, name: e.name, created_at: e.createdAt.toISOString(), updated_at: e.updatedAt.toISOString() });

export function createTaxonomyRepository(db: Db): TaxonomyRepository {
  const repoOf = (kind: TaxonomyKind) => db.getRepository(kind === 'organization' ? OrganizationEntity : LocationEntity);
  return {
    async list(kind, { search, page, perPage }) {
      const repo = repoOf(kind);
      const total = await repo.count();
      const qb = repo.createQueryBuilder('t').orderBy('t.name');
      // Taxonomies are few; a name substring is all their search needs.
      if (search.trim() !== '') qb.where("t.name LIKE :pattern ESCAPE '!'", { pattern: `%${search.trim().replace(/[!%_]/g, (c) => `!${c}`)}%` });
      const [entities, subtotal] = await qb.skip((page - 1) * perPage).take(perPage).getManyAndCount();
      return { total, subtotal, results: entities.map(toRow) };
    },
    all: async (kind) => (await repoOf(kind).find({ order: { name: 'ASC' } })).map(toRow),
    async ensure(kind, name, now) {
      const repo = repoOf(kind);
      const existing = await repo.findOne({ where: { name } });
      if (existing) return { row: toRow(existing), created: false };
      return { row: toRow(await repo.save(repo.create({ name, createdAt: now, updatedAt: now }))), created: true };
    },
  };
}

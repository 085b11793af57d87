import type { HostScope } from '../auth/abilities';
import { named, referenceScopeSql } from '../auth/scope-sql';
import { compileSearch, type SearchDefinition } from '../search/compiler';
import { LocationEntity, OrganizationEntity } from './taxonomy.entity';
import { dialectOf, type Db } from './sql';

/** `GET /api/v2/organizations?search=` and `/locations`, over `organizations t` or `locations t`. */
export const TAXONOMY_SEARCH: SearchDefinition = {
  idColumn: 't.id',
  fields: {
    id: { kind: 'column', column: 't.id', type: 'number' },
    name: { kind: 'column', column: 't.name', type: 'string' },
  },
  freeText: ['name'],
};

export interface TaxonomyRow {
  id: number;
  name: string;
  created_at: string;
  updated_at: string;
}

export type TaxonomyKind = 'organization' | 'location';

/**
 * With `scope` (a caller's view_hosts scope), only the organizations or locations it reaches: those
 * its rules name and those holding a host in it (auth/scope-sql.ts referenceScopeSql).
 */
export interface TaxonomyRepository {
  list(kind: TaxonomyKind, params: { search: string; page: number; perPage: number }, scope?: HostScope): Promise<{ total: number; subtotal: number; results: TaxonomyRow[] }>;
  all(kind: TaxonomyKind, scope?: HostScope): Promise<TaxonomyRow[]>;
  ensure(kind: TaxonomyKind, name: string, now: Date): Promise<{ row: TaxonomyRow; created: boolean }>;
}

const toRow = (e: OrganizationEntity | LocationEntity): TaxonomyRow => ({ id: e.id, name: e.name, created_at: e.createdAt.toISOString(), updated_at: e.updatedAt.toISOString() });

export function createTaxonomyRepository(db: Db): TaxonomyRepository {
  const repoOf = (kind: TaxonomyKind) => db.getRepository(kind === 'organization' ? OrganizationEntity : LocationEntity);
  const scoped = (kind: TaxonomyKind, scope: HostScope | undefined) => {
    const qb = repoOf(kind).createQueryBuilder('t');
    const inScope = named(referenceScopeSql(scope ?? { all: true }, kind, 't.id'), 'tx');
    return qb.where(inScope.sql, inScope.params);
  };
  return {
    async list(kind, { search, page, perPage }, scope) {
      const qb = scoped(kind, scope);
      const total = await qb.clone().getCount();
      // A bare word is a name substring, as before; `name = Acme` and the rest of the syntax work too.
      const where = named(compileSearch(search, TAXONOMY_SEARCH, { dialect: dialectOf(db), now: new Date() }), 'q');
      qb.andWhere(where.sql, where.params);
      const [entities, subtotal] = await qb.orderBy('t.name').skip((page - 1) * perPage).take(perPage).getManyAndCount();
      return { total, subtotal, results: entities.map(toRow) };
    },
    all: async (kind, scope) => (await scoped(kind, scope).orderBy('t.name').getMany()).map(toRow),
    async ensure(kind, name, now) {
      const repo = repoOf(kind);
      const existing = await repo.findOne({ where: { name } });
      if (existing) return { row: toRow(existing), created: false };
      return { row: toRow(await repo.save(repo.create({ name, createdAt: now, updatedAt: now }))), created: true };
    },
  };
}

import type { DataSource } from 'typeorm';
import { managerOf, type Tx } from '../db-transaction';
import { compileSearch, type SearchDefinition } from '../search/compiler';
import { dialectOf } from '../inventory/sql';
import { AuditEntity } from './audit.entity';

/** Foreman's audit search keys (app/models/audit.rb `scoped_search`), over `audits a`. */
export const AUDIT_SEARCH: SearchDefinition = {
  idColumn: 'a.id',
  fields: {
    id: { kind: 'column', column: 'a.id', type: 'number' },
    user: { kind: 'column', column: 'a.user_login', type: 'string', nullable: true },
    user_id: { kind: 'column', column: 'a.user_id', type: 'number', nullable: true },
    action: { kind: 'column', column: 'a.action', type: 'string' },
    type: { kind: 'column', column: 'a.auditable_type', type: 'string' },
    auditable_type: { kind: 'column', column: 'a.auditable_type', type: 'string' },
    auditable_id: { kind: 'column', column: 'a.auditable_id', type: 'number', nullable: true },
    auditable_name: { kind: 'column', column: 'a.auditable_name', type: 'string', nullable: true },
    remote_address: { kind: 'column', column: 'a.remote_address', type: 'string', nullable: true },
    request_uuid: { kind: 'column', column: 'a.request_uuid', type: 'string', nullable: true },
    time: { kind: 'column', column: 'a.created_at', type: 'datetime' },
  },
  freeText: ['auditable_name'],
};

export interface NewAudit {
  createdAt: Date;
  userId: number | null;
  userLogin: string | null;
  action: string;
  auditableType: string;
  auditableId: number | null;
  auditableName: string | null;
  auditedChanges: string | null;
  remoteAddress: string | null;
  requestUuid: string | null;
}

/** Inserts and reads only: the table is append-only, and this repository has no way to change a row. */
export function createAuditRepository(dataSource: DataSource) {
  const repo = dataSource.getRepository(AuditEntity);
  const dialect = dialectOf(dataSource.manager);
  const count = async (sql: string, params: unknown[]): Promise<number> => Number(((await dataSource.query(sql, params)) as Array<{ n: unknown }>)[0].n);
  return {
    /** Inside `tx` when given, so the entry commits (or not) with the change it records. */
    async insert(entry: NewAudit, tx?: Tx): Promise<number> {
      const builder = tx ? managerOf(tx).createQueryBuilder().insert().into(AuditEntity) : repo.createQueryBuilder().insert();
      const result = await builder.values(entry).updateEntity(false).execute();
      return Number(result.identifiers[0]?.id ?? (result.raw as { insertId?: number })?.insertId);
    },

    findById: (id: number) => repo.findOne({ where: { id } }),

    /** Newest first; `onlyUserId` limits the page (and both counts) to one user's entries. */
    async search(params: { search: string; page: number; perPage: number; now: Date; onlyUserId?: number }): Promise<{ total: number; subtotal: number; results: AuditEntity[] }> {
      const where = compileSearch(params.search, AUDIT_SEARCH, { dialect, now: params.now });
      const scope = params.onlyUserId !== undefined ? { sql: 'a.user_id = ?', params: [params.onlyUserId] } : { sql: '1=1', params: [] };
      const total = await count(`SELECT COUNT(*) AS n FROM audits a WHERE ${scope.sql}`, scope.params);
      const subtotal = await count(`SELECT COUNT(*) AS n FROM audits a WHERE ${where.sql} AND ${scope.sql}`, [...where.params, ...scope.params]);
      const ids = ((await dataSource.query(`SELECT a.id FROM audits a WHERE ${where.sql} AND ${scope.sql} ORDER BY a.id DESC LIMIT ? OFFSET ?`, [...where.params, ...scope.params, params.perPage, (params.page - 1) * params.perPage])) as Array<{ id: unknown }>).map((r) => Number(r.id));
      const rows = ids.length === 0 ? [] : await repo.createQueryBuilder('a').where('a.id IN (:...ids)', { ids }).orderBy('a.id', 'DESC').getMany();
      return { total, subtotal, results: rows };
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;

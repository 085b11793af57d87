import { In, type DataSource } from 'typeorm';
import { named, type Sql } from '../auth/scope-sql';
import { RemoteActionEntity } from './remote-action.entity';

export interface ArgumentHistoryRow {
  action: RemoteActionEntity;
  runCount: number;
  lastJobId: number;
  lastRunAt: Date;
}

function toDate(value: string | Date): Date {
  return value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}Z`);
}

/**
 * The distinct arguments a namespace/action ran with, newest run first: one row per stored remote
 * action that has a job the visibility condition admits (the job listing's own scope, so the history
 * never shows arguments of a job the caller cannot see).
 */
export function createArgumentHistoryRepository(dataSource: DataSource) {
  return {
    async list(query: { namespace: string; action: string; search?: Sql; visibility: Sql; page: number; perPage: number }): Promise<{ total: number; subtotal: number; results: ArgumentHistoryRow[] }> {
      const visible = named(query.visibility, 'vis');
      const base = dataSource
        .createQueryBuilder()
        .from('remote_actions', 'ra')
        .innerJoin('job_invocations', 'job', 'job.remote_action_id = ra.id')
        .where('ra.namespace = :ns AND ra.action = :ac', { ns: query.namespace, ac: query.action })
        .andWhere(visible.sql, visible.params);
      const countOf = async (qb: typeof base) => Number(((await qb.clone().select('COUNT(DISTINCT ra.id)', 'n').getRawOne()) as { n: number | string } | undefined)?.n ?? 0);
      const total = await countOf(base);
      const filtered = base.clone();
      if (query.search) {
        const search = named(query.search, 'q');
        filtered.andWhere(search.sql, search.params);
      }
      const subtotal = query.search ? await countOf(filtered) : total;
      // Grouped by the id alone: MariaDB's ONLY_FULL_GROUP_BY refuses selecting the TEXT arguments here.
      const stats = (await filtered
        .clone()
        .select('ra.id', 'id')
        .addSelect('COUNT(*)', 'n')
        .addSelect('MAX(job.id)', 'last_job')
        .addSelect('MAX(job.created_at)', 'last_at')
        .groupBy('ra.id')
        .orderBy('last_job', 'DESC')
        .offset((query.page - 1) * query.perPage)
        .limit(query.perPage)
        .getRawMany()) as Array<{ id: number | string; n: number | string; last_job: number | string; last_at: string | Date }>;
      if (stats.length === 0) return { total, subtotal, results: [] };
      const actions = await dataSource.getRepository(RemoteActionEntity).findBy({ id: In(stats.map((s) => Number(s.id))) });
      const byId = new Map(actions.map((a) => [a.id, a]));
      return {
        total,
        subtotal,
        results: stats.map((s) => ({ action: byId.get(Number(s.id))!, runCount: Number(s.n), lastJobId: Number(s.last_job), lastRunAt: toDate(s.last_at) })),
      };
    },
  };
}

export type ArgumentHistoryRepository = ReturnType<typeof createArgumentHistoryRepository>;

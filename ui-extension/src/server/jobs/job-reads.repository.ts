import type { HostCounts, HostState, JobState } from '@common/jobs';
import { In } from 'typeorm';
import { named, type Sql } from '../auth/scope-sql';
import type { JobHostEntity } from './job-host.entity';
import { entityOfRow, findEntityById } from '../entity-rows';
import { JobInvocationEntity } from './job-invocation.entity';
import { RemoteActionEntity } from './remote-action.entity';
import { dbDate, type JobTables } from './job-rows';

export interface JobHostQuery {
  states?: HostState[];
  /** The compiled search over `job_invocation_hosts jh` (job-search.ts JOB_HOST_SEARCH). */
  search?: Sql;
  page: number;
  perPage: number;
}

export interface JobListQuery {
  /** The compiled search over `job` and `ra` (job-search.ts jobSearchDefinition). */
  search?: Sql;
  /**
   * Whose history this is (a host's, a hostgroup's, a proxy's, a fact's), as a condition like the
   * search: unlike the search it narrows the total too, which then counts that history.
   */
  scope?: Sql;
  /** The time a job ran or will run: started_at, else its scheduled time, else its creation. */
  from?: Date;
  to?: Date;
  page: number;
  perPage: number;
  /** The jobs the caller may see (auth/scope-sql.ts `jobScopeSql` over `job` and `ra`); all when absent. */
  visibility?: Sql;
}

/** When a job ran, or will run when it has not started yet: what `from` and `to` compare. */
export const JOB_RUN_TIME = 'COALESCE(job.started_at, job.scheduled_at, job.created_at)';

export interface JobVersionRow {
  id: number;
  version: number;
  lastEventSeq: number;
  state: JobState;
}

/**
 * Reading jobs: one job and its remote action, whether a user's scope reaches them, the long-poll
 * version, host pages and the events feed, the job and action lists, and the state gauge.
 */
export function createJobReads(t: JobTables) {
  const { dataSource, jobs, hosts, actions } = t;

  async function actionsByIds(ids: number[]): Promise<Map<number, RemoteActionEntity>> {
    if (ids.length === 0) return new Map();
    const rows = await actions.createQueryBuilder('ra').where('ra.id IN (:...ids)', { ids }).getMany();
    return new Map(rows.map((r) => [r.id, r]));
  }

  return {
    findRemoteAction: (id: number) => findEntityById(dataSource.manager, RemoteActionEntity, id),

    /** The DDL the newest job of a remote action ran with (scheduling from history without a proxy). */
    async latestDdlOfAction(remoteActionId: number): Promise<string | null> {
      const rows = (await dataSource.query('SELECT ddl FROM job_invocations WHERE remote_action_id = ? ORDER BY id DESC LIMIT 1', [remoteActionId])) as Array<{ ddl: string }>;
      return rows[0]?.ddl ?? null;
    },

    findJob: (id: number) => findEntityById(dataSource.manager, JobInvocationEntity, id),

    /**
     * A job, its remote action and whether `scope` reaches it, in one statement: the condition is
     * `jobInScope`'s, evaluated on the same joined row (a CASE instead of the WHERE: NULL is not
     * visible in either). Null without the job; `action` null when its remote action is missing.
     */
    async findJobInScope(jobId: number, scope: Sql): Promise<{ job: JobInvocationEntity; action: RemoteActionEntity | null; visible: boolean } | null> {
      const actionColumns = dataSource.getMetadata(RemoteActionEntity).columns.map((c) => `ra.${c.databaseName} AS ra__${c.databaseName}`);
      const sql = `SELECT job.*, ${actionColumns.join(', ')}, CASE WHEN ra.id IS NOT NULL AND ${scope.sql} THEN 1 ELSE 0 END AS in_scope__ FROM job_invocations job LEFT JOIN remote_actions ra ON ra.id = job.remote_action_id WHERE job.id = ?`;
      const rows = (await dataSource.query(sql, [...scope.params, jobId])) as Array<Record<string, unknown>>;
      if (rows.length === 0) return null;
      const row = rows[0];
      const action = row.ra__id === null ? null : entityOfRow(dataSource.manager, RemoteActionEntity, row, 'ra__');
      return { job: entityOfRow(dataSource.manager, JobInvocationEntity, row), action, visible: Number(row.in_scope__) === 1 };
    },

    /** Whether some job of the remote action passes `scope` (as `jobInScope`). */
    async remoteActionInScope(remoteActionId: number, scope: Sql): Promise<boolean> {
      const rows = (await dataSource.query(`SELECT COUNT(*) AS n FROM remote_actions ra WHERE ra.id = ? AND EXISTS (SELECT 1 FROM job_invocations job WHERE job.remote_action_id = ra.id AND ${scope.sql})`, [remoteActionId, ...scope.params])) as Array<{ n: unknown }>;
      return Number(rows[0].n) > 0;
    },

    /** Whether the job passes `scope`, a condition on the job row `job` and its remote action `ra` (scope-sql.ts jobScopeSql). */
    async jobInScope(jobId: number, scope: Sql): Promise<boolean> {
      const rows = (await dataSource.query(`SELECT COUNT(*) AS n FROM job_invocations job INNER JOIN remote_actions ra ON ra.id = job.remote_action_id WHERE job.id = ? AND ${scope.sql}`, [jobId, ...scope.params])) as Array<{ n: unknown }>;
      return Number(rows[0].n) > 0;
    },

    actionsByIds,

    /** The cheap read a long poll repeats. */
    async jobVersion(id: number): Promise<JobVersionRow | undefined> {
      const rows = (await dataSource.query('SELECT id, version, last_event_seq, state FROM job_invocations WHERE id = ?', [id])) as Array<{ id: unknown; version: unknown; last_event_seq: unknown; state: JobState }>;
      const row = rows[0];
      return row ? { id: Number(row.id), version: Number(row.version), lastEventSeq: Number(row.last_event_seq), state: row.state } : undefined;
    },

    /**
     * One page of a job's hosts in name order. The page walks (job, host_name) and stops after
     * `perPage` matches; a rare match (`output ~ ...`) reads the job's rows until it has them. With
     * `known` (the job row's total_hosts and counts, which the result writer commits with the rows)
     * the total, and the subtotal of a state filter without a search, are read from it instead of
     * counted: a 100k-host job's page then never counts its rows for them (issue #20).
     */
    async listHosts(jobId: number, query: JobHostQuery, known?: { total: number; counts: HostCounts }): Promise<{ total: number; subtotal: number; results: JobHostEntity[] }> {
      const qb = hosts.createQueryBuilder('jh').where('jh.job_invocation_id = :jobId', { jobId });
      const total = known ? known.total : await qb.clone().getCount();
      const states = query.states && query.states.length > 0 ? query.states : undefined;
      if (states) qb.andWhere('jh.state IN (:...states)', { states });
      if (query.search) {
        const search = named(query.search, 'q');
        qb.andWhere(search.sql, search.params);
      }
      const subtotal = async () => {
        if (!states && !query.search) return total;
        if (known && !query.search) return states!.reduce((n, state) => n + known.counts[state], 0);
        return Number(((await qb.clone().select('COUNT(*)', 'n').getRawOne()) as { n: number | string } | undefined)?.n ?? 0);
      };
      // The page's ids first, then their rows: a name search then walks (job, host_name) alone, where
      // MariaDB would read every row it passes to test the LIKE (42,000 rows for `name ~ host-0421`).
      const page = async () => {
        const ids = ((await qb.clone().select('jh.id', 'id').orderBy('jh.host_name', 'ASC').offset((query.page - 1) * query.perPage).limit(query.perPage).getRawMany()) as Array<{ id: number | string }>).map((r) => Number(r.id));
        const rows = ids.length > 0 ? await hosts.findBy({ id: In(ids) }) : [];
        const byId = new Map(rows.map((r) => [r.id, r]));
        return ids.map((id) => byId.get(id)).filter((r): r is JobHostEntity => r !== undefined);
      };
      // The count and the page side by side, each on its own connection (MariaDB; SQLite has one).
      const [counted, results] = await Promise.all([subtotal(), page()]);
      return { total, subtotal: counted, results };
    },

    /** The events feed: host rows changed after the cursor, in cursor order (an index range scan). */
    eventsAfter: (jobId: number, after: number, limit: number) =>
      hosts.createQueryBuilder('h').where('h.job_invocation_id = :jobId AND h.event_seq > :after', { jobId, after }).orderBy('h.event_seq', 'ASC').take(limit).getMany(),

    /**
     * The first `limit` host names of a job in the given states, in name order: the first `limit` of
     * each state straight off (job, state, host_name), then those merged, so that it costs the same
     * with 5 or 50,000 failed hosts (one IN over the states would sort all of them).
     */
    async hostNames(jobId: number, states: HostState[], limit: number): Promise<string[]> {
      if (states.length === 0) return [];
      // One state is its own answer, without the merge around it.
      if (states.length === 1) {
        const one = (await dataSource.query('SELECT host_name AS name FROM job_invocation_hosts WHERE job_invocation_id = ? AND state = ? ORDER BY host_name LIMIT ?', [jobId, states[0], limit])) as Array<{ name: string }>;
        return one.map((r) => r.name);
      }
      const each = states.map(() => 'SELECT * FROM (SELECT host_name AS name FROM job_invocation_hosts WHERE job_invocation_id = ? AND state = ? ORDER BY host_name LIMIT ?) s');
      const params = states.flatMap((state) => [jobId, state, limit]);
      const rows = (await dataSource.query(`SELECT name FROM (${each.join(' UNION ALL ')}) u ORDER BY name LIMIT ?`, [...params, limit])) as Array<{ name: string }>;
      return rows.map((r) => r.name);
    },

    /**
     * Host ids of a job in the given states (for a replay). A host with a late result ran, whatever
     * its state: replaying "failed" must not run it a second time, so only `all` selects it. A host
     * outside the inventory (a PQL certname, no host id) has nothing to run on and is left out.
     */
    async hostIds(jobId: number, states: HostState[] | 'all'): Promise<number[]> {
      const qb = hosts.createQueryBuilder('h').select('h.host_id', 'id').where('h.job_invocation_id = :jobId AND h.host_id IS NOT NULL', { jobId });
      if (states !== 'all') qb.andWhere('h.state IN (:...states)', { states }).andWhere('h.late_at IS NULL');
      return (await qb.getRawMany<{ id: number }>()).map((r) => Number(r.id));
    },

    async listJobs(query: JobListQuery): Promise<{ total: number; subtotal: number; results: Array<{ job: JobInvocationEntity; action: RemoteActionEntity }> }> {
      const base = jobs.createQueryBuilder('job').innerJoin(RemoteActionEntity, 'ra', 'ra.id = job.remote_action_id');
      const conditions: Array<[Sql | undefined, string]> = [[query.visibility, 'vis'], [query.scope, 'scope']];
      for (const [sql, prefix] of conditions) {
        if (!sql) continue;
        const cond = named(sql, prefix);
        base.andWhere(cond.sql, cond.params);
      }
      const total = await base.clone().getCount();
      const qb = base.clone();
      if (query.search) {
        const search = named(query.search, 'q');
        qb.andWhere(search.sql, search.params);
      }
      if (query.from) qb.andWhere(`${JOB_RUN_TIME} >= :from`, { from: dbDate(query.from) });
      if (query.to) qb.andWhere(`${JOB_RUN_TIME} <= :to`, { to: dbDate(query.to) });
      const filtered = query.search !== undefined || query.from !== undefined || query.to !== undefined;
      const subtotal = filtered ? await qb.clone().getCount() : total;
      const list = await qb.orderBy('job.id', 'DESC').skip((query.page - 1) * query.perPage).take(query.perPage).getMany();
      const byId = await actionsByIds([...new Set(list.map((j) => j.remoteActionId))]);
      return { total, subtotal, results: list.map((job) => ({ job, action: byId.get(job.remoteActionId)! })) };
    },

    /** Remote actions with their run counts; with `visibility`, only actions and runs of jobs it admits. */
    async listActions(page: number, perPage: number, search: { namespace?: string; action?: string; search?: Sql } = {}, visibility?: Sql): Promise<{ total: number; subtotal: number; results: Array<{ action: RemoteActionEntity; runCount: number; lastRunAt: Date | null }> }> {
      const qb = actions.createQueryBuilder('ra');
      const visible = visibility ? named(visibility, 'vis') : undefined;
      if (visible) qb.andWhere(`EXISTS (SELECT 1 FROM job_invocations job WHERE job.remote_action_id = ra.id AND ${visible.sql})`, visible.params);
      const total = await qb.clone().getCount();
      if (search.namespace) qb.andWhere('ra.namespace = :ns', { ns: search.namespace });
      if (search.action) qb.andWhere('ra.action = :ac', { ac: search.action });
      if (search.search) {
        const cond = named(search.search, 'q');
        qb.andWhere(cond.sql, cond.params);
      }
      const subtotal = search.namespace || search.action || search.search ? await qb.clone().getCount() : total;
      const list = await qb.orderBy('ra.id', 'DESC').skip((page - 1) * perPage).take(perPage).getMany();
      if (list.length === 0) return { total, subtotal, results: [] };
      const statsQuery = jobs.createQueryBuilder('job').innerJoin(RemoteActionEntity, 'ra', 'ra.id = job.remote_action_id').select('job.remote_action_id', 'id').addSelect('COUNT(*)', 'n').addSelect('MAX(job.created_at)', 'last')
        .where('job.remote_action_id IN (:...ids)', { ids: list.map((a) => a.id) });
      if (visible) statsQuery.andWhere(visible.sql, visible.params);
      const stats = (await statsQuery.groupBy('job.remote_action_id').getRawMany()) as Array<{ id: number; n: number | string; last: string | Date | null }>;
      const byId = new Map(stats.map((s) => [Number(s.id), s]));
      return {
        total,
        subtotal,
        results: list.map((action) => {
          const s = byId.get(action.id);
          const last = s?.last ? (s.last instanceof Date ? s.last : new Date(`${String(s.last).replace(' ', 'T')}Z`)) : null;
          return { action, runCount: s ? Number(s.n) : 0, lastRunAt: last };
        }),
      };
    },

    /** Jobs per state over the whole table (the /metrics gauge); uses idx_job_invocations_state. */
    async countByState(): Promise<Array<{ state: JobState; count: number }>> {
      const rows = await jobs.createQueryBuilder('job').select('job.state', 'state').addSelect('COUNT(*)', 'count').groupBy('job.state').getRawMany<{ state: JobState; count: string | number }>();
      return rows.map((r) => ({ state: r.state, count: Number(r.count) }));
    },
  };
}

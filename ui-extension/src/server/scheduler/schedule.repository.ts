import type { DataSource, EntityManager } from 'typeorm';
import type { JobState } from '@common/jobs';
import { managerOf, toTx, type Tx } from '../db-transaction';
import { dbDate } from '../jobs/job-invocation.repository';
import { RemoteActionEntity } from '../jobs/remote-action.entity';
import { ScheduleRunEntity, type ScheduleRunOutcome } from './schedule-run.entity';
import { ScheduleEntity } from './schedule.entity';

export type NewSchedule = Omit<ScheduleEntity, 'id'>;

export interface NewScheduleRun {
  scheduleId: number;
  occurrenceAt: Date;
  state: ScheduleRunOutcome;
  jobId: number | null;
  reason: string | null;
  instanceId: string;
  recordedAt: Date;
}

export interface StoredRun {
  run: ScheduleRunEntity;
  /** The state of the run's job now, when it has one. */
  jobState: JobState | null;
}

/** MariaDB: give up on a lock after this long instead of InnoDB's default 50 s (a request is waiting). */
const LOCK_WAIT_S = 10;

/** Dates from raw queries: a Date on MySQL (timezone Z), a UTC `YYYY-MM-DD HH:MM:SS.mmm` string on SQLite. */
export function fromDbDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  return new Date(`${String(value).replace(' ', 'T')}Z`);
}

/**
 * The only code that touches the schedule tables (STYLE.md §2). Claiming due schedules locks their
 * rows: MariaDB `SELECT ... FOR UPDATE SKIP LOCKED` (instances take disjoint rows), SQLite one writer
 * (see `transaction`).
 */
export function createScheduleRepository(dataSource: DataSource) {
  const isMysql = dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb';
  const schedules = dataSource.getRepository(ScheduleEntity);

  /** Runs with the state of their jobs now, in one query. */
  async function withJobStates(runs: ScheduleRunEntity[]): Promise<StoredRun[]> {
    const jobIds = runs.map((r) => r.jobId).filter((id): id is number => id !== null);
    const states = new Map<number, JobState>();
    if (jobIds.length > 0) {
      const rows = (await dataSource.query(`SELECT id, state FROM job_invocations WHERE id IN (${jobIds.map(() => '?').join(',')})`, jobIds)) as Array<{ id: number; state: JobState }>;
      for (const r of rows) states.set(Number(r.id), r.state);
    }
    return runs.map((run) => ({ run, jobState: run.jobId === null ? null : states.get(run.jobId) ?? null }));
  }

  return {
    isMysql,

    /**
     * Runs `fn` in one transaction. On MariaDB under READ COMMITTED, so claims lock only the rows
     * they read (no gap locks that would stall inserts of new schedules). On SQLite one writer at a
     * time: a transaction whose first write comes after another process committed fails
     * SQLITE_BUSY_SNAPSHOT and rolls back whole (the scheduler claims again), so a row it read is
     * never fired twice.
     */
    async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      if (isMysql) {
        return dataSource.transaction('READ COMMITTED', async (m) => {
          await m.query(`SET SESSION innodb_lock_wait_timeout = ${LOCK_WAIT_S}`);
          return fn(toTx(m));
        });
      }
      return dataSource.transaction(async (m) => fn(toTx(m)));
    },

    /** Locks up to `limit` enabled schedules due at `now`, earliest first; rows another instance holds are skipped. */
    async claimDue(tx: Tx, now: Date, limit: number): Promise<ScheduleEntity[]> {
      const qb = managerOf(tx).createQueryBuilder(ScheduleEntity, 's')
        .where('s.enabled = :enabled AND s.next_run_at <= :now', { enabled: true, now: dbDate(now) })
        .orderBy('s.next_run_at', 'ASC')
        .limit(limit);
      if (isMysql) qb.setLock('pessimistic_write').setOnLocked('skip_locked');
      return qb.getMany();
    },

    /** Locks one schedule for a change, waiting for a firing in progress to finish. */
    async lock(tx: Tx, id: number): Promise<ScheduleEntity | null> {
      const qb = managerOf(tx).createQueryBuilder(ScheduleEntity, 's').where('s.id = :id', { id });
      if (isMysql) qb.setLock('pessimistic_write');
      return qb.getOne();
    },

    async insert(tx: Tx, row: NewSchedule): Promise<number> {
      const result = await managerOf(tx).createQueryBuilder().insert().into(ScheduleEntity).values(row).execute();
      return Number(result.identifiers[0]?.id ?? result.raw?.insertId);
    },

    async update(tx: Tx, id: number, fields: Partial<ScheduleEntity>): Promise<void> {
      await managerOf(tx).createQueryBuilder().update(ScheduleEntity).set(fields).where('id = :id', { id }).execute();
    },

    /** Moves fired schedules on, all in one statement. */
    async updateAfterFiring(tx: Tx, rows: Array<{ id: number; iterations: number; nextRunAt: Date | null; nextJobId: number | null; lastRunAt: Date | null }>, now: Date): Promise<void> {
      if (rows.length === 0) return;
      const params: unknown[] = [];
      const caseOf = (column: string, pick: (r: (typeof rows)[number]) => unknown) => {
        const parts = rows.map((r) => {
          params.push(r.id, pick(r));
          return 'WHEN ? THEN ?';
        });
        return `${column} = CASE id ${parts.join(' ')} END`;
      };
      const sets = [
        caseOf('iterations', (r) => r.iterations),
        caseOf('next_run_at', (r) => (r.nextRunAt ? dbDate(r.nextRunAt) : null)),
        caseOf('next_job_id', (r) => r.nextJobId),
        caseOf('last_run_at', (r) => (r.lastRunAt ? dbDate(r.lastRunAt) : null)),
      ];
      params.push(dbDate(now), ...rows.map((r) => r.id));
      await managerOf(tx).query(`UPDATE schedules SET ${sets.join(', ')}, updated_at = ? WHERE id IN (${rows.map(() => '?').join(',')})`, params);
    },

    async remove(tx: Tx, id: number): Promise<void> {
      await managerOf(tx).createQueryBuilder().delete().from(ScheduleEntity).where('id = :id', { id }).execute();
    },

    /** One multi-row INSERT; the unique (schedule, occurrence) index refuses a second run of an occurrence. */
    async insertRuns(tx: Tx, runs: NewScheduleRun[]): Promise<void> {
      if (runs.length === 0) return;
      const m: EntityManager = managerOf(tx);
      for (let i = 0; i < runs.length; i += 500) {
        const chunk = runs.slice(i, i + 500);
        await m.query(
          `INSERT INTO schedule_runs (schedule_id, occurrence_at, state, job_id, reason, instance_id, recorded_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          chunk.flatMap((r) => [r.scheduleId, dbDate(r.occurrenceAt), r.state, r.jobId, r.reason, r.instanceId, dbDate(r.recordedAt)]),
        );
      }
    },

    findById: (id: number) => schedules.findOne({ where: { id } }),

    /** Schedules that may have an occurrence at or before `until`, for the calendar. */
    listUpcoming: (until: Date) =>
      schedules.createQueryBuilder('s').where('s.enabled = :enabled AND s.next_run_at IS NOT NULL AND s.next_run_at <= :until', { enabled: true, until: dbDate(until) }).orderBy('s.id', 'ASC').getMany(),

    /** Every schedule, oldest first (the definitions list narrows and pages them after the access check). */
    listAll: () => schedules.find({ order: { id: 'ASC' } }),

    /** The latest run of each schedule that has one, with its job's state now. */
    async lastRuns(scheduleIds: number[]): Promise<Map<number, StoredRun>> {
      if (scheduleIds.length === 0) return new Map();
      // The unique (schedule_id, occurrence_at) index answers both the grouped MAX and the join.
      const latest = (await dataSource.query(
        `SELECT r.id AS id FROM schedule_runs r JOIN (SELECT schedule_id AS sid, MAX(occurrence_at) AS latest FROM schedule_runs WHERE schedule_id IN (${scheduleIds.map(() => '?').join(',')}) GROUP BY schedule_id) x ON x.sid = r.schedule_id AND x.latest = r.occurrence_at`,
        scheduleIds,
      )) as Array<{ id: unknown }>;
      if (latest.length === 0) return new Map();
      const runs = await dataSource.getRepository(ScheduleRunEntity).createQueryBuilder('r').where('r.id IN (:...ids)', { ids: latest.map((r) => Number(r.id)) }).getMany();
      return new Map((await withJobStates(runs)).map((stored) => [stored.run.scheduleId, stored]));
    },

    /** The earliest next occurrence of any enabled schedule: when the scheduler should look next. */
    async nextDueAt(): Promise<Date | null> {
      const rows = (await dataSource.query('SELECT MIN(next_run_at) AS at FROM schedules WHERE enabled = 1')) as Array<{ at: unknown }>;
      return fromDbDate(rows[0]?.at);
    },

    /** The newest runs of a schedule with their jobs' states. */
    async recentRuns(scheduleId: number, limit: number): Promise<StoredRun[]> {
      const runs = await dataSource.getRepository(ScheduleRunEntity).createQueryBuilder('r').where('r.schedule_id = :scheduleId', { scheduleId })
        .orderBy('r.occurrence_at', 'DESC').limit(limit).getMany();
      return withJobStates(runs);
    },

    async actionsByIds(ids: number[]): Promise<Map<number, RemoteActionEntity>> {
      if (ids.length === 0) return new Map();
      const rows = await dataSource.getRepository(RemoteActionEntity).createQueryBuilder('ra').where('ra.id IN (:...ids)', { ids }).getMany();
      return new Map(rows.map((r) => [r.id, r]));
    },
  };
}

export type ScheduleRepository = ReturnType<typeof createScheduleRepository>;

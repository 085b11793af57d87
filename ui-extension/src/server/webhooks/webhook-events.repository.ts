import type { DataSource } from 'typeorm';
import { dbDate } from '../jobs/job-invocation.repository';

/**
 * The outbox's sources (webhook.repository.ts composes them): rows the job and scheduler code already
 * write in their own transactions (jobs created and ended, schedule runs), read back for each
 * webhook that listens for them and has no delivery of them yet. So no job or scheduler path calls
 * the webhooks, and a restart loses nothing.
 */

/** What every job event names: the webhook to tell, the job, its action and owner. */
interface JobEventBase {
  webhookId: number;
  jobId: number;
  state: string;
  namespace: string;
  action: string;
  description: string;
  owner: string;
  totalHosts: number;
}

/** A job that ended and a webhook that wants to hear of it, without a delivery yet. */
export interface EndedJob extends JobEventBase {
  counts: Record<'succeeded' | 'failed' | 'no_response' | 'skipped' | 'cancelled' | 'pending' | 'running', number>;
  startedAt: Date | null;
  finishedAt: Date;
}

/** A job made after a webhook that listens for `job_created` was, without a delivery yet. */
export interface CreatedJob extends JobEventBase {
  parentId: number | null;
  scheduleId: number | null;
  scheduledAt: Date | null;
  createdAt: Date;
}

/** A schedule run (fired, no_hosts, refused or failed) recorded after a webhook that listens for it was made, without a delivery yet. */
export interface FiredOccurrence {
  webhookId: number;
  runId: number;
  scheduleId: number;
  namespace: string;
  action: string;
  description: string;
  owner: string;
  occurrenceAt: Date;
  outcome: string;
  reason: string | null;
  jobId: number | null;
  recordedAt: Date;
}

export type Raw = Record<string, unknown>;

export const date = (v: unknown): Date => (v instanceof Date ? v : new Date(`${String(v).replace(' ', 'T')}Z`));
export const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The columns of JobEventBase as the queries below select them (webhook_id, job_id, ra.namespace, ...). */
const jobEventBase = (r: Raw): JobEventBase => ({
  webhookId: Number(r.webhook_id),
  jobId: Number(r.job_id),
  state: String(r.state),
  namespace: String(r.namespace),
  action: String(r.action),
  description: String(r.description ?? ''),
  owner: String(r.owner),
  totalHosts: Number(r.total_hosts),
});

export function createWebhookEventQueries(dataSource: DataSource) {
  const mysql = dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb';
  const q = (sql: string, params: unknown[] = []) => dataSource.query(sql, params) as Promise<Raw[]>;
  /** The webhook `w` lists `event` (a constant of ours, never user input) in its comma-separated events. */
  const listens = (event: string) => (mysql ? `CONCAT(',', w.events, ',') LIKE '%,${event},%'` : `(',' || w.events || ',') LIKE '%,${event},%'`);

  return {
    /**
     * Jobs that ended after a webhook was made (within `since`), in a state it listens for
     * (`job_<state>`), without a delivery for it yet: the outbox's source. The jobs table itself is
     * the record of "a job ended", so nothing in the job code has to call the webhooks.
     */
    async endedJobsWithoutDelivery(since: Date, limit: number): Promise<EndedJob[]> {
      const wanted = mysql ? "CONCAT(',', w.events, ',') LIKE CONCAT('%,job_', j.state, ',%')" : "(',' || w.events || ',') LIKE ('%,job_' || j.state || ',%')";
      const rows = await q(
        `SELECT w.id AS webhook_id, j.id AS job_id, j.state, ra.namespace, ra.action, j.description, j.owner, j.total_hosts,
                j.count_succeeded, j.count_failed, j.count_no_response, j.count_skipped, j.count_cancelled, j.count_pending, j.count_running,
                j.started_at, j.finished_at
           FROM webhooks w
           JOIN job_invocations j ON j.finished_at IS NOT NULL AND j.finished_at >= w.created_at AND j.finished_at >= ?
           JOIN remote_actions ra ON ra.id = j.remote_action_id
          WHERE w.enabled = ? AND j.state IN ('succeeded', 'failed', 'cancelled') AND ${wanted}
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.job_invocation_id = j.id AND d.schedule_run_id = 0 AND d.event = ${mysql ? "CONCAT('job_', j.state)" : "('job_' || j.state)"})
          ORDER BY j.finished_at, j.id
          LIMIT ${Number(limit)}`,
        [dbDate(since), 1],
      );
      return rows.map((r) => ({
        ...jobEventBase(r),
        counts: {
          succeeded: Number(r.count_succeeded),
          failed: Number(r.count_failed),
          no_response: Number(r.count_no_response),
          skipped: Number(r.count_skipped),
          cancelled: Number(r.count_cancelled),
          pending: Number(r.count_pending),
          running: Number(r.count_running),
        },
        startedAt: dateOrNull(r.started_at),
        finishedAt: date(r.finished_at),
      }));
    },

    /**
     * Jobs made after a webhook listening for `job_created` was (within `since`), without a
     * `job_created` delivery for it yet: the jobs table is the record of "a job was created", in the
     * transaction that made it, so no creation path has to call the webhooks.
     */
    async createdJobsWithoutDelivery(since: Date, limit: number): Promise<CreatedJob[]> {
      const rows = await q(
        `SELECT w.id AS webhook_id, j.id AS job_id, j.state, ra.namespace, ra.action, j.description, j.owner, j.total_hosts, j.parent_id, j.schedule_id, j.scheduled_at, j.created_at
           FROM webhooks w
           JOIN job_invocations j ON j.created_at >= w.created_at AND j.created_at >= ?
           JOIN remote_actions ra ON ra.id = j.remote_action_id
          WHERE w.enabled = ? AND ${listens('job_created')}
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.job_invocation_id = j.id AND d.schedule_run_id = 0 AND d.event = 'job_created')
          ORDER BY j.created_at, j.id
          LIMIT ${Number(limit)}`,
        [dbDate(since), 1],
      );
      return rows.map((r) => ({
        ...jobEventBase(r),
        parentId: numOrNull(r.parent_id),
        scheduleId: numOrNull(r.schedule_id),
        scheduledAt: dateOrNull(r.scheduled_at),
        createdAt: date(r.created_at),
      }));
    },

    /**
     * Schedule runs that fired, found no hosts, were refused or failed, recorded after a webhook
     * listening for `schedule_occurrence_fired` was made (within `since`), without a delivery yet.
     * The run row is stored in the firing's own transaction; missed and cancelled occurrences did not fire.
     */
    async firedOccurrencesWithoutDelivery(since: Date, limit: number): Promise<FiredOccurrence[]> {
      const rows = await q(
        `SELECT w.id AS webhook_id, r.id AS run_id, r.schedule_id, ra.namespace, ra.action, s.description, s.owner, r.occurrence_at, r.state, r.reason, r.job_id, r.recorded_at
           FROM webhooks w
           JOIN schedule_runs r ON r.recorded_at >= w.created_at AND r.recorded_at >= ?
           JOIN schedules s ON s.id = r.schedule_id
           JOIN remote_actions ra ON ra.id = s.remote_action_id
          WHERE w.enabled = ? AND r.state IN ('fired', 'no_hosts', 'refused', 'failed') AND ${listens('schedule_occurrence_fired')}
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.job_invocation_id = COALESCE(r.job_id, 0) AND d.schedule_run_id = r.id AND d.event = 'schedule_occurrence_fired')
          ORDER BY r.recorded_at, r.id
          LIMIT ${Number(limit)}`,
        [dbDate(since), 1],
      );
      return rows.map((r) => ({
        webhookId: Number(r.webhook_id),
        runId: Number(r.run_id),
        scheduleId: Number(r.schedule_id),
        namespace: String(r.namespace),
        action: String(r.action),
        description: String(r.description ?? ''),
        owner: String(r.owner),
        occurrenceAt: date(r.occurrence_at),
        outcome: String(r.state),
        reason: (r.reason as string | null) ?? null,
        jobId: numOrNull(r.job_id),
        recordedAt: date(r.recorded_at),
      }));
    },
  };
}

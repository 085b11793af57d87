import type { DataSource } from 'typeorm';
import { dbDate } from '../jobs/job-invocation.repository';

export interface WebhookRow {
  id: number;
  name: string;
  url: string;
  secret: string;
  events: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryRow {
  id: number;
  webhookId: number;
  deliveryUuid: string;
  event: string;
  /** 0 when the delivery reports no job (an occurrence that made none). */
  jobId: number;
  /** The schedule run it reports; 0 for job events. */
  scheduleRunId: number;
  payload: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

/** A job that ended and a webhook that wants to hear of it, without a delivery yet. */
export interface EndedJob {
  webhookId: number;
  jobId: number;
  state: string;
  namespace: string;
  action: string;
  description: string;
  owner: string;
  totalHosts: number;
  counts: Record<'succeeded' | 'failed' | 'no_response' | 'skipped' | 'cancelled' | 'pending' | 'running', number>;
  startedAt: Date | null;
  finishedAt: Date;
}

/** A job made after a webhook that listens for `job_created` was, without a delivery yet. */
export interface CreatedJob {
  webhookId: number;
  jobId: number;
  state: string;
  namespace: string;
  action: string;
  description: string;
  owner: string;
  totalHosts: number;
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

type Raw = Record<string, unknown>;

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(`${String(v).replace(' ', 'T')}Z`));
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toWebhook(r: Raw): WebhookRow {
  return {
    id: Number(r.id),
    name: String(r.name),
    url: String(r.url),
    secret: String(r.secret),
    events: String(r.events).split(',').filter(Boolean),
    enabled: r.enabled === true || Number(r.enabled) === 1,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

function toDelivery(r: Raw): DeliveryRow {
  return {
    id: Number(r.id),
    webhookId: Number(r.webhook_id),
    deliveryUuid: String(r.delivery_uuid),
    event: String(r.event),
    jobId: Number(r.job_invocation_id),
    scheduleRunId: Number(r.schedule_run_id ?? 0),
    payload: String(r.payload),
    state: String(r.state) as DeliveryState,
    attempts: Number(r.attempts),
    nextAttemptAt: date(r.next_attempt_at),
    lastStatusCode: r.last_status_code === null || r.last_status_code === undefined ? null : Number(r.last_status_code),
    lastError: (r.last_error as string | null) ?? null,
    lastAttemptAt: dateOrNull(r.last_attempt_at),
    deliveredAt: dateOrNull(r.delivered_at),
    createdAt: date(r.created_at),
  };
}

/** The webhooks and their deliveries (tables of migrations/1765819000000-CreateWebhooks.ts). */
export function createWebhookRepository(dataSource: DataSource) {
  const mysql = dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb';
  const q = (sql: string, params: unknown[] = []) => dataSource.query(sql, params) as Promise<Raw[]>;
  /** The webhook `w` lists `event` (a constant of ours, never user input) in its comma-separated events. */
  const listens = (event: string) => (mysql ? `CONCAT(',', w.events, ',') LIKE '%,${event},%'` : `(',' || w.events || ',') LIKE '%,${event},%'`);

  return {
    async list(): Promise<WebhookRow[]> {
      return (await q('SELECT * FROM webhooks ORDER BY name')).map(toWebhook);
    },

    async get(id: number): Promise<WebhookRow | undefined> {
      const rows = await q('SELECT * FROM webhooks WHERE id = ?', [id]);
      return rows[0] ? toWebhook(rows[0]) : undefined;
    },

    async byName(name: string): Promise<WebhookRow | undefined> {
      const rows = await q('SELECT * FROM webhooks WHERE name = ?', [name]);
      return rows[0] ? toWebhook(rows[0]) : undefined;
    },

    async create(w: { name: string; url: string; secret: string; events: string[]; enabled: boolean; now: Date }): Promise<number> {
      await q('INSERT INTO webhooks (name, url, secret, events, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [w.name, w.url, w.secret, w.events.join(','), w.enabled ? 1 : 0, dbDate(w.now), dbDate(w.now)]);
      return (await this.byName(w.name))!.id;
    },

    async update(id: number, w: Partial<{ name: string; url: string; secret: string; events: string[]; enabled: boolean }>, now: Date): Promise<void> {
      const sets: string[] = ['updated_at = ?'];
      const params: unknown[] = [dbDate(now)];
      for (const [key, value] of Object.entries(w)) {
        if (value === undefined) continue;
        sets.push(`${key} = ?`);
        // better-sqlite3 binds no booleans: 1 and 0, as MySQL stores them.
        params.push(key === 'events' ? (value as string[]).join(',') : typeof value === 'boolean' ? Number(value) : value);
      }
      await q(`UPDATE webhooks SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
    },

    async remove(id: number): Promise<void> {
      // Deliveries go with it (ON DELETE CASCADE; SQLite enforces it only with foreign_keys on, so explicitly too).
      await q('DELETE FROM webhook_deliveries WHERE webhook_id = ?', [id]);
      await q('DELETE FROM webhooks WHERE id = ?', [id]);
    },

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
        webhookId: Number(r.webhook_id),
        jobId: Number(r.job_id),
        state: String(r.state),
        namespace: String(r.namespace),
        action: String(r.action),
        description: String(r.description ?? ''),
        owner: String(r.owner),
        totalHosts: Number(r.total_hosts),
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
        webhookId: Number(r.webhook_id),
        jobId: Number(r.job_id),
        state: String(r.state),
        namespace: String(r.namespace),
        action: String(r.action),
        description: String(r.description ?? ''),
        owner: String(r.owner),
        totalHosts: Number(r.total_hosts),
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

    /** Stores a delivery before any attempt; a second one for the same webhook, job, schedule run and event is ignored. */
    async enqueue(d: { webhookId: number; deliveryUuid: string; event: string; jobId: number | null; scheduleRunId?: number; payload: string; now: Date }): Promise<void> {
      await q(
        `INSERT ${mysql ? 'IGNORE' : 'OR IGNORE'} INTO webhook_deliveries (webhook_id, delivery_uuid, event, job_invocation_id, schedule_run_id, payload, state, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
        [d.webhookId, d.deliveryUuid, d.event, d.jobId ?? 0, d.scheduleRunId ?? 0, d.payload, dbDate(d.now), dbDate(d.now)],
      );
    },

    /**
     * Claims due deliveries: each is pushed to `leaseUntil` by a conditional UPDATE, which only one
     * instance wins; a claimer that dies mid-send lets the lease run out and another one sends again
     * (at least once: receivers deduplicate by the delivery id).
     */
    async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<DeliveryRow[]> {
      const due = await q(`SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ${Number(limit)}`, [dbDate(now)]);
      const claimed: DeliveryRow[] = [];
      for (const { id } of due) {
        const result = await dataSource.createQueryBuilder().update('webhook_deliveries').set({ next_attempt_at: dbDate(leaseUntil) })
          .where("id = :id AND state = 'pending' AND next_attempt_at <= :now", { id: Number(id), now: dbDate(now) }).execute();
        if (result.affected === 1) {
          const rows = await q('SELECT * FROM webhook_deliveries WHERE id = ?', [Number(id)]);
          if (rows[0]) claimed.push(toDelivery(rows[0]));
        }
      }
      return claimed;
    },

    async recordAttempt(id: number, a: { state: DeliveryState; attempts: number; statusCode: number | null; error: string | null; at: Date; nextAttemptAt: Date }): Promise<void> {
      await q('UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status_code = ?, last_error = ?, last_attempt_at = ?, next_attempt_at = ?, delivered_at = ? WHERE id = ?', [
        a.state, a.attempts, a.statusCode, a.error, dbDate(a.at), dbDate(a.nextAttemptAt), a.state === 'delivered' ? dbDate(a.at) : null, id,
      ]);
    },

    async deliveries(webhookId: number, page: number, perPage: number): Promise<{ total: number; results: DeliveryRow[] }> {
      const total = Number((await q('SELECT COUNT(*) AS n FROM webhook_deliveries WHERE webhook_id = ?', [webhookId]))[0].n);
      const rows = await q(`SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ${Number(perPage)} OFFSET ${Number((page - 1) * perPage)}`, [webhookId]);
      return { total, results: rows.map(toDelivery) };
    },
  };
}

export type WebhookRepository = ReturnType<typeof createWebhookRepository>;

import type { DataSource } from 'typeorm';
import { dbDate } from '../jobs/job-invocation.repository';
import { createWebhookEventQueries, date, dateOrNull, type Raw } from './webhook-events.repository';

export type { CreatedJob, EndedJob, FiredOccurrence } from './webhook-events.repository';

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

    ...createWebhookEventQueries(dataSource),

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

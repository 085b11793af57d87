import { randomUUID } from 'node:crypto';
import type { FIRED_OCCURRENCE_OUTCOMES, JobCreatedPayload, ScheduleOccurrencePayload, WebhookPayload } from '@common/webhooks';
import type { Logger } from '../logger';
import { webhookSignature, type SendWebhook } from './webhook.client';
import type { DeliveryRow, WebhookRepository } from './webhook.repository';

export interface WebhookDispatcherDeps {
  repo: WebhookRepository;
  send: SendWebhook;
  clock: () => Date;
  logger: Logger;
  config: { poll_interval_ms: number; timeout_ms: number; max_attempts: number; retry_base_ms: number };
}

/** How far back a tick looks for ended jobs: an instance down longer than this announces none of them. */
const LOOKBACK_MS = 7 * 86_400_000;
const BATCH = 100;
const MAX_BACKOFF_MS = 3_600_000;

/** Wait before attempt `attempts + 1`: the base, doubled per failed attempt, at most an hour. */
export function retryDelayMs(baseMs: number, attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * The webhook outbox, apart from the job code so it never slows or fails a job or the scheduler: each
 * tick stores a delivery for every created job, fired schedule occurrence and ended job a webhook
 * listens for (the jobs and schedule_runs tables, written in the transactions that made them, say
 * which), then claims
 * the due deliveries and POSTs them, signed. A failed attempt (no answer, not 2xx) is retried with
 * backoff; everything it needs is in the database, so a restart picks up where it was.
 */
export function createWebhookDispatcher(deps: WebhookDispatcherDeps) {
  const { repo, clock, logger, config } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  async function enqueueEnded(): Promise<number> {
    const now = clock();
    const ended = await repo.endedJobsWithoutDelivery(new Date(now.getTime() - LOOKBACK_MS), BATCH);
    for (const e of ended) {
      const deliveryId = randomUUID();
      const payload: WebhookPayload = {
        event: `job_${e.state}` as WebhookPayload['event'],
        delivery_id: deliveryId,
        created_at: now.toISOString(),
        job: { id: e.jobId, state: e.state, namespace: e.namespace, action: e.action, description: e.description, owner: e.owner, total_hosts: e.totalHosts, counts: e.counts, started_at: e.startedAt?.toISOString() ?? null, finished_at: e.finishedAt.toISOString() },
      };
      await repo.enqueue({ webhookId: e.webhookId, deliveryUuid: deliveryId, event: payload.event, jobId: e.jobId, payload: JSON.stringify(payload), now });
    }
    return ended.length;
  }

  async function enqueueCreated(): Promise<number> {
    const now = clock();
    const created = await repo.createdJobsWithoutDelivery(new Date(now.getTime() - LOOKBACK_MS), BATCH);
    for (const c of created) {
      const deliveryId = randomUUID();
      const payload: JobCreatedPayload = {
        event: 'job_created',
        delivery_id: deliveryId,
        created_at: now.toISOString(),
        job: {
          id: c.jobId, state: c.state, namespace: c.namespace, action: c.action, description: c.description, owner: c.owner, total_hosts: c.totalHosts,
          parent_id: c.parentId, schedule_id: c.scheduleId, scheduled_at: c.scheduledAt?.toISOString() ?? null, created_at: c.createdAt.toISOString(),
        },
      };
      await repo.enqueue({ webhookId: c.webhookId, deliveryUuid: deliveryId, event: payload.event, jobId: c.jobId, payload: JSON.stringify(payload), now });
    }
    return created.length;
  }

  async function enqueueOccurrences(): Promise<number> {
    const now = clock();
    const fired = await repo.firedOccurrencesWithoutDelivery(new Date(now.getTime() - LOOKBACK_MS), BATCH);
    for (const o of fired) {
      const deliveryId = randomUUID();
      const payload: ScheduleOccurrencePayload = {
        event: 'schedule_occurrence_fired',
        delivery_id: deliveryId,
        created_at: now.toISOString(),
        occurrence: {
          schedule_run_id: o.runId, schedule_id: o.scheduleId, namespace: o.namespace, action: o.action, description: o.description, owner: o.owner,
          occurrence_at: o.occurrenceAt.toISOString(), outcome: o.outcome as (typeof FIRED_OCCURRENCE_OUTCOMES)[number], reason: o.reason, job_id: o.jobId, recorded_at: o.recordedAt.toISOString(),
        },
      };
      await repo.enqueue({ webhookId: o.webhookId, deliveryUuid: deliveryId, event: payload.event, jobId: o.jobId, scheduleRunId: o.runId, payload: JSON.stringify(payload), now });
    }
    return fired.length;
  }

  async function attempt(d: DeliveryRow): Promise<void> {
    const webhook = await repo.get(d.webhookId);
    if (!webhook) return;
    const result = await deps.send({
      url: webhook.url,
      body: d.payload,
      timeoutMs: config.timeout_ms,
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'mco-rex-webhooks', 'X-Rex-Event': d.event, 'X-Rex-Delivery': d.deliveryUuid, 'X-Rex-Signature': webhookSignature(webhook.secret, d.payload) },
    });
    const at = clock();
    const attempts = d.attempts + 1;
    const delivered = result.status !== null && result.status >= 200 && result.status < 300;
    const state = delivered ? 'delivered' : attempts >= config.max_attempts ? 'failed' : 'pending';
    await repo.recordAttempt(d.id, { state, attempts, statusCode: result.status, error: result.error, at, nextAttemptAt: new Date(at.getTime() + (state === 'pending' ? retryDelayMs(config.retry_base_ms, attempts) : 0)) });
    const fields = { webhook: webhook.name, event: d.event, deliveryId: d.deliveryUuid, jobId: d.jobId || null, attempts, status: result.status, error: result.error };
    if (state === 'failed') logger.error(fields, 'webhook delivery failed for good');
    else if (state === 'pending') logger.warn(fields, 'webhook delivery failed; will retry');
    else logger.info(fields, 'webhook delivered');
  }

  /** One round: announce created jobs, fired occurrences and ended jobs, then send what is due. Exported for tests and for `start`. */
  async function tick(): Promise<void> {
    // More than one batch waiting: take the next. Creations first, so a job's creation is stored before its end.
    while ((await enqueueCreated()) === BATCH) { /* next batch */ }
    while ((await enqueueOccurrences()) === BATCH) { /* next batch */ }
    while ((await enqueueEnded()) === BATCH) { /* next batch */ }
    const now = clock();
    // The claim outlives the attempt's deadline: no other instance sends it while this one waits.
    const due = await repo.claimDue(now, new Date(now.getTime() + config.timeout_ms + 30_000), BATCH);
    await Promise.all(due.map((d) => attempt(d).catch((error: unknown) => logger.error({ err: error, deliveryId: d.deliveryUuid }, 'webhook attempt could not be recorded'))));
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .catch((error: unknown) => logger.warn({ err: error }, 'webhook round failed'))
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, config.poll_interval_ms);
    timer.unref();
  }

  return {
    tick,
    start(): void {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    /** Looks at once (a webhook changed). */
    wake(): void {
      if (stopped || running) return;
      if (timer) clearTimeout(timer);
      running = tick()
        .catch((error: unknown) => logger.warn({ err: error }, 'webhook round failed'))
        .finally(() => {
          running = undefined;
          schedule();
        });
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;

/** Events a webhook may listen for: a job ended in that state. A webhook made without `events` hears these. */
export const JOB_END_EVENTS = ['job_succeeded', 'job_failed', 'job_cancelled'] as const;
/**
 * Every event a webhook may listen for: a job ended, a job was created (immediate, replay, template
 * run or a schedule's job), or a schedule occurrence fired (whatever its outcome).
 */
export const WEBHOOK_EVENTS = [...JOB_END_EVENTS, 'job_created', 'schedule_occurrence_fired'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Outcomes of an occurrence that `schedule_occurrence_fired` reports (missed and cancelled ones are not fired). */
export const FIRED_OCCURRENCE_OUTCOMES = ['fired', 'no_hosts', 'refused', 'failed'] as const;

/** A webhook as the API shows it: its secret is never sent back. */
export interface WebhookDto {
  id: number;
  name: string;
  url: string;
  events: WebhookEvent[];
  enabled: boolean;
  secret_set: boolean;
  created_at: string;
  updated_at: string;
}

/** One delivery in a webhook's log. */
export interface WebhookDeliveryDto {
  id: number;
  delivery_id: string;
  event: string;
  /** The job the delivery reports; null for an occurrence that made no job. */
  job_id: number | null;
  /** The schedule run (`schedule_occurrence_fired` only). */
  schedule_run_id: number | null;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

/** The JSON body of a job-end delivery (signed as a whole: `X-Rex-Signature: sha256=<hex HMAC of the body>`). */
export interface WebhookPayload {
  event: (typeof JOB_END_EVENTS)[number];
  delivery_id: string;
  created_at: string;
  job: {
    id: number;
    state: string;
    namespace: string;
    action: string;
    description: string;
    owner: string;
    total_hosts: number;
    counts: Record<string, number>;
    started_at: string | null;
    finished_at: string;
  };
}

/** The body of a `job_created` delivery: the job as it was made (its hosts not run yet). */
export interface JobCreatedPayload {
  event: 'job_created';
  delivery_id: string;
  created_at: string;
  job: {
    id: number;
    state: string;
    namespace: string;
    action: string;
    description: string;
    owner: string;
    total_hosts: number;
    /** The job it replays, if any. */
    parent_id: number | null;
    /** The schedule that made it, if any, and the occurrence it is for. */
    schedule_id: number | null;
    scheduled_at: string | null;
    created_at: string;
  };
}

/** The body of a `schedule_occurrence_fired` delivery. */
export interface ScheduleOccurrencePayload {
  event: 'schedule_occurrence_fired';
  delivery_id: string;
  created_at: string;
  occurrence: {
    schedule_run_id: number;
    schedule_id: number;
    namespace: string;
    action: string;
    description: string;
    owner: string;
    occurrence_at: string;
    outcome: (typeof FIRED_OCCURRENCE_OUTCOMES)[number];
    reason: string | null;
    /** The job it queued; null unless the outcome is `fired`. */
    job_id: number | null;
    recorded_at: string;
  };
}

export type AnyWebhookPayload = WebhookPayload | JobCreatedPayload | ScheduleOccurrencePayload;

/** Events a webhook may listen for: a job ended in that state. */
export const WEBHOOK_EVENTS = ['job_succeeded', 'job_failed', 'job_cancelled'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

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
  job_id: number;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

/** The JSON body of a delivery (signed as a whole: `X-Rex-Signature: sha256=<hex HMAC of the body>`). */
export interface WebhookPayload {
  event: WebhookEvent;
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

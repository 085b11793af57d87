import type { WebhookDeliveryDto, WebhookDto, WebhookEvent } from '@common/webhooks';
import { api, type ListEnvelope } from '../shared/http';

/** What the webhook form sends (`POST`/`PUT /webhooks` wrap it as `{ webhook }`); a change sends only what changed. */
export interface WebhookFields {
  name?: string;
  url?: string;
  secret?: string;
  events?: WebhookEvent[];
  enabled?: boolean;
}

export const listWebhooks = () => api<ListEnvelope<WebhookDto>>('GET', '/webhooks');
export const createWebhook = (webhook: WebhookFields) => api<WebhookDto>('POST', '/webhooks', { body: { webhook } });
export const updateWebhook = (id: number, webhook: WebhookFields) => api<WebhookDto>('PUT', `/webhooks/${id}`, { body: { webhook } });
export const deleteWebhook = (id: number) => api<WebhookDto>('DELETE', `/webhooks/${id}`);
export const listDeliveries = (id: number) => api<ListEnvelope<WebhookDeliveryDto>>('GET', `/webhooks/${id}/deliveries`, { query: { page: 1, per_page: 20 } });

import { Router } from 'express';
import { z } from 'zod';
import { WEBHOOK_EVENTS } from '@common/webhooks';
import { isLinkLocalAddress } from '../../webhooks/webhook-address';
import type { WebhookService } from '../../webhooks/webhook.service';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { decimalId, listEnvelope, pageSchema, parseInput, type ListQuery } from '../validate';
import { listOf, webhookDeliverySchema, webhookSchema } from '../response-schemas';

const url = z.string().max(2048, 'must be at most 2048 characters').superRefine((u, ctx) => {
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an http:// or https:// URL' });
    return;
  }
  if (!(parsed.protocol === 'http:' || parsed.protocol === 'https:') || parsed.hostname === '') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an http:// or https:// URL' });
  } else if (parsed.username !== '' || parsed.password !== '') {
    // It would be shown in the list and the audit: a receiver authenticates the sender by the signature.
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must not carry credentials (user:password@); the secret signs each delivery' });
  } else if (isLinkLocalAddress(parsed.hostname)) {
    // The URL parser has normalised other spellings (`http://2852039166/` is 169.254.169.254). A name is
    // allowed: what it resolves to can change, so the delivery checks each address when it connects.
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must not name a link-local or cloud metadata address (169.254.0.0/16, fe80::/10, fd00:ec2::254)' });
  }
});
const fields = {
  name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
  url,
  secret: z.string().min(16, 'must be at least 16 characters').max(255, 'must be at most 255 characters'),
  events: z.array(z.enum(WEBHOOK_EVENTS, { errorMap: () => ({ message: `must be among ${WEBHOOK_EVENTS.join(', ')}` }) })).min(1, 'must name at least one event').max(WEBHOOK_EVENTS.length).optional(),
  enabled: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
};
const createBody = z.object({ webhook: z.object(fields).strict() }).strict();
const updateBody = z.object({ webhook: z.object(fields).partial().strict() }).strict();
const pageQuery = z.object({
  page: pageSchema,
  per_page: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(20),
});

export const webhookRouteSpecs = defineRoutes({
  list: { method: 'get', path: '/webhooks', response: listOf(webhookSchema), tag: 'webhooks', summary: 'Webhooks told when a job is created or ends, or a schedule occurrence fires (administrators)', permission: 'admin' },
  create: { method: 'post', path: '/webhooks', response: webhookSchema, tag: 'webhooks', summary: 'Add a webhook: URL, secret (HMAC-SHA256 of each body), events', permission: 'admin', body: createBody, status: 201 },
  show: { method: 'get', path: '/webhooks/:id', response: webhookSchema, tag: 'webhooks', summary: 'A webhook (its secret is never shown)', permission: 'admin', params: { id: decimalId } },
  update: { method: 'put', path: '/webhooks/:id', response: webhookSchema, tag: 'webhooks', summary: 'Change a webhook\'s name, URL, secret, events or enabled flag', permission: 'admin', params: { id: decimalId }, body: updateBody },
  destroy: { method: 'delete', path: '/webhooks/:id', response: webhookSchema, tag: 'webhooks', summary: 'Delete a webhook and its delivery log', permission: 'admin', params: { id: decimalId } },
  deliveries: { method: 'get', path: '/webhooks/:id/deliveries', response: listOf(webhookDeliverySchema), tag: 'webhooks', summary: 'A webhook\'s deliveries, newest first: state, attempts, last status code and error', permission: 'admin', params: { id: decimalId }, query: pageQuery },
});

/** `/api/v2/webhooks`: administrators manage the endpoints told when jobs are created or end and schedule occurrences fire, and read their deliveries. */
export function createWebhookRoutes(webhooks: WebhookService): Router {
  const router = Router();
  const s = webhookRouteSpecs;
  mount(router, s.list, async (req, res) => {
    const page = await webhooks.list(currentUser(req));
    // The few webhooks come on one page.
    const all: ListQuery = { search: '', page: 1, per_page: Math.max(page.total, 1) };
    res.json(listEnvelope(all, page, { by: 'name', order: 'asc' }));
  });
  mount(router, s.create, async (req, res) => {
    const body = parseInput(s.create.body, req.body, 'body');
    const created = await webhooks.create(currentUser(req), body.webhook);
    res.status(201).location(`/api/v2/webhooks/${created.id}`).json(created);
  });
  mount(router, s.show, async (req, res) => {
    res.json(await webhooks.get(currentUser(req), parseInput(s.show.params.id, req.params.id, 'id')));
  });
  mount(router, s.update, async (req, res) => {
    const id = parseInput(s.update.params.id, req.params.id, 'id');
    const body = parseInput(s.update.body, req.body, 'body');
    res.json(await webhooks.update(currentUser(req), id, body.webhook));
  });
  mount(router, s.destroy, async (req, res) => {
    res.json(await webhooks.remove(currentUser(req), parseInput(s.destroy.params.id, req.params.id, 'id')));
  });
  mount(router, s.deliveries, async (req, res) => {
    const id = parseInput(s.deliveries.params.id, req.params.id, 'id');
    const query = parseInput(s.deliveries.query, req.query, 'query');
    const page = await webhooks.deliveries(currentUser(req), id, query.page, query.per_page);
    const list: ListQuery = { search: '', page: query.page, per_page: query.per_page };
    res.json(listEnvelope(list, page, { by: 'id', order: 'desc' }));
  });
  return router;
}

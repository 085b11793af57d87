import type { WebhookDeliveryDto, WebhookDto, WebhookEvent } from '@common/webhooks';
import { JOB_END_EVENTS } from '@common/webhooks';
import type { CurrentUser } from '../auth/abilities';
import { auditContext, type AuditEntry } from '../audit/audit.service';
import { AppError } from '../errors';
import type { DeliveryRow, WebhookRepository, WebhookRow } from './webhook.repository';

export interface WebhookInput {
  name: string;
  url: string;
  secret: string;
  events?: WebhookEvent[];
  enabled?: boolean;
}

export interface WebhookServiceDeps {
  repo: WebhookRepository;
  audit: { record(entry: AuditEntry): Promise<void> };
  clock: () => Date;
  /** Called after a change, so the dispatcher looks at once. */
  onChange?: () => void;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toDto(w: WebhookRow): WebhookDto {
  return { id: w.id, name: w.name, url: w.url, events: w.events as WebhookEvent[], enabled: w.enabled, secret_set: w.secret !== '', created_at: w.createdAt.toISOString(), updated_at: w.updatedAt.toISOString() };
}

function toDeliveryDto(d: DeliveryRow): WebhookDeliveryDto {
  return {
    id: d.id,
    delivery_id: d.deliveryUuid,
    event: d.event,
    job_id: d.jobId === 0 ? null : d.jobId,
    schedule_run_id: d.scheduleRunId === 0 ? null : d.scheduleRunId,
    state: d.state,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    last_attempt_at: iso(d.lastAttemptAt),
    next_attempt_at: d.state === 'pending' ? d.nextAttemptAt.toISOString() : null,
    delivered_at: iso(d.deliveredAt),
    created_at: d.createdAt.toISOString(),
  };
}

/**
 * Webhooks are the administrators' (a webhook sees every job's end, whoever may see the job): each
 * call checks the admin flag. The secret is written, never read back; the audit masks it.
 */
export function createWebhookService(deps: WebhookServiceDeps) {
  const { repo } = deps;

  function requireAdmin(user: CurrentUser, doing: string): void {
    if (!user.admin) throw new AppError('PERMISSION_DENIED', `access denied: only administrators may ${doing}`, { details: { missing_permissions: ['admin'] } });
  }

  async function load(id: number): Promise<WebhookRow> {
    const w = await repo.get(id);
    if (!w) throw new AppError('NOT_FOUND', `webhook ${id} not found`);
    return w;
  }

  async function audit(user: CurrentUser, action: string, w: WebhookRow, changes: Record<string, unknown>): Promise<void> {
    await deps.audit.record({ user, action, object: { type: 'Webhook', id: w.id, name: w.name }, changes, ...auditContext(user) });
  }

  return {
    async list(user: CurrentUser): Promise<{ total: number; subtotal: number; results: WebhookDto[] }> {
      requireAdmin(user, 'list webhooks');
      const all = (await repo.list()).map(toDto);
      return { total: all.length, subtotal: all.length, results: all };
    },

    async get(user: CurrentUser, id: number): Promise<WebhookDto> {
      requireAdmin(user, 'read webhooks');
      return toDto(await load(id));
    },

    async create(user: CurrentUser, input: WebhookInput): Promise<WebhookDto> {
      requireAdmin(user, 'create webhooks');
      if (await repo.byName(input.name)) throw new AppError('ALREADY_EXISTS', `webhook.name: a webhook named '${input.name}' exists`, { details: { fields: [{ field: 'webhook.name', rule: 'unique' }] } });
      const events = input.events ?? [...JOB_END_EVENTS];
      const id = await repo.create({ name: input.name, url: input.url, secret: input.secret, events, enabled: input.enabled ?? true, now: deps.clock() });
      const w = await load(id);
      await audit(user, 'create', w, { name: w.name, url: w.url, events, enabled: w.enabled, secret: input.secret });
      deps.onChange?.();
      return toDto(w);
    },

    async update(user: CurrentUser, id: number, input: Partial<WebhookInput>): Promise<WebhookDto> {
      requireAdmin(user, 'change webhooks');
      const before = await load(id);
      if (input.name !== undefined && input.name !== before.name) {
        const other = await repo.byName(input.name);
        if (other && other.id !== id) throw new AppError('ALREADY_EXISTS', `webhook.name: a webhook named '${input.name}' exists`, { details: { fields: [{ field: 'webhook.name', rule: 'unique' }] } });
      }
      await repo.update(id, input, deps.clock());
      const after = await load(id);
      await audit(user, 'update', after, { ...input });
      deps.onChange?.();
      return toDto(after);
    },

    async remove(user: CurrentUser, id: number): Promise<WebhookDto> {
      requireAdmin(user, 'delete webhooks');
      const w = await load(id);
      await repo.remove(id);
      await audit(user, 'destroy', w, { name: w.name });
      return toDto(w);
    },

    async deliveries(user: CurrentUser, id: number, page: number, perPage: number): Promise<{ total: number; subtotal: number; results: WebhookDeliveryDto[] }> {
      requireAdmin(user, 'read webhook deliveries');
      await load(id);
      const result = await repo.deliveries(id, page, perPage);
      return { total: result.total, subtotal: result.total, results: result.results.map(toDeliveryDto) };
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;

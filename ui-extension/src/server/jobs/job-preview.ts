/**
 * Previews and the empty-target refusal (issue #17): what a job would run on, computed by the very
 * code a job's creation runs (authorizeRun, then planHosts), and stopped before anything is stored.
 * A targeting that matches no host the caller may run on is refused with 422 naming the targeting
 * as written, so the answer is the same whether the hosts do not exist or lie outside the caller's
 * scope: nothing about hosts the caller may not see leaks.
 */
import type { JobPreview, PreviewHost } from '@common/job-preview';
import { previewSummary } from '@common/job-preview';
import type { Targeting } from '@common/jobs';
import { AppError } from '../errors';
import type { SmartProxyRef } from './job-dispatcher';
import type { NewJobHost } from './job-invocation.repository';

/** The rule an empty targeting breaks, in the error's details (and how a refusal is recognised). */
export const EMPTY_TARGETING_RULE = 'must match at least one host you may run on';
const NAMES_PER_REASON = 20;

/** The targeting as the user wrote it, in words: `search "os = Debian"`, `hostgroup 4`, `host ids 1, 2`. */
export function describeTargeting(t: Targeting): string {
  if (t.host_ids && t.host_ids.length === 0) return 'host ids (none)';
  if (t.host_ids) return `host ids ${t.host_ids.slice(0, 10).join(', ')}${t.host_ids.length > 10 ? `, ... (${t.host_ids.length} ids)` : ''}`;
  if (t.hostgroup_id !== undefined) return `hostgroup ${t.hostgroup_id}`;
  if (t.pql !== undefined) return `pql ${JSON.stringify(t.pql)}`;
  return `search ${JSON.stringify(t.search ?? '')}`;
}

/** 422 for a targeting that matches no host the caller may run `what` on. */
export function emptyTargetingError(targeting: Targeting, what: string): AppError {
  return new AppError('INVALID_ARGUMENT', `targeting: ${describeTargeting(targeting)} matches no host you may run ${what} on; nothing was created (POST /api/v2/remote_execution/jobs/preview shows what a targeting matches)`, {
    httpStatus: 422,
    details: { fields: [{ field: 'targeting', rule: EMPTY_TARGETING_RULE }], targeting, hosts: 0 },
  });
}

/** Whether an error is the empty-target refusal (a scheduled occurrence records it as `no_hosts`). */
export function isEmptyTargetingError(error: AppError): boolean {
  const fields = error.details?.fields;
  return Array.isArray(fields) && fields.some((f) => (f as { rule?: unknown }).rule === EMPTY_TARGETING_RULE);
}

/**
 * The preview of planned hosts (planHosts' output, in the order the inventory resolved them):
 * counts per smart proxy, skipped hosts grouped by reason, and one page of hosts by name.
 */
export async function previewOfPlan(
  smartProxies: { findByIds(ids: number[]): Promise<SmartProxyRef[]> },
  targeting: Targeting,
  hosts: NewJobHost[],
  page: { page: number; perPage: number },
): Promise<JobPreview> {
  const proxyIds = [...new Set(hosts.map((h) => h.smartProxyId).filter((id): id is number => id !== null))];
  const names = new Map((await smartProxies.findByIds(proxyIds)).map((p) => [p.id, p.name]));
  const perProxy = new Map<number, number>();
  const reasons = new Map<string, string[]>();
  for (const h of hosts) {
    if (h.state === 'skipped') {
      const list = reasons.get(h.reason ?? 'skipped') ?? [];
      list.push(h.hostName);
      reasons.set(h.reason ?? 'skipped', list);
    } else if (h.smartProxyId !== null) {
      perProxy.set(h.smartProxyId, (perProxy.get(h.smartProxyId) ?? 0) + 1);
    }
  }
  const skipped = hosts.filter((h) => h.state === 'skipped').length;
  const byName = [...hosts].sort((a, b) => (a.hostName < b.hostName ? -1 : a.hostName > b.hostName ? 1 : 0));
  const results: PreviewHost[] = byName.slice((page.page - 1) * page.perPage, page.page * page.perPage).map((h) => ({
    id: h.hostId,
    name: h.hostName,
    smart_proxy_id: h.smartProxyId,
    smart_proxy_name: h.smartProxyId === null ? null : names.get(h.smartProxyId) ?? null,
    state: h.state === 'skipped' ? 'skipped' : 'pending',
    reason: h.reason,
  }));
  const preview: Omit<JobPreview, 'summary'> = {
    targeting,
    total_hosts: hosts.length,
    will_run: hosts.length - skipped,
    skipped,
    smart_proxies: [...perProxy].map(([id, n]) => ({ id, name: names.get(id) ?? `smart proxy ${id}`, hosts: n })).sort((a, b) => b.hosts - a.hosts || a.name.localeCompare(b.name)),
    skipped_reasons: [...reasons].map(([reason, list]) => ({ reason, hosts: list.length, host_names: [...list].sort().slice(0, NAMES_PER_REASON) })).sort((a, b) => b.hosts - a.hosts || a.reason.localeCompare(b.reason)),
    hosts: { total: hosts.length, subtotal: hosts.length, page: page.page, per_page: page.perPage, search: null, sort: { by: 'name', order: 'asc' }, results },
  };
  return { ...preview, summary: previewSummary(preview) };
}

import { Router } from 'express';
import { AUDIT_SEARCH } from '../../audit/audit.repository';
import type { AuditService } from '../../audit/audit.service';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { decimalId, listEnvelope, listQuerySchema, parseInput } from '../validate';
import { auditSchema, listOf } from '../response-schemas';

const auditId = decimalId;

export const auditRouteSpecs = defineRoutes({
  list: { method: 'get', path: '/audits', response: listOf(auditSchema), tag: 'audits', summary: 'List audit entries, newest first (one\'s own; all with view_audit_logs)', permission: 'authenticated', query: listQuerySchema, search: AUDIT_SEARCH },
  show: { method: 'get', path: '/audits/:id', response: auditSchema, tag: 'audits', summary: 'Show an audit entry', permission: 'authenticated', params: { id: auditId } },
});

/**
 * `GET /api/v2/audits?search=` with Foreman's search keys (user, action, type, auditable_id,
 * remote_address, time, ...), newest first, and `GET /api/v2/audits/:id`. Everyone sees their own
 * entries; view_audit_logs shows all.
 */
export function createAuditRoutes(audit: AuditService): Router {
  const router = Router();
  mount(router, auditRouteSpecs.list, async (req, res) => {
    const query = parseInput(auditRouteSpecs.list.query, req.query, 'query');
    res.json(listEnvelope(query, await audit.list(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page }), { by: 'id', order: 'desc' }));
  });
  mount(router, auditRouteSpecs.show, async (req, res) => {
    res.json(await audit.get(currentUser(req), parseInput(auditRouteSpecs.show.params.id, req.params.id, 'id')));
  });
  return router;
}

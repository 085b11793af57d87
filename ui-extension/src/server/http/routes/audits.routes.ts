import { Router } from 'express';
import { z } from 'zod';
import type { AuditService } from '../../audit/audit.service';
import { currentUser } from '../request-context';
import { listEnvelope, listQuerySchema, parseInput } from '../validate';

const auditId = z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').positive('must be positive');

/**
 * `GET /api/v2/audits?search=` with Foreman's search keys (user, action, type, auditable_id,
 * remote_address, time, ...), newest first, and `GET /api/v2/audits/:id`. Everyone sees their own
 * entries; view_audit_logs shows all.
 */
export function createAuditRoutes(audit: AuditService): Router {
  const router = Router();
  router.get('/audits', async (req, res) => {
    const query = parseInput(listQuerySchema, req.query, 'query');
    res.json(listEnvelope(query, await audit.list(currentUser(req), { search: query.search, page: query.page, perPage: query.per_page }), { by: 'id', order: 'desc' }));
  });
  router.get('/audits/:id', async (req, res) => {
    res.json(await audit.get(currentUser(req), parseInput(auditId, req.params.id, 'id')));
  });
  return router;
}

import { Router } from 'express';
import { z } from 'zod';
import type { NamespaceService } from '../../namespaces/namespace.service';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { decimalId, parseInput } from '../validate';
import { listOf, namespaceSchema } from '../response-schemas';

const namespacesQuery = z.object({ smart_proxy_id: decimalId.optional() });

export const namespaceRouteSpecs = defineRoutes({
  list: { method: 'get', path: '/remote_execution/namespaces', response: listOf(namespaceSchema), tag: 'namespaces', summary: 'List agents and their actions with the DDL, from reachable proxies', permission: 'create_jobs', query: namespacesQuery },
});

/** `GET /api/v2/remote_execution/namespaces`: agents and actions with their DDL, from reachable proxies. */
export function createNamespaceRoutes(namespaces: NamespaceService): Router {
  const router = Router();
  mount(router, namespaceRouteSpecs.list, async (req, res) => {
    const query = parseInput(namespaceRouteSpecs.list.query, req.query, 'query');
    const results = await namespaces.list(currentUser(req), { smartProxyId: query.smart_proxy_id });
    res.json({ total: results.length, subtotal: results.length, page: 1, per_page: results.length, search: null, sort: { by: 'name', order: 'asc' }, results });
  });
  return router;
}

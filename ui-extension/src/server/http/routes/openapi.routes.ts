import { Router } from 'express';
import { packageVersion } from '../../version';
import { buildOpenApiDocument } from '../openapi';
import { defineRoutes, mount } from '../route-spec';
import { routeCatalog } from './catalog';
import { openApiSchema } from '../response-schemas';

export const openApiRouteSpecs = defineRoutes({
  document: { method: 'get', path: '/openapi.json', response: openApiSchema, tag: 'api', summary: 'This API described as an OpenAPI 3 document', permission: 'public' },
});

/**
 * `GET /api/v2/openapi.json`, open like /status: it describes the routes, never data. Built once,
 * on the first request, from the declarations the routers mount.
 */
export function createOpenApiRoutes(): Router {
  const router = Router();
  let document: unknown;
  mount(router, openApiRouteSpecs.document, (_req, res) => {
    document ??= buildOpenApiDocument(routeCatalog(), { version: packageVersion() });
    res.json(document);
  });
  return router;
}

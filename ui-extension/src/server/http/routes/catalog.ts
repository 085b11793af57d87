import type { RouteSpec } from '../route-spec';
import { actionRouteSpecs } from './actions.routes';
import { argumentHistoryRouteSpecs } from './argument-history.routes';
import { auditRouteSpecs } from './audits.routes';
import { factRouteSpecs } from './facts.routes';
import { hostgroupRouteSpecs } from './hostgroups.routes';
import { hostRouteSpecs } from './hosts.routes';
import { inventoryRouteSpecs } from './inventory.routes';
import { jobExportRouteSpecs } from './job-exports.routes';
import { jobRouteSpecs } from './jobs.routes';
import { jobInvocationRouteSpecs } from './job-invocations.routes';
import { jobTemplateRouteSpecs } from './job-templates.routes';
import { namespaceRouteSpecs } from './namespaces.routes';
import { openApiRouteSpecs } from './openapi.routes';
import { puppetRunRouteSpecs } from './puppet-run.routes';
import { roleRouteSpecs } from './roles.routes';
import { scheduleRouteSpecs } from './schedules.routes';
import { sessionRouteSpecs } from './session.routes';
import { smartProxyRouteSpecs } from './smart-proxies.routes';
import { statusRouteSpecs } from './status.routes';
import { taxonomyRouteSpecs } from './taxonomies.routes';
import { userRouteSpecs } from './users.routes';
import { webhookRouteSpecs } from './webhooks.routes';

/** A declared route with its operation id (`<tag>_<key>`). */
export interface CatalogEntry {
  operationId: string;
  spec: RouteSpec;
}

// A function, not a constant: openapi.routes.ts imports this module, and a constant would read
// its specs before that module finished loading.
const groups = (): ReadonlyArray<Record<string, RouteSpec>> => [
  sessionRouteSpecs, statusRouteSpecs, openApiRouteSpecs,
  hostRouteSpecs, hostgroupRouteSpecs, factRouteSpecs, smartProxyRouteSpecs, taxonomyRouteSpecs, inventoryRouteSpecs,
  jobRouteSpecs, jobInvocationRouteSpecs, jobExportRouteSpecs, jobTemplateRouteSpecs, actionRouteSpecs, argumentHistoryRouteSpecs, namespaceRouteSpecs, scheduleRouteSpecs, puppetRunRouteSpecs,
  userRouteSpecs, roleRouteSpecs, auditRouteSpecs, webhookRouteSpecs,
];

/**
 * Every route of /api/v2 as declared by its routes file. A route mounted without a declaration
 * here is caught by the OpenAPI test (it compares this list with the express router's routes).
 */
export function routeCatalog(): CatalogEntry[] {
  return groups().flatMap((group) => Object.entries(group).map(([key, spec]) => ({ operationId: `${spec.tag}_${key}`, spec })));
}

import { Router } from 'express';
import type { Services } from '../../services';
import { createFactRoutes } from './facts.routes';
import { createHostgroupRoutes } from './hostgroups.routes';
import { createHostRoutes } from './hosts.routes';
import { createInventoryRoutes } from './inventory.routes';
import { createSmartProxyRoutes } from './smart-proxies.routes';
import { createTaxonomyRoutes } from './taxonomies.routes';
import { createActionRoutes } from './actions.routes';
import { createArgumentHistoryRoutes } from './argument-history.routes';
import { createJobExportRoutes } from './job-exports.routes';
import { createJobRoutes } from './jobs.routes';
import { createJobInvocationRoutes } from './job-invocations.routes';
import { createJobTemplateRoutes } from './job-templates.routes';
import { createNamespaceRoutes } from './namespaces.routes';
import { createAuditRoutes } from './audits.routes';
import { createRoleRoutes } from './roles.routes';
import { createUserRoutes } from './users.routes';
import { createPuppetRunRoutes } from './puppet-run.routes';
import { createScheduleRoutes } from './schedules.routes';
import { createWebhookRoutes } from './webhooks.routes';

/**
 * Routes behind authentication, mounted at /api/v2. Each feature adds its router here.
 */
export function createAuthenticatedRoutes(services: Services): Router {
  const router = Router();
  router.use(createHostRoutes(services.inventory), createHostgroupRoutes(services.inventory), createFactRoutes(services.inventory));
  router.use(createSmartProxyRoutes(services.inventory, services.proxySync, services.smartProxyRegistration), createTaxonomyRoutes(services.inventory), createInventoryRoutes(services.inventory));
  router.use(createJobRoutes(services.jobs, services.schedules), createActionRoutes(services.jobs), createArgumentHistoryRoutes(services.argumentHistory), createJobExportRoutes(services.jobHostExport), createNamespaceRoutes(services.namespaces));
  router.use(createUserRoutes(services.userManagement), createRoleRoutes(services.userManagement), createAuditRoutes(services.audit));
  router.use(createPuppetRunRoutes(services.puppetRun, services.puppetdbSync, services.foremanSync));
  router.use(createScheduleRoutes(services.schedules));
  router.use(createWebhookRoutes(services.webhooks));
  router.use(createJobTemplateRoutes(services.jobTemplates));
  router.use(createJobInvocationRoutes(services.jobs, services.schedules, services.jobTemplates));
  return router;
}

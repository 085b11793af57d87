import { Router } from 'express';
import { z } from 'zod';
import type { ForemanSyncService } from '../../inventory/foreman-sync.service';
import type { PuppetDbSyncService } from '../../inventory/puppetdb-sync.service';
import { PUPPET_IF_RUNNING, type PuppetRunService } from '../../jobs/puppet-run.service';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { parseInput } from '../validate';
import { targetingSchema } from './jobs.routes';
import { foremanSyncSchema, jobSchema, puppetDbSyncSchema } from '../response-schemas';

const idOrName = z.string().min(1, 'is required').max(255, 'must be at most 255 characters');
const options = {
  arguments: z.record(z.unknown()).optional(),
  description: z.string().max(255, 'must be at most 255 characters').optional(),
  concurrency_level: z.number().int('must be a whole number').positive('must be positive').optional(),
  batch_size: z.number().int('must be a whole number').positive('must be positive').optional(),
  timeout: z.number().int('must be a whole number').positive('must be positive').max(86400, 'must be at most 86400').optional(),
  // A host already applying a catalog: skip it (the agent's own answer, the default) or wait for that run, then run.
  if_running: z.enum(PUPPET_IF_RUNNING, { errorMap: () => ({ message: `must be one of ${PUPPET_IF_RUNNING.join(', ')}` }) }).optional(),
};
const hostRunSchema = z.object(options).strict();
const bulkRunSchema = z.object({ targeting: targetingSchema, ...options }).strict();

export const puppetRunRouteSpecs = defineRoutes({
  host: { method: 'post', path: '/hosts/:id/puppet_run', response: jobSchema, tag: 'puppet', summary: 'Run Puppet once on a host (a puppet#runonce job); if_running: skip a host already applying (default) or wait for its run to end', permission: 'create_jobs', params: { id: idOrName }, body: hostRunSchema, bodyOptional: true, status: 201 },
  bulk: { method: 'post', path: '/remote_execution/puppet_run', response: jobSchema, tag: 'puppet', summary: 'Run Puppet once on the targeted hosts (a puppet#runonce job); if_running: skip hosts already applying (default) or wait for their runs to end', permission: 'create_jobs', body: bulkRunSchema, status: 201 },
  puppetdbSync: { method: 'post', path: '/inventory/puppetdb_sync', response: puppetDbSyncSchema, tag: 'inventory', summary: 'Pull nodes and facts from PuppetDB', permission: 'manage_inventory' },
  foremanSync: { method: 'post', path: '/inventory/foreman_sync', response: foremanSyncSchema, tag: 'inventory', summary: 'Pull hosts, hostgroups and facts from Foreman', description: 'Reads Foreman\'s API v2 (foreman.url): hosts with their hostgroup, organization, location and Puppet proxy, hostgroups, and each host\'s facts; creates, updates and removes what the previous syncs brought, and reports each change. Audited. A refused login answers 400 and an unreachable Foreman 503, each naming Foreman; without foreman.url it answers 400 saying so.', permission: 'manage_inventory' },
});

/**
 * On-demand Puppet runs, each a normal puppet#runonce job (201 with the job, Location to follow it):
 * - `POST /api/v2/hosts/:id/puppet_run` (id or name; body optional: `{arguments: {noop, tags, ...},
 *   if_running: skip|wait}`), the host page's "Run Puppet";
 * - `POST /api/v2/remote_execution/puppet_run` with `{targeting: {...}, arguments?}`, the bulk form
 *   (and `rex puppet run --search ...`);
 * - `POST /api/v2/inventory/puppetdb_sync` (manage_inventory): pull nodes and facts from PuppetDB;
 * - `POST /api/v2/inventory/foreman_sync` (manage_inventory): pull hosts, hostgroups and facts from Foreman.
 */
export function createPuppetRunRoutes(puppetRun: PuppetRunService, puppetdbSync: PuppetDbSyncService, foremanSync: ForemanSyncService): Router {
  const router = Router();
  const specs = puppetRunRouteSpecs;

  mount(router, specs.host, async (req, res) => {
    const body = parseInput(specs.host.body, req.body ?? {}, 'body');
    const job = await puppetRun.runOnHost(currentUser(req), parseInput(specs.host.params.id, req.params.id, 'id'), body);
    res.status(201).location(`/api/v2/remote_execution/jobs/${job.id}`).json(job);
  });

  mount(router, specs.bulk, async (req, res) => {
    const { targeting, ...rest } = parseInput(specs.bulk.body, req.body, 'body');
    const job = await puppetRun.run(currentUser(req), targeting, rest);
    res.status(201).location(`/api/v2/remote_execution/jobs/${job.id}`).json(job);
  });

  mount(router, specs.puppetdbSync, async (req, res) => {
    res.json(await puppetdbSync.syncAs(currentUser(req)));
  });

  mount(router, specs.foremanSync, async (req, res) => {
    res.json(await foremanSync.syncAs(currentUser(req)));
  });

  return router;
}

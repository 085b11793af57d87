import { Router } from 'express';
import { z } from 'zod';
import type { PuppetDbSyncService } from '../../inventory/puppetdb-sync.service';
import type { PuppetRunService } from '../../jobs/puppet-run.service';
import { currentUser } from '../request-context';
import { parseInput } from '../validate';
import { targetingSchema } from './jobs.routes';

const idOrName = z.string().min(1, 'is required').max(255, 'must be at most 255 characters');
const options = {
  arguments: z.record(z.unknown()).optional(),
  description: z.string().max(255, 'must be at most 255 characters').optional(),
  concurrency_level: z.number().int('must be a whole number').positive('must be positive').optional(),
  batch_size: z.number().int('must be a whole number').positive('must be positive').optional(),
  timeout: z.number().int('must be a whole number').positive('must be positive').max(86400, 'must be at most 86400').optional(),
};
const hostRunSchema = z.object(options).strict();
const bulkRunSchema = z.object({ targeting: targetingSchema, ...options }).strict();

/**
 * On-demand Puppet runs, each a normal puppet#runonce job (201 with the job, Location to follow it):
 * - `POST /api/v2/hosts/:id/puppet_run` (id or name; body optional: `{arguments: {noop, tags, ...}}`),
 *   the host page's "Run Puppet";
 * - `POST /api/v2/remote_execution/puppet_run` with `{targeting: {...}, arguments?}`, the bulk form
 *   (and `rex puppet run --search ...`);
 * - `POST /api/v2/inventory/puppetdb_sync` (manage_inventory): pull nodes and facts from PuppetDB.
 */
export function createPuppetRunRoutes(puppetRun: PuppetRunService, puppetdbSync: PuppetDbSyncService): Router {
  const router = Router();

  router.post('/hosts/:id/puppet_run', async (req, res) => {
    const body = parseInput(hostRunSchema, req.body ?? {}, 'body');
    const job = await puppetRun.runOnHost(currentUser(req), parseInput(idOrName, req.params.id, 'id'), body);
    res.status(201).location(`/api/v2/remote_execution/jobs/${job.id}`).json(job);
  });

  router.post('/remote_execution/puppet_run', async (req, res) => {
    const { targeting, ...rest } = parseInput(bulkRunSchema, req.body, 'body');
    const job = await puppetRun.run(currentUser(req), targeting, rest);
    res.status(201).location(`/api/v2/remote_execution/jobs/${job.id}`).json(job);
  });

  router.post('/inventory/puppetdb_sync', async (req, res) => {
    res.json(await puppetdbSync.syncAs(currentUser(req)));
  });

  return router;
}

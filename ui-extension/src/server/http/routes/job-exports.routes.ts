import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { z } from 'zod';
import { HOST_STATES, type HostState } from '@common/jobs';
import type { JobHostExport } from '../../jobs/job-host-export';
import { JOB_HOST_SEARCH } from '../../jobs/job-search';
import { currentUser } from '../request-context';
import { defineRoutes, mount } from '../route-spec';
import { decimalId, parseInput } from '../validate';
import { outcomeListSchema } from './jobs.routes';

const exportQuery = z.object({
  format: z.enum(['csv', 'jsonl'], { errorMap: () => ({ message: 'must be csv or jsonl' }) }).default('csv'),
  search: z.string().max(10000, 'must be at most 10000 characters').optional(),
  state: z.string().optional().transform((s, ctx) => {
    if (!s) return undefined;
    const states = s.split(',').map((x) => x.trim()).filter(Boolean);
    if (states.some((x) => !HOST_STATES.includes(x as HostState))) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be among ${HOST_STATES.join(', ')}` });
    return states as HostState[];
  }),
  outcome: outcomeListSchema,
});

export const jobExportRouteSpecs = defineRoutes({
  hostsExport: { method: 'get', path: '/remote_execution/jobs/:id/hosts/export', response: null, responseMediaTypes: { 'text/csv': 'A header row (host_id,host_name,state,...), then one row per host', 'application/x-ndjson': 'One JSON object per host and line' }, tag: 'jobs', summary: 'A job\'s hosts with state, timings and output as CSV or JSON lines (format=csv|jsonl), streamed; the same search, state= and outcome= as the hosts list', permission: 'view_jobs', params: { id: decimalId }, query: exportQuery, search: JOB_HOST_SEARCH },
});

/** `GET /api/v2/remote_execution/jobs/:id/hosts/export`: the hosts list as a file, streamed. */
export function createJobExportRoutes(hostExports: JobHostExport): Router {
  const router = Router();
  const spec = jobExportRouteSpecs.hostsExport;
  mount(router, spec, async (req, res) => {
    const id = parseInput(spec.params.id, req.params.id, 'id');
    const query = parseInput(spec.query, req.query, 'query');
    const stream = await hostExports.open(currentUser(req), id, { format: query.format, states: query.state, outcomes: query.outcome, search: query.search });
    // attachment() types by the extension (.jsonl: octet-stream): the type is set after it.
    res.status(200).attachment(stream.filename).type(stream.contentType);
    try {
      // pipeline waits for the client to take each chunk (backpressure), so memory stays one batch.
      await pipeline(Readable.from(stream.chunks), res);
    } catch (error) {
      // Past the headers no error body can be sent: cut the connection, so the file is visibly short.
      req.log.warn({ err: error, jobId: id }, 'job hosts export ended early');
      res.destroy();
    }
  });
  return router;
}

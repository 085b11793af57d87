import { z } from 'zod';

/** A count of hosts (a positive whole number) or a percentage of the job's hosts written "10%". */
const countOrPercent = z.union([
  z.number().int('must be a whole number or a percentage such as "10%"').positive('must be positive'),
  z.string().regex(/^(100|[1-9][0-9]?)%$/, 'must be a whole number or a percentage from "1%" to "100%"') as unknown as z.ZodType<`${number}%`>,
]);

/** A job's (or schedule's) rollout policy (docs/API.md, "Rollout policy"). */
export const rolloutSchema = z.object({
  batch_size: countOrPercent.optional(),
  pause_s: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(86400, 'must be at most 86400').optional(),
  canary: z.object({
    hosts: z.number().int('must be a whole number').positive('must be positive'),
    then: z.enum(['wait', 'continue'], { errorMap: () => ({ message: 'must be "wait" or "continue"' }) }),
  }).strict().optional(),
  max_failures: countOrPercent.optional(),
}).strict();

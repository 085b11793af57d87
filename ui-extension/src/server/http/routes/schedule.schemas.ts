import { z } from 'zod';

/**
 * Shapes of Foreman's `scheduling` and `recurrence` objects. Only types are checked here (400);
 * the rules (a zone that exists, a cron line that parses, a time in the future) are the schedule
 * service's, which answers 422 naming the field and the rule.
 */
export const schedulingSchema = z
  .object({
    start_at: z.string({ required_error: 'is required', invalid_type_error: 'must be an ISO 8601 date-time' }).max(40),
    start_before: z.string({ invalid_type_error: 'must be an ISO 8601 date-time' }).max(40).optional(),
  })
  .strict();

export const recurrenceSchema = z
  .object({
    cron_line: z.string({ invalid_type_error: 'must be a cron line such as "0 2 * * 6"' }).max(255, 'must be at most 255 characters').optional(),
    time_zone: z.string({ invalid_type_error: 'must be an IANA time zone name' }).max(64, 'must be at most 64 characters').optional(),
    max_iterations: z.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').optional(),
    end_time: z.string({ invalid_type_error: 'must be an ISO 8601 date-time' }).max(40).optional(),
  })
  .strict();

export const targetingTypeSchema = z.enum(['dynamic_query', 'static_query'], { errorMap: () => ({ message: 'must be dynamic_query or static_query' }) });

import { z } from 'zod';
import { AppError } from '../errors';

/**
 * Parses request input with a zod schema. A failure is an INVALID_ARGUMENT naming every field and
 * the rule it broke, e.g. `per_page: must be at most 1000`.
 */
export function parseInput<S extends z.ZodTypeAny>(schema: S, input: unknown, where = 'request'): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || where, rule: issue.message }));
  const message = fields.map((f) => `${f.field}: ${f.rule}`).join('; ');
  throw new AppError('INVALID_ARGUMENT', `invalid ${where}: ${message}`, { details: { fields } });
}

/** Foreman list parameters: search, order, page (from 1) and per_page. */
export const listQuerySchema = z.object({
  search: z.string().max(10000, 'must be at most 10000 characters').optional().default(''),
  order: z.string().max(200).optional(),
  page: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').default(1),
  per_page: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(20),
});

export type ListQuery = z.output<typeof listQuerySchema>;

/** Foreman's index envelope. */
export interface ListEnvelope<T> {
  total: number;
  subtotal: number;
  page: number;
  per_page: number;
  search: string | null;
  sort: { by: string | null; order: string | null };
  results: T[];
}

export function listEnvelope<T>(query: ListQuery, page: { total: number; subtotal: number; results: T[] }, sort: { by: string | null; order: 'asc' | 'desc' | null } = { by: null, order: null }): ListEnvelope<T> {
  return {
    total: page.total,
    subtotal: page.subtotal,
    page: query.page,
    per_page: query.per_page,
    search: query.search === '' ? null : query.search,
    sort,
    results: page.results,
  };
}

/** Parses Foreman's `order` parameter (`name`, `name DESC`) against the sortable fields. */
export function parseOrder(order: string | undefined, sortable: readonly string[], fallback: string): { by: string; order: 'asc' | 'desc' } {
  if (!order || order.trim() === '') return { by: fallback, order: 'asc' };
  const match = /^\s*([a-z_.]+)\s*(asc|desc)?\s*$/i.exec(order);
  if (!match || !sortable.includes(match[1])) {
    throw new AppError('INVALID_ARGUMENT', `order: must be one of ${sortable.join(', ')}, optionally followed by ASC or DESC`, { details: { fields: [{ field: 'order', rule: `one of ${sortable.join(', ')}` }] } });
  }
  return { by: match[1], order: (match[2]?.toLowerCase() as 'asc' | 'desc' | undefined) ?? 'asc' };
}

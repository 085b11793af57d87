import { z } from 'zod';
import { AppError } from '../errors';

/**
 * A refusal names at most MAX_FIELDS_SHOWN fields, each cut to FIELD_NAME_SHOWN characters: a body
 * of a million bad keys, or of one key of megabytes, must not come back as an answer as large.
 */
const MAX_FIELDS_SHOWN = 20;
const FIELD_NAME_SHOWN = 100;
const shortened = (name: string): string => (name.length > FIELD_NAME_SHOWN ? `${name.slice(0, FIELD_NAME_SHOWN)}…` : name);
const andMore = (shown: number, total: number): string => (total > shown ? `; and ${total - shown} more` : '');

/**
 * Parses request input with a zod schema. A failure is an INVALID_ARGUMENT naming every field and
 * the rule it broke, e.g. `per_page: must be at most 1000`.
 *
 * Keys that no object of the schema declares are refused first, at any depth, with a 422 naming
 * each one (`job.colour`): zod would silently drop them, and a misspelt optional field
 * (`job.timout`) would then run with the default the caller meant to change. Objects declared
 * `.passthrough()` or with a catchall, and `z.record`s, accept any key. Query strings are the
 * exception: Foreman clients add parameters of their own (`thin`, `organization_id`, cache
 * busters), which Foreman ignores, so this API ignores them too.
 */
export function parseInput<S extends z.ZodTypeAny>(schema: S, input: unknown, where = 'request'): z.output<S> {
  if (where !== 'query') {
    const unknown = unknownFields(schema, input);
    if (unknown.length > 0) {
      const fields = unknown.slice(0, MAX_FIELDS_SHOWN).map((u) => ({ field: shortened(u.path), rule: u.known.length > 0 ? `is not a known field; known fields here: ${u.known.join(', ')}` : 'is not a known field; this object takes no fields' }));
      throw new AppError('INVALID_ARGUMENT', `invalid ${where}: unknown ${fields.length === 1 ? 'field' : 'fields'} ${fields.map((f) => f.field).join(', ')} (${fields.map((f) => `${f.field}: ${f.rule}`).join('; ')}${andMore(fields.length, unknown.length)})`, {
        httpStatus: 422,
        details: { fields, unknown_fields: fields.map((f) => f.field) },
      });
    }
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const { issues } = parsed.error;
  const fields = issues.slice(0, MAX_FIELDS_SHOWN).map((issue) => ({ field: shortened(issue.path.join('.')) || where, rule: issue.message }));
  const message = fields.map((f) => `${f.field}: ${f.rule}`).join('; ') + andMore(fields.length, issues.length);
  throw new AppError('INVALID_ARGUMENT', `invalid ${where}: ${message}`, { details: { fields } });
}

interface UnknownField {
  /** Dotted path as zod writes it (`job.targeting.colour`, `items.0.x`). */
  path: string;
  /** The keys the object at that place declares, for the hint. */
  known: string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every key of `input` that the schema has no place for, walking the schema and the value side by
 * side. Only shapes are compared here; types and rules are zod's job afterwards, so a value of the
 * wrong type simply ends the walk on that branch.
 */
export function unknownFields(schema: z.ZodTypeAny, input: unknown, prefix: string[] = []): UnknownField[] {
  const def = schema._def as { typeName?: string } & Record<string, unknown>;
  switch (def.typeName) {
    case z.ZodFirstPartyTypeKind.ZodObject: {
      if (!isPlainObject(input)) return [];
      const object = schema as z.AnyZodObject;
      const shape = object.shape as Record<string, z.ZodTypeAny>;
      const open = object._def.unknownKeys === 'passthrough' || !(object._def.catchall instanceof z.ZodNever);
      const known = Object.keys(shape);
      const out: UnknownField[] = [];
      for (const [key, value] of Object.entries(input)) {
        // Own keys only: a body may carry `__proto__` or `constructor`, which every object inherits.
        const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
        // A loop, not push(...found): spreading 200,000 unknown keys as arguments overflows the stack.
        const found = field ? unknownFields(field, value, [...prefix, key]) : open ? unknownFields(object._def.catchall as z.ZodTypeAny, value, [...prefix, key]) : undefined;
        if (found) for (const f of found) out.push(f);
        else out.push({ path: [...prefix, key].join('.'), known });
      }
      return out;
    }
    case z.ZodFirstPartyTypeKind.ZodOptional:
    case z.ZodFirstPartyTypeKind.ZodNullable:
    case z.ZodFirstPartyTypeKind.ZodDefault:
    case z.ZodFirstPartyTypeKind.ZodCatch:
    case z.ZodFirstPartyTypeKind.ZodReadonly:
      return unknownFields(def.innerType as z.ZodTypeAny, input, prefix);
    case z.ZodFirstPartyTypeKind.ZodBranded:
      return unknownFields(def.type as z.ZodTypeAny, input, prefix);
    case z.ZodFirstPartyTypeKind.ZodEffects: {
      // A preprocess step changes the value before the inner schema sees it: nothing to compare.
      if ((def.effect as { type: string }).type === 'preprocess') return [];
      return unknownFields(def.schema as z.ZodTypeAny, input, prefix);
    }
    case z.ZodFirstPartyTypeKind.ZodPipeline:
      return unknownFields(def.in as z.ZodTypeAny, input, prefix);
    case z.ZodFirstPartyTypeKind.ZodLazy:
      return unknownFields((def.getter as () => z.ZodTypeAny)(), input, prefix);
    case z.ZodFirstPartyTypeKind.ZodArray:
      return Array.isArray(input) ? input.flatMap((item, i) => unknownFields(def.type as z.ZodTypeAny, item, [...prefix, String(i)])) : [];
    case z.ZodFirstPartyTypeKind.ZodTuple: {
      if (!Array.isArray(input)) return [];
      const items = def.items as z.ZodTypeAny[];
      const rest = def.rest as z.ZodTypeAny | null;
      return input.flatMap((item, i) => {
        const itemSchema = items[i] ?? rest;
        return itemSchema ? unknownFields(itemSchema, item, [...prefix, String(i)]) : [];
      });
    }
    case z.ZodFirstPartyTypeKind.ZodRecord:
      return isPlainObject(input) ? Object.entries(input).flatMap(([key, value]) => unknownFields(def.valueType as z.ZodTypeAny, value, [...prefix, key])) : [];
    case z.ZodFirstPartyTypeKind.ZodUnion:
    case z.ZodFirstPartyTypeKind.ZodDiscriminatedUnion: {
      // The option that fits best decides: no unknown key if any option knows them all.
      const options = [...(def.options as Iterable<z.ZodTypeAny>)];
      let best: UnknownField[] | undefined;
      for (const option of options) {
        const found = unknownFields(option, input, prefix);
        if (best === undefined || found.length < best.length) best = found;
        if (found.length === 0) break;
      }
      return best ?? [];
    }
    case z.ZodFirstPartyTypeKind.ZodIntersection: {
      // A key either side declares is known.
      const right = new Set(unknownFields(def.right as z.ZodTypeAny, input, prefix).map((u) => u.path));
      return unknownFields(def.left as z.ZodTypeAny, input, prefix).filter((u) => right.has(u.path));
    }
    default:
      return [];
  }
}

/**
 * A record id in a path or query parameter: decimal digits only. z.coerce.number would read `0x10`
 * as 16, `1e1` as 10, ` 7` as 7 and an empty string as 0, so a request could act on another record
 * than the one it names. `0` parses (and fails positive); `007` does not.
 */
export const decimalId = z.preprocess(
  (value) => (typeof value === 'string' && /^(0|[1-9]\d{0,15})$/.test(value) ? Number(value) : value),
  z.number({ invalid_type_error: 'must be a decimal number such as 42 (digits only, no sign, no leading zero)' }).int('must be a whole number').positive('must be positive').max(Number.MAX_SAFE_INTEGER, 'is too large'),
);

/**
 * The highest page a list answers: its offset ((page - 1) x per_page, at most 1000 a page) stays an
 * exact integer in JavaScript and in both databases' 64-bit LIMIT/OFFSET (a page of 5 x 10^17 made
 * SQLite fail with "datatype mismatch", a 500), and no list holds that many rows.
 */
export const MAX_PAGE = 1_000_000_000;
export const pageSchema = z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(MAX_PAGE, `must be at most ${MAX_PAGE}`).default(1);

/** Foreman list parameters: search, order, page (from 1) and per_page. */
export const listQuerySchema = z.object({
  search: z.string().max(10000, 'must be at most 10000 characters').optional().default(''),
  order: z.string().max(200).optional(),
  page: pageSchema,
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

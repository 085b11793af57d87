import { z } from 'zod';
import { AppError } from '@server/errors';
import { decimalId, parseInput, unknownFields } from '@server/http/validate';
import { zodToJsonSchema } from 'zod-to-json-schema';

const body = z.object({
  job: z.object({
    namespace: z.string(),
    arguments: z.record(z.unknown()).optional(),
    targeting: z.object({ search: z.string().optional(), host_ids: z.array(z.number()).optional() }).strict().refine(() => true),
    steps: z.array(z.object({ name: z.string() })).optional(),
    extra: z.object({}).passthrough().optional(),
    either: z.union([z.object({ a: z.number() }), z.object({ b: z.number() })]).optional(),
  }),
});

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe(parseInput.name, () => {
  it('answers 422 naming every unknown field at any depth when a body carries fields the schema does not declare', () => {
    const error = refusal(() => parseInput(body, { job: { namespace: 'x', timout: 5, targeting: { search: '', colour: 'red' }, steps: [{ name: 'a' }, { name: 'b', size: 1 }] }, top: true }, 'body'));
    expect(error.httpStatus).toBe(422);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details?.unknown_fields).toEqual(['job.timout', 'job.targeting.colour', 'job.steps.1.size', 'top']);
    expect(error.message).toMatch(/^invalid body: unknown fields job\.timout, job\.targeting\.colour, job\.steps\.1\.size, top \(job\.timout: is not a known field; known fields here: namespace, arguments, targeting, steps, extra, either;/);
  });

  it('accepts any key inside a record, a passthrough object and the union option that declares it', () => {
    const parsed = parseInput(body, { job: { namespace: 'x', arguments: { anything: 1 }, targeting: { search: '' }, extra: { free: true }, either: { b: 2 } } }, 'body');
    expect(parsed.job.arguments).toEqual({ anything: 1 });
    expect(unknownFields(body, { job: { namespace: 'x', targeting: {}, either: { c: 3 } } })).toEqual([{ path: 'job.either.c', known: ['a'] }]);
  });

  it('ignores unknown query parameters, as Foreman does', () => {
    const query = z.object({ page: z.coerce.number().default(1) });
    expect(parseInput(query, { page: '2', thin: 'true', _: '123' }, 'query')).toEqual({ page: 2 });
  });

  it('answers 400 naming the field and the rule when a known field breaks its rule', () => {
    const error = refusal(() => parseInput(body, { job: { namespace: 7, targeting: {} } }, 'body'));
    expect(error.httpStatus).toBe(400);
    expect(error.message).toBe('invalid body: job.namespace: Expected string, received number');
  });
});

describe('decimalId', () => {
  it.each([['1', 1], ['42', 42], ['9007199254740991', 9007199254740991]])('reads %s as the id %d', (text, id) => {
    expect(parseInput(decimalId, text, 'id')).toBe(id);
  });

  it.each(['0x10', '0b11', '0o20', '1e1', ' 7', '7 ', '+7', '-7', '007', '1.0', '', 'Infinity', '9007199254740993', '١٢'])('refuses %j with a 400 naming the parameter', (text) => {
    const error = refusal(() => parseInput(decimalId, text, 'id'));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', httpStatus: 400, details: { fields: [{ field: 'id', rule: expect.any(String) }] } });
    expect(error.message).toMatch(/^invalid id: id: /);
  });

  it('refuses 0 as not positive', () => {
    expect(refusal(() => parseInput(decimalId, '0', 'id')).message).toBe('invalid id: id: must be positive');
  });

  it('is described as an integer in the API document', () => {
    // Typed loosely as openapi.ts does: zodToJsonSchema's generic is too deep for tsc.
    const convert = zodToJsonSchema as (schema: unknown) => unknown;
    expect(convert(decimalId)).toMatchObject({ type: 'integer', exclusiveMinimum: 0 });
  });
});

import { jsonDepthOver, MAX_BODY_DEPTH, refuseDeepJson } from '@server/http/body-limits';

const nested = (levels: number) => Buffer.from(`${'['.repeat(levels)}${']'.repeat(levels)}`);

describe(jsonDepthOver.name, () => {
  it('counts arrays and objects alike, and passes at the limit', () => {
    expect(jsonDepthOver(nested(32), 32)).toBe(false);
    expect(jsonDepthOver(nested(33), 32)).toBe(true);
    expect(jsonDepthOver(Buffer.from(`${'{"a":'.repeat(33)}1${'}'.repeat(33)}`), 32)).toBe(true);
  });

  it('measures the deepest point, not the number of brackets', () => {
    expect(jsonDepthOver(Buffer.from(JSON.stringify(Array.from({ length: 1000 }, () => [[1], { a: [2] }]))), 4)).toBe(false);
    expect(jsonDepthOver(Buffer.from(JSON.stringify(Array.from({ length: 1000 }, () => [[1], { a: [2] }]))), 3)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes and backslashes included', () => {
    expect(jsonDepthOver(Buffer.from(JSON.stringify({ a: '[[[[[[[[', b: '"{{{{{{{{', c: '\\\\[[[[[[[[', d: '\\"[[[[[[' })), 2)).toBe(false);
    expect(jsonDepthOver(Buffer.from('{"a":"\\\\"}'.replace('}', ',"b":[[[]]]}')), 2)).toBe(true);
  });

  it('takes multi-byte text as text', () => {
    expect(jsonDepthOver(Buffer.from(JSON.stringify({ a: '💩 日本 [[[[' })), 1)).toBe(false);
  });
});

describe(refuseDeepJson.name, () => {
  it('throws a 400 naming the body and the limit', () => {
    expect(() => refuseDeepJson({} as never, undefined, nested(MAX_BODY_DEPTH + 1))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', httpStatus: 400, details: { fields: [{ field: 'body', rule: 'at most 32 levels deep' }] } }));
    expect(() => refuseDeepJson({} as never, undefined, nested(MAX_BODY_DEPTH))).not.toThrow();
  });
});

import { isIntegerNumber, JsonNumber, parseExact, stringifyExact, stringifyLossless, toPlainNumbers } from '@protos/json-numbers';

describe(parseExact.name, () => {
  it('keeps every number as written when it is a float, past 2^53 or an exponent', () => {
    const value = parseExact('{"zero":0.0,"exact":9007199254740993,"huge":1180591620717411303424,"e":1e3,"neg":-0.0}');
    expect(stringifyExact(value)).toBe('{"zero":0.0,"exact":9007199254740993,"huge":1180591620717411303424,"e":1e3,"neg":-0.0}');
  });

  it('keeps the last value of a repeated key, as JSON.parse does', () => {
    expect(stringifyExact(parseExact('{"a":1,"a":2.0}'))).toBe('{"a":2.0}');
  });

  it('tells integers from floats by their text', () => {
    expect([parseExact('5'), parseExact('5.0'), parseExact('5e0'), 5, 5.5].map(isIntegerNumber)).toEqual([true, false, false, true, false]);
  });
});

describe(stringifyExact.name, () => {
  it('writes what lossless-json writes for nested data, escapes and strings that look like placeholders', () => {
    const data = parseExact('{"s":"a\\u0001rexnum0:0 \\"q\\" \\n","list":[1.50,{"x":-2e-7}],"":{"deep":[0.0,[100.0]]},"n":null,"t":true}');
    const body = { data, plain: 1.5, when: new Date(0), skipped: undefined, text: '\u0001rexnum:1' };
    expect(stringifyExact(body)).toBe(stringifyLossless(body));
  });

  it('writes long lists of strings as JSON.stringify does, nested, bare and beside numbers', () => {
    const names = Array.from({ length: 40 }, (_, i) => `host-${i}.example.com \u0001rexnum:${i} "q" \n é`);
    const body = { n: parseExact('1.50'), succeeded_hosts: names, failed_hosts: names.slice(0, 3), deep: [{ list: names }], mixed: [...names, 2] };
    expect(stringifyExact(body)).toBe(stringifyLossless(body));
    expect(stringifyExact(names)).toBe(JSON.stringify(names));
  });

  it('writes a bare number, bigints and undefined as JSON.stringify would', () => {
    expect(stringifyExact(new JsonNumber('2.50'))).toBe('2.50');
    expect(stringifyExact({ a: 10n })).toBe('{"a":10}');
    expect(stringifyExact(undefined)).toBe('null');
  });

  it('writes a JsonNumber as a plain number when JSON.stringify meets it (logs, audits)', () => {
    expect(JSON.stringify({ n: new JsonNumber('2.0') })).toBe('{"n":2}');
    expect(toPlainNumbers(parseExact('{"n":[2.5]}'))).toEqual({ n: [2.5] });
  });
});

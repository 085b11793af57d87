import fc from 'fast-check';
import { JsonNumber } from '@protos/json-numbers';

import {
  acceptsUndef,
  checkPuppetValue,
  ddlTypeHint,
  formatPuppetType,
  isSensitiveType,
  parsePuppetType,
  type PuppetType,
} from '@protos/puppet-types';

function parse(text: string): PuppetType {
  const parsed = parsePuppetType(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.type;
}

function accepts(text: string, value: unknown): boolean {
  return checkPuppetValue(parse(text), value) === undefined;
}

describe(parsePuppetType.name, () => {
  it.each([
    ['String', { kind: 'String', min: 0, max: Infinity }],
    ['String[1]', { kind: 'String', min: 1, max: Infinity }],
    ['String[1, 64]', { kind: 'String', min: 1, max: 64 }],
    ['Integer[default, 10]', { kind: 'Integer', min: -Infinity, max: 10 }],
    ['Integer[-5, 0x10]', { kind: 'Integer', min: -5, max: 16 }],
    ['Float[0.5, 1e3]', { kind: 'Float', min: 0.5, max: 1000 }],
    ['Enum[status, install]', { kind: 'Enum', values: ['status', 'install'], caseInsensitive: false }],
    ["Enum['a', \"b\", true]", { kind: 'Enum', values: ['a', 'b'], caseInsensitive: true }],
    ['Pattern[/\\A[a-z0-9.+-]+\\z/]', { kind: 'Pattern', patterns: ['\\A[a-z0-9.+-]+\\z'] }],
    ["Optional['x']", { kind: 'Optional', type: { kind: 'Enum', values: ['x'], caseInsensitive: false } }],
    ['Stdlib::Port', { kind: 'Unresolved', name: 'Stdlib::Port' }],
  ])('gives the expected type when parsing %s', (text, expected) => {
    expect(parsePuppetType(text)).toEqual({ ok: true, type: expected });
  });

  it('parses a Struct with optional and required keys when keys are quoted, bare or Optional[...]', () => {
    expect(parse("Struct[{name => String[1], Optional['port'] => Integer[1, 65535], 'tags' => Array[String]}]")).toEqual({
      kind: 'Struct',
      members: [
        { key: 'name', optionalKey: false, type: { kind: 'String', min: 1, max: Infinity } },
        { key: 'port', optionalKey: true, type: { kind: 'Integer', min: 1, max: 65535 } },
        { key: 'tags', optionalKey: false, type: { kind: 'Array', element: { kind: 'String', min: 0, max: Infinity }, min: 0, max: Infinity } },
      ],
    });
  });

  it('reads trailing numbers of a Tuple as its sizes when they follow the types', () => {
    expect(parse('Tuple[String, Integer]')).toMatchObject({ min: 2, max: 2 });
    expect(parse('Tuple[String, Integer, 1]')).toMatchObject({ min: 1, max: Infinity });
    expect(parse('Tuple[String, 0, 5]')).toMatchObject({ types: [{ kind: 'String' }], min: 0, max: 5 });
  });

  it.each([
    ['String[', 'expected'],
    ['String[a]', 'String minimum must be a number'],
    ['Integer[5, 1]', 'greater than its maximum'],
    ['Integer[1.5]', 'whole number'],
    ['Pattern[/(unclosed/]', 'not a regex this checker can run'],
    ['Struct[{a => String, a => Integer}]', "key 'a' appears twice"],
    ['String Integer', 'unexpected text after the type'],
    ["'just a string'", 'expected a type name'],
    ['Boolean[1]', 'Boolean takes no parameters'],
  ])('refuses %s naming the problem', (text, fragment) => {
    const parsed = parsePuppetType(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(fragment);
  });
});

describe(checkPuppetValue.name, () => {
  it.each([
    ['String[1]', 'a', true],
    ['String[1]', '', false],
    ['String[1, 3]', 'añé', true],
    ['String[1, 3]', 'abcd', false],
    ['String', 5, false],
    ['Integer[1, 10]', 10, true],
    ['Integer[1, 10]', 11, false],
    ['Integer', 1.5, false],
    // Puppet: 1 =~ Float is false, and 3.0 =~ Integer is false (issue 26).
    ['Float', 1, false],
    ['Float', new JsonNumber('1.0'), true],
    ['Integer', new JsonNumber('3.0'), false],
    ['Integer', new JsonNumber('3'), true],
    ['Numeric', new JsonNumber('3.0'), true],
    ['Integer[0, 5]', new JsonNumber('5'), true],
    ['Float[0.5]', new JsonNumber('5e-1'), true],
    ['Float[0, 1]', 1.5, false],
    ['Numeric', '1', false],
    ['Boolean', false, true],
    ['Boolean', 'true', false],
    ['Enum[status, install]', 'install', true],
    ['Enum[status, install]', 'INSTALL', false],
    ["Enum['a', true]", 'A', true],
    ['Pattern[/\\A[a-z0-9.+-]+\\z/]', 'nginx', true],
    ['Pattern[/\\A[a-z0-9.+-]+\\z/]', 'Bad Name', false],
    ['Pattern[/\\A[a-z]+\\z/]', 'abc\nevil', false],
    ['Pattern[/^[a-z]+$/]', 'abc\n!!', true],
    ['Pattern[/x/, /y/]', 'ay', true],
    ['Optional[Integer]', null, true],
    ['Optional[Integer]', undefined, true],
    ['Optional[Integer]', 'x', false],
    ['NotUndef', null, false],
    ['Variant[Integer, Enum[all]]', 'all', true],
    ['Variant[Integer, Enum[all]]', 'some', false],
    ['Array[Integer, 1]', [], false],
    ['Array[Integer]', [1, 2, 'x'], false],
    ['Hash[String, Integer]', { a: 1 }, true],
    ['Hash[Pattern[/^[a-z]+$/], Integer]', { A: 1 }, false],
    ['Tuple[String, Integer]', ['a', 1], true],
    ['Tuple[String, Integer]', ['a', 1, 2], false],
    ['Tuple[String, Integer, 1]', ['a', 1, 2], true],
    ['Struct[{a => Integer, Optional[b] => String}]', { a: 1 }, true],
    ['Struct[{a => Integer, b => Optional[String]}]', { a: 1 }, true],
    ['Struct[{a => Integer}]', {}, false],
    ['Struct[{a => Integer}]', { a: 1, c: 2 }, false],
    ['Data', { a: [1, null, 'x', { b: true }] }, true],
    ['ScalarData', null, false],
    ['Any', undefined, true],
    ['Stdlib::Port', 80, false],
    ['Optional[Stdlib::Port]', null, true],
    ['Collection[1, 2]', { a: 1 }, true],
    ['Sensitive[String[8]]', 'longenough', true],
  ])('%s accepting %j is %s', (type, value, expected) => {
    expect(accepts(type, value)).toBe(expected);
  });

  it('names the nested entry that broke the type when a Struct inside an Array is wrong', () => {
    const mismatch = checkPuppetValue(parse('Array[Struct[{port => Integer[1, 65535]}]]'), [{ port: 80 }, { port: 70000 }]);
    expect(mismatch).toEqual({ path: "[1]['port']", message: 'expects an Integer between 1 and 65535, got Integer 70000' });
  });

  it('quotes the value and the Pattern when a string does not match', () => {
    expect(checkPuppetValue(parse('Pattern[/\\A[a-z]+\\z/]'), 'Bad Name')?.message).toBe("expects a match for Pattern[/\\A[a-z]+\\z/], got 'Bad Name'");
  });

  it('keeps the value out of the message when the value is concealed or the type is Sensitive', () => {
    const secret = 'hunter2 is my password';
    expect(checkPuppetValue(parse('Pattern[/^x$/]'), secret, { conceal: true })?.message).not.toContain('hunter2');
    expect(checkPuppetValue(parse('Sensitive[Pattern[/^x$/]]'), secret)?.message).not.toContain('hunter2');
  });
});

describe(acceptsUndef.name, () => {
  it.each([
    ['Optional[String]', true],
    ['Variant[Undef, Integer]', true],
    ['Data', true],
    ['Any', true],
    ['String', false],
    ['NotUndef[Any]', false],
    ['Sensitive[Optional[String]]', true],
  ])('%s is %s', (text, expected) => {
    expect(acceptsUndef(parse(text))).toBe(expected);
  });
});

describe(isSensitiveType.name, () => {
  it('finds Sensitive inside Optional and Variant but not inside a Struct', () => {
    expect(isSensitiveType(parse('Optional[Sensitive[String]]'))).toBe(true);
    expect(isSensitiveType(parse('Variant[Integer, Sensitive[String]]'))).toBe(true);
    expect(isSensitiveType(parse('String'))).toBe(false);
  });
});

describe(ddlTypeHint.name, () => {
  it('gives list with the values when the type is an Enum under Optional', () => {
    expect(ddlTypeHint(parse('Optional[Enum[a, b]]'))).toEqual({ type: 'list', list: ['a', 'b'] });
    expect(ddlTypeHint(parse('Struct[{a => Integer}]'))).toEqual({ type: 'hash' });
  });
});

// ---- properties ---------------------------------------------------------------------------

const smallInt = fc.integer({ min: -1000, max: 1000 });
const size = fc.integer({ min: 0, max: 4 });
const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);

/** Random types together with an arbitrary of values that are instances of them. */
const typed: fc.Memo<{ type: PuppetType; value: fc.Arbitrary<unknown> }> = fc.memo((depth) => {
  const leaves: Array<fc.Arbitrary<{ type: PuppetType; value: fc.Arbitrary<unknown> }>> = [
    fc.tuple(size, size).map(([a, b]) => {
      const min = Math.min(a, b);
      const max = Math.max(a, b);
      return { type: { kind: 'String', min, max } as PuppetType, value: fc.string({ minLength: min, maxLength: max, unit: 'grapheme-ascii' }) };
    }),
    fc.tuple(smallInt, smallInt).map(([a, b]) => {
      const min = Math.min(a, b);
      const max = Math.max(a, b);
      return { type: { kind: 'Integer', min, max } as PuppetType, value: fc.integer({ min, max }) };
    }),
    fc.constant({ type: { kind: 'Boolean' } as PuppetType, value: fc.boolean() }),
    fc.uniqueArray(word, { minLength: 1, maxLength: 4 }).map((values) => ({ type: { kind: 'Enum', values, caseInsensitive: false } as PuppetType, value: fc.constantFrom(...values) })),
    fc.constant({ type: { kind: 'Pattern', patterns: ['\\A[a-z]+\\z'] } as PuppetType, value: fc.stringMatching(/^[a-z]+$/) }),
    fc.constant({ type: { kind: 'Data' } as PuppetType, value: fc.jsonValue() }),
  ];
  if (depth <= 1) return fc.oneof(...leaves);
  const inner = typed(depth - 1);
  return fc.oneof(
    ...leaves,
    inner.map((t) => ({ type: { kind: 'Optional', type: t.type } as PuppetType, value: fc.option(t.value, { nil: null }) })),
    fc.tuple(inner, size).map(([t, min]) => ({ type: { kind: 'Array', element: t.type, min, max: Infinity } as PuppetType, value: fc.array(t.value, { minLength: min, maxLength: min + 3 }) })),
    fc.tuple(inner, inner).map(([a, b]) => ({ type: { kind: 'Variant', types: [a.type, b.type] } as PuppetType, value: fc.oneof(a.value, b.value) })),
    fc.array(inner, { minLength: 1, maxLength: 3 }).map((ts) => ({
      type: { kind: 'Tuple', types: ts.map((t) => t.type), min: ts.length, max: ts.length } as PuppetType,
      value: fc.tuple(...ts.map((t) => t.value)),
    })),
    fc.uniqueArray(fc.tuple(word, inner), { minLength: 1, maxLength: 3, selector: ([k]) => k }).map((entries) => ({
      type: { kind: 'Struct', members: entries.map(([key, t]) => ({ key, optionalKey: false, type: t.type })) } as PuppetType,
      value: fc.record(Object.fromEntries(entries.map(([key, t]) => [key, t.value]))),
    })),
    inner.map((t) => ({ type: { kind: 'Hash', key: { kind: 'String', min: 0, max: Infinity }, value: t.type, min: 0, max: Infinity } as PuppetType, value: fc.dictionary(word, t.value, { maxKeys: 3 }) })),
  );
});

describe('Puppet type properties', () => {
  it('parses the formatted text of any type back to the same type', () => {
    fc.assert(
      fc.property(typed(4), ({ type }) => {
        expect(parsePuppetType(formatPuppetType(type))).toEqual({ ok: true, type });
      }),
    );
  });

  it('accepts every value generated as an instance of its type', () => {
    fc.assert(
      fc.property(
        typed(3).chain(({ type, value }) => fc.tuple(fc.constant(type), value)),
        ([type, value]) => {
          expect(checkPuppetValue(type, value)).toBeUndefined();
        },
      ),
    );
  });

  it('refuses a value that breaks the bounds of an Integer whatever the bounds', () => {
    fc.assert(
      fc.property(smallInt, smallInt, fc.integer({ min: 1, max: 100 }), (a, b, over) => {
        const type: PuppetType = { kind: 'Integer', min: Math.min(a, b), max: Math.max(a, b) };
        expect(checkPuppetValue(type, Math.max(a, b) + over)).toBeDefined();
        expect(checkPuppetValue(type, Math.min(a, b) - over)).toBeDefined();
      }),
    );
  });

  it('accepts undef exactly for Optional and refuses it for the bare type', () => {
    fc.assert(
      fc.property(typed(2), ({ type }) => {
        expect(checkPuppetValue({ kind: 'Optional', type }, null)).toBeUndefined();
        expect(checkPuppetValue(type, null) === undefined).toBe(acceptsUndef(type));
      }),
    );
  });
});

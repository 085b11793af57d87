import { stringify } from 'lossless-json';
import type { DdlInputDto } from '@common/inventory';
import { initialValues, toArguments } from '../../../../ui-extension/src/web/RunAction/ddl-values';

const input = (over: Partial<DdlInputDto>): DdlInputDto => ({ name: 'x', prompt: '', description: '', type: 'string', optional: true, validation: '', maxlength: 0, list: [], default_json: '', ...over });

describe(toArguments.name, () => {
  it('types numbers, booleans and JSON by the DDL and leaves out empty optional inputs', () => {
    const inputs = [input({ name: 'count', type: 'integer' }), input({ name: 'force', type: 'boolean' }), input({ name: 'env', type: 'hash' }), input({ name: 'note' })];
    const { args, problems } = toArguments(inputs, { count: '3', force: true, env: '{"a":1}', note: '' });
    expect(problems).toEqual({});
    expect(stringify(args)).toBe('{"count":3,"force":true,"env":{"a":1}}');
  });

  it('types a number as mco rpc does, keeping 2.0 a float and 2 an integer whatever the input type', () => {
    const inputs = [input({ name: 'f', type: 'float' }), input({ name: 'i', type: 'float' })];
    expect(stringify(toArguments(inputs, { f: '2.0', i: '2' }).args)).toBe('{"f":2.0,"i":2}');
  });

  it('reports a required input left empty by its prompt', () => {
    expect(toArguments([input({ name: 'package', prompt: 'Package Name', optional: false })], { package: '  ' }).problems).toEqual({ package: 'Package Name is required' });
  });

  it('reports number text mco rpc would not read (a word, a sign, hex) by the input', () => {
    for (const text of ['three', '-5', '0x10', '1e3']) {
      expect(toArguments([input({ name: 'count', type: 'integer' })], { count: text }).problems).toEqual({ count: `count: ${text} does not look like a number (digits, or digits.digits for a float, as mco rpc reads them)` });
    }
  });

  it('reports a hash input that is not JSON', () => {
    expect(toArguments([input({ name: 'env', type: 'hash' })], { env: '{oops' }).problems).toEqual({ env: 'env must be a JSON object' });
  });
});

describe(initialValues.name, () => {
  it('starts from DDL defaults and lets stored arguments win', () => {
    const inputs = [input({ name: 'service', default_json: '"sshd"' }), input({ name: 'force', type: 'boolean', default_json: 'true' }), input({ name: 'count', type: 'integer' })];
    expect(initialValues(inputs)).toEqual({ service: 'sshd', force: true, count: '' });
    expect(initialValues(inputs, { service: 'cron', count: 5, force: false })).toEqual({ service: 'cron', force: false, count: '5' });
  });
});

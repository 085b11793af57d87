import type { DdlInputDto } from '@common/inventory';
import { initialValues, toArguments } from '../../../../ui-extension/src/web/RunAction/ddl-values';

const input = (over: Partial<DdlInputDto>): DdlInputDto => ({ name: 'x', prompt: '', description: '', type: 'string', optional: true, validation: '', maxlength: 0, list: [], default_json: '', ...over });

describe(toArguments.name, () => {
  it('types numbers, booleans and JSON by the DDL and leaves out empty optional inputs', () => {
    const inputs = [input({ name: 'count', type: 'integer' }), input({ name: 'force', type: 'boolean' }), input({ name: 'env', type: 'hash' }), input({ name: 'note' })];
    expect(toArguments(inputs, { count: '3', force: true, env: '{"a":1}', note: '' })).toEqual({ args: { count: 3, force: true, env: { a: 1 } }, problems: {} });
  });

  it('reports a required input left empty by its prompt', () => {
    expect(toArguments([input({ name: 'package', prompt: 'Package Name', optional: false })], { package: '  ' }).problems).toEqual({ package: 'Package Name is required' });
  });

  it('sends text that is not a number as text, so the server answers with the DDL rule', () => {
    expect(toArguments([input({ name: 'count', type: 'integer' })], { count: 'three' }).args).toEqual({ count: 'three' });
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

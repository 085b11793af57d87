import path from 'node:path';

import { createDdlRegistry, loadDdlDirectory } from '@proxy/actions/ddl-registry';
import { resolveAction, validateArguments } from '@proxy/actions/validate-arguments';
import { AppError } from '@proxy/errors';
import { parseExact, stringifyExact } from '@protos/json-numbers';
import { anAgentSpec, anInput } from '@test/fixtures/agent-ddl';

const shipped = loadDdlDirectory(path.resolve(__dirname, '../../../proxy-plugin/ddl'));

function registryWith(input: Record<string, unknown>) {
  return createDdlRegistry([anAgentSpec({ run: { value: input } })]);
}

function check(input: Record<string, unknown>, args: unknown): Record<string, unknown> {
  const registry = registryWith(input);
  return validateArguments(resolveAction(registry, 'test', 'run'), args);
}

function failure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe(validateArguments.name, () => {
  // [rule, input spec, a value that passes, a value that fails]
  const rules: Array<[string, Record<string, unknown>, unknown, unknown]> = [
    ['type', anInput({ type: 'string' }), 'text', 5],
    ['type', anInput({ type: 'integer' }), 3, 1.5],
    ['type', anInput({ type: 'float' }), 1.5, '1.5'],
    ['type', anInput({ type: 'number' }), 2, 'two'],
    ['type', anInput({ type: 'boolean' }), false, 'false'],
    ['type', anInput({ type: 'hash' }), { a: 1 }, [1]],
    ['type', anInput({ type: 'Hash' }), { a: 1 }, 'a'],
    ['type', anInput({ type: 'array' }), [1, 2], { a: 1 }],
    ['type', anInput({ type: 'Array' }), [], 'x'],
    ['list', anInput({ type: 'list', list: ['all', 'headers'] }), 'headers', 'everything'],
    ['maxlength', anInput({ type: 'string', validation: '.+', maxlength: 3 }), 'abc', 'abcd'],
    ['regex', anInput({ type: 'string', validation: '^[a-z]+$', maxlength: 20 }), 'nginx', 'Nginx'],
    ['regex', anInput({ type: 'string', validation: '\\A[a-z][a-z0-9_]*\\z', maxlength: 20 }), 'production', 'prod\nx'],
    ['shellsafe', anInput({ type: 'string', validation: 'shellsafe', maxlength: 90 }), 'nginx-1.2', 'nginx; rm -rf /'],
    ['shellsafe', anInput({ type: 'string', validation: 'shellsafe', maxlength: 90 }), 'a & b', 'a && b'],
    ['ipv4address', anInput({ type: 'string', validation: 'ipv4address', maxlength: 40 }), '192.168.0.1', '192.168.0.256'],
    ['ipv6address', anInput({ type: 'string', validation: 'ipv6address', maxlength: 40 }), '2001:db8::1', '192.168.0.1'],
    ['ipaddress', anInput({ type: 'string', validation: 'ipaddress', maxlength: 40 }), '::1', 'localhost'],
    ['bool', anInput({ type: 'string', validation: 'bool', maxlength: 5 }), 'true', 'yes'],
    ['bolt_task_name', anInput({ type: 'string', validation: 'bolt_task_name', maxlength: 100 }), 'apache::reload', 'Apache::Reload'],
    ['service_name', anInput({ type: 'string', validation: 'service_name', maxlength: 90 }), 'sshd@1.service', 'ss hd'],
    ['puppet_variable', anInput({ type: 'string', validation: 'puppet_variable', maxlength: 50 }), 'production', 'prod-env'],
    ['puppet_tags', anInput({ type: 'string', validation: 'puppet_tags', maxlength: 120 }), 'apache,ntp::config', 'apache,ntp-config'],
    ['puppet_server_address', anInput({ type: 'string', validation: 'puppet_server_address', maxlength: 50 }), 'puppet.example.net:8140', 'puppet.example.net:http'],
  ];

  it.each(rules)('accepts a valid value when the rule is %s (%#)', (_rule, input, good) => {
    expect(check(input, { value: good })).toEqual({ value: good });
  });

  it.each(rules)('refuses with INVALID_ARGUMENT naming the input when the rule %s is broken (%#)', (rule, input, _good, bad) => {
    const error = failure(() => check(input, { value: bad }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details).toEqual({ input: 'value', rule });
    expect(error.message).toContain('input value');
    expect(error.message).toContain(`rule ${rule}`);
  });

  it('refuses an input the action does not declare when one is given', () => {
    const error = failure(() => check(anInput({ type: 'string', optional: true }), { other: 1 }));
    expect(error.details).toEqual({ input: 'other', rule: 'unknown_input' });
  });

  it('refuses a missing required input when it has no default', () => {
    const error = failure(() => check(anInput({ type: 'string' }), {}));
    expect(error.details).toEqual({ input: 'value', rule: 'required' });
  });

  it('applies the default when a required input with a default is missing', () => {
    expect(check(anInput({ type: 'string', default: 'production' }), {})).toEqual({ value: 'production' });
  });

  it('applies the default when an optional input is missing', () => {
    expect(check(anInput({ type: 'integer', optional: true, default: 1 }), {})).toEqual({ value: 1 });
  });

  it('leaves an optional input out when it is missing and has no default', () => {
    expect(check(anInput({ type: 'integer', optional: true }), {})).toEqual({});
  });

  it('treats a null default as no default when the input is required', () => {
    const error = failure(() => check(anInput({ type: 'string', default: null }), {}));
    expect(error.details).toEqual({ input: 'value', rule: 'required' });
  });

  it('checks the regex when maxlength is 0, as MCollective does (Go Choria would skip it)', () => {
    expect(failure(() => check(anInput({ type: 'string', validation: '^[a-z]+$', maxlength: 0 }), { value: 'UPPER' })).details).toEqual({ input: 'value', rule: 'regex' });
  });

  describe('with arguments read exactly (issue 26)', () => {
    const exact = (text: string) => parseExact(text);

    it.each([
      ['integer', '{"value":5.0}', 'the float 5.0'],
      ['integer', '{"value":5e0}', 'the float 5e0'],
      ['float', '{"value":2}', 'the integer 2'],
      ['integer', '{"value":9007199254740993}', 'between -(2^53-1) and 2^53-1'],
      ['string', '{"value":null}', 'not null'],
    ])('refuses a %s input given %s, naming what it got', (type, args, words) => {
      const error = failure(() => check(anInput({ type, optional: true, validation: '.*', maxlength: 10 }), exact(args)));
      expect(error.details).toEqual({ input: 'value', rule: 'type' });
      expect(error.message).toContain(words);
    });

    it.each([
      ['integer', '{"value":5}', '5'],
      ['float', '{"value":2.0}', '2.0'],
      ['float', '{"value":1e-3}', '1e-3'],
      ['number', '{"value":2.0}', '2.0'],
      ['number', '{"value":-7}', '-7'],
    ])('accepts a %s input given %s and keeps the number as written', (type, args, text) => {
      expect(stringifyExact(check(anInput({ type }), exact(args)).value)).toBe(text);
    });

    it('refuses a line break against a regex anchored with ^ and $, naming the stricter rule', () => {
      const error = failure(() => check(anInput({ type: 'string', validation: '^[a-z]+$', maxlength: 20 }), { value: 'abc\nrm -rf' }));
      expect(error.details).toEqual({ input: 'value', rule: 'regex_newline' });
      expect(error.message).toContain('stricter than MCollective');
    });

    it('reads . in a DDL regex as Ruby does: any character but a newline, \\r included', () => {
      expect(check(anInput({ type: 'string', validation: '^a.b$', maxlength: 20 }), { value: 'a\rb' })).toEqual({ value: 'a\rb' });
    });
  });

  it('accepts any value when the type is any', () => {
    expect(check(anInput({ type: 'any' }), { value: [1, 'a'] })).toEqual({ value: [1, 'a'] });
  });

  it('refuses arguments that are not a JSON object', () => {
    const error = failure(() => check(anInput({ type: 'string', optional: true }), ['a']));
    expect(error.details).toEqual({ input: '', rule: 'arguments' });
  });

  it('counts characters, not UTF-16 units, when checking maxlength', () => {
    expect(check(anInput({ type: 'string', validation: '.+', maxlength: 2 }), { value: '😀😀' })).toEqual({ value: '😀😀' });
  });
});

describe(resolveAction.name, () => {
  const registry = createDdlRegistry(shipped.agents);

  it('refuses an unknown agent when the registry lacks it', () => {
    const error = failure(() => resolveAction(registry, 'nope', 'ping'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details).toMatchObject({ rule: 'unknown_agent' });
  });

  it('refuses an unknown action when the agent lacks it', () => {
    const error = failure(() => resolveAction(registry, 'rpcutil', 'pong'));
    expect(error.details).toMatchObject({ rule: 'unknown_action', action: 'pong' });
    expect(error.message).toContain('rpcutil#pong');
  });

  it('refuses an agent the fleet reported without a DDL', () => {
    registry.addFleetAgents([{ agent: 'nrpe' }]);
    const error = failure(() => resolveAction(registry, 'nrpe', 'runcommand'));
    expect(error.details).toMatchObject({ rule: 'no_ddl' });
  });

  it('validates the real package DDL: refuses an unsafe package name', () => {
    const error = failure(() => validateArguments(resolveAction(registry, 'package', 'install'), { package: 'nginx`id`' }));
    expect(error.details).toEqual({ input: 'package', rule: 'shellsafe' });
  });

  it('validates the real bolt_tasks DDL: applies the environment default and checks files', () => {
    const resolved = resolveAction(registry, 'bolt_tasks', 'download');
    const files = '[{"filename":"init.sh"}]';
    expect(validateArguments(resolved, { task: 'mymod::run', files })).toEqual({ task: 'mymod::run', files, environment: 'production' });
    const error = failure(() => validateArguments(resolved, { task: 'mymod::run', files: '{}' }));
    expect(error.details).toEqual({ input: 'files', rule: 'regex' });
  });
});

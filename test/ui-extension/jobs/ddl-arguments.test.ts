import type { DdlAction__Output } from '@protos/generated/rex/proxy/v1/DdlAction';
import { AppError } from '@server/errors';
import { validateJobArguments } from '@server/jobs/ddl-arguments';

/**
 * The `install` action of proxy-plugin/ddl/package.json (Choria JSON DDL), plus an `environment`
 * input taken from bolt_tasks.json for a regex and a default, and a `count` integer input.
 */
const installDdl = {
  action: 'install',
  input: {
    package: { prompt: 'Package Name', description: 'Package to install', type: 'string', default: null, optional: false, validation: 'shellsafe', maxlength: 90 },
    version: { prompt: 'Package version', description: 'Version of package to install', type: 'string', default: null, optional: true, validation: 'shellsafe', maxlength: 90 },
    environment: { prompt: 'Puppet Environment', description: 'The environment', type: 'string', default: 'production', optional: false, validation: '\\A[a-z][a-z0-9_]*\\z', maxlength: 100 },
    count: { prompt: 'Count', description: 'How many', type: 'integer', default: null, optional: true },
  } as Record<string, { prompt: string; description: string; type: string; default: unknown; optional: boolean; validation?: string; maxlength?: number; list?: string[] }>,
  display: 'always',
  description: 'Install a package',
};

/** The DdlAction the proxy sends for that DDL (proxy-plugin ddl-registry `toProtoAgentDdl`). */
const action: DdlAction__Output = {
  name: installDdl.action,
  description: installDdl.description,
  display: installDdl.display,
  inputs: Object.entries(installDdl.input).map(([name, input]) => ({
    name,
    prompt: input.prompt,
    description: input.description,
    type: input.type,
    optional: input.optional,
    validation: input.validation ?? '',
    maxlength: input.maxlength ?? 0,
    list: input.list ?? [],
    default_json: input.default === null || input.default === undefined ? '' : JSON.stringify(input.default),
    sensitive: false,
    puppet_type: '',
  })),
  outputs: [],
  aggregates: [],
};

function failure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('validateJobArguments', () => {
  it('returns the arguments when they pass every rule', () => {
    expect(validateJobArguments(action, { package: 'nginx', version: '1.2.3', environment: 'staging', count: 2 })).toEqual({
      package: 'nginx',
      version: '1.2.3',
      environment: 'staging',
      count: 2,
    });
  });

  it('applies the DDL default when an input with default_json is missing', () => {
    expect(validateJobArguments(action, { package: 'nginx' })).toEqual({ package: 'nginx', environment: 'production' });
  });

  it('refuses with 422 naming the input when a required input is missing', () => {
    const error = failure(() => validateJobArguments(action, { version: '1' }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.httpStatus).toBe(422);
    expect(error.details).toEqual({ input: 'package', rule: 'required' });
    expect(error.message).toBe('input package of install is required');
  });

  it('refuses with 422 naming the input and rule when a value has the wrong type', () => {
    const error = failure(() => validateJobArguments(action, { package: 'nginx', count: '2' }));
    expect(error.httpStatus).toBe(422);
    expect(error.details).toEqual({ input: 'count', rule: 'type' });
    expect(error.message).toContain('rule type');
  });

  it('refuses with 422 when a value does not match the DDL regex', () => {
    const error = failure(() => validateJobArguments(action, { package: 'nginx', environment: 'Prod-1' }));
    expect(error.httpStatus).toBe(422);
    expect(error.details).toEqual({ input: 'environment', rule: 'regex' });
    expect(error.message).toContain('must match');
  });

  it('refuses with 422 when a named validator fails', () => {
    const error = failure(() => validateJobArguments(action, { package: 'nginx; rm -rf /' }));
    expect(error.details).toEqual({ input: 'package', rule: 'shellsafe' });
  });

  describe('Puppet Task parameters', () => {
    const input = (name: string, puppetType: string, sensitive = false) => ({
      name, prompt: name, description: '', type: 'string', optional: false, validation: '', maxlength: 0, list: [], default_json: '', sensitive, puppet_type: puppetType,
    });
    const task: DdlAction__Output = {
      name: 'rextest::package',
      description: '',
      display: 'always',
      inputs: [input('name', 'Pattern[/\\A[a-z0-9.+-]+\\z/]'), input('version', 'Optional[String[1]]'), input('token', 'String[8]', true)],
      outputs: [],
      aggregates: [],
    };

    it('refuses with 422 naming the parameter and its type when a value breaks the Pattern', () => {
      const error = failure(() => validateJobArguments(task, { name: 'Bad Name', token: 'longenough' }));
      expect(error.httpStatus).toBe(422);
      expect(error.details).toEqual({ input: 'name', rule: 'puppet_type' });
      expect(error.message).toBe("parameter name of rextest::package must be a value of type Pattern[/\\A[a-z0-9.+-]+\\z/]: expects a match for Pattern[/\\A[a-z0-9.+-]+\\z/], got 'Bad Name'");
    });

    it('lets an Optional parameter be left out when the rest is valid', () => {
      expect(validateJobArguments(task, { name: 'nginx', token: 'longenough' })).toEqual({ name: 'nginx', token: 'longenough' });
    });

    it('keeps a sensitive value out of the message when it breaks its type', () => {
      const error = failure(() => validateJobArguments(task, { name: 'nginx', token: 'short' }));
      expect(error.details).toEqual({ input: 'token', rule: 'puppet_type' });
      expect(error.message).not.toContain('short');
    });
  });
});

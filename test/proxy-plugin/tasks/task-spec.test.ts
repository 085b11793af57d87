import { AppError } from '@proxy/errors';
import { planTask, taskActionSpec, taskInputs, taskResultData, tasksAgentSpec } from '@proxy/tasks/task-spec';
import { aTaskDetails, aTaskFile } from '@test/fixtures/puppet-task';

describe(taskInputs.name, () => {
  it('makes each parameter an input with its Puppet type, a form hint and optional when the type accepts undef', () => {
    const inputs = taskInputs(aTaskDetails({
      metadata: {
        parameters: {
          name: { description: 'Package', type: 'Pattern[/\\A[a-z]+\\z/]' },
          action: { type: 'Enum[status, install]' },
          count: { type: 'Optional[Integer[1, 10]]' },
          untyped: {},
        },
      },
    }));
    expect(inputs.get('name')).toMatchObject({ puppetType: 'Pattern[/\\A[a-z]+\\z/]', type: 'string', optional: false, description: 'Package', sensitive: false });
    expect(inputs.get('action')).toMatchObject({ type: 'list', list: ['status', 'install'], optional: false });
    expect(inputs.get('count')).toMatchObject({ type: 'integer', optional: true });
    expect(inputs.get('untyped')).toMatchObject({ puppetType: 'Any', optional: true });
  });

  it('marks a parameter sensitive when the metadata says so, its type is Sensitive or its name gives it away', () => {
    const inputs = taskInputs(aTaskDetails({ metadata: { parameters: { a: { type: 'String', sensitive: true }, b: { type: 'Sensitive[String]' }, api_token: { type: 'String' }, c: { type: 'String' } } } }));
    expect([...inputs.values()].map((i) => [i.name, i.sensitive])).toEqual([['a', true], ['b', true], ['api_token', true], ['c', false]]);
  });

  it('adds _noop only when the task supports noop', () => {
    expect(taskInputs(aTaskDetails({ metadata: { supports_noop: true } })).get('_noop')).toMatchObject({ type: 'boolean', optional: true, puppetType: 'Optional[Boolean]' });
    expect(taskInputs(aTaskDetails({ metadata: { supports_noop: false } })).has('_noop')).toBe(false);
  });

  it('keeps a parameter with a default optional and applies nothing itself', () => {
    expect(taskInputs(aTaskDetails({ metadata: { parameters: { level: { type: 'Integer', default: 3 } } } })).get('level')).toMatchObject({ optional: true, default: 3 });
  });
});

describe(taskActionSpec.name, () => {
  it('names the action after the task, shows every reply and summarises exit codes', () => {
    const spec = taskActionSpec(aTaskDetails({ name: 'mod::run', metadata: { description: 'Runs', private: true } }));
    expect(spec).toMatchObject({ name: 'mod::run', description: 'Runs (private task)', display: 'always', aggregates: [{ function: 'summary', output: 'exitcode' }] });
    expect(spec.outputs.map((o) => o.name)).toEqual(['result', 'exitcode', '_error', 'stderr', 'runtime', 'task_id']);
  });

  it('becomes part of a tasks namespace from the Puppet Server with the configured timeout', () => {
    const agent = tasksAgentSpec({ serverUrl: 'https://puppet:8140', environment: 'production', timeoutSeconds: 3600, actions: [taskActionSpec(aTaskDetails())] });
    expect(agent).toMatchObject({ source: 'puppet_server', metadata: { name: 'tasks', timeout: 3600, url: 'https://puppet:8140' } });
    expect([...agent.actions.keys()]).toEqual(['mod::task']);
  });
});

describe(planTask.name, () => {
  const multi = aTaskDetails({
    name: 'mod::multi',
    metadata: {
      input_method: 'stdin',
      files: ['mod/files/common.txt'],
      implementations: [
        { name: 'multi.ps1', requirements: ['powershell'] },
        { name: 'multi.sh', requirements: ['shell'], input_method: 'environment', files: ['mod/files/lib/'] },
      ],
    },
    files: [aTaskFile('multi.ps1'), aTaskFile('multi.sh'), aTaskFile('mod/files/lib/a.sh'), aTaskFile('mod/files/lib/b.sh'), aTaskFile('mod/files/common.txt')],
  });

  it('picks the first implementation a POSIX node can run, executable first, then its files and the common ones', () => {
    const plan = planTask(multi);
    expect(plan.files.map((f) => f.filename)).toEqual(['multi.sh', 'mod/files/lib/a.sh', 'mod/files/lib/b.sh', 'mod/files/common.txt']);
    expect(plan.inputMethod).toBe('environment');
  });

  it('refuses with FAILED_PRECONDITION when no implementation fits the node', () => {
    expect(() => planTask(multi, ['windows'])).toThrow(AppError);
    expect(() => planTask(multi, ['windows'])).toThrow(/no implementation for nodes with windows/);
  });

  it('takes the executable that is not PowerShell and defaults the input method to both without implementations', () => {
    const plan = planTask(aTaskDetails({ metadata: {}, files: [aTaskFile('t.ps1'), aTaskFile('t.sh')] }));
    expect(plan.files.map((f) => f.filename)).toEqual(['t.sh']);
    expect(plan.inputMethod).toBe('both');
  });

  it('refuses a metadata file entry the server does not list', () => {
    expect(() => planTask(aTaskDetails({ metadata: { files: ['mod/files/missing.txt'] } }))).toThrow(/does not list/);
  });
});

describe(taskResultData.name, () => {
  it('parses a JSON object on stdout and lifts its _error', () => {
    const data = taskResultData({ stdout: JSON.stringify({ a: 1, _error: { kind: 'k', msg: 'm' } }), exitcode: 1, stderr: 'e', runtime: 1.5, task_id: 't', start_time: 5 });
    expect(data).toEqual({ result: { a: 1, _error: { kind: 'k', msg: 'm' } }, exitcode: 1, stderr: 'e', runtime: 1.5, task_id: 't', start_time: 5, _error: { kind: 'k', msg: 'm' } });
  });

  it('keeps stdout that is not a JSON object as _output', () => {
    expect(taskResultData({ stdout: '[1,2]', exitcode: 0, stderr: '', runtime: 0, task_id: 't' }).result).toEqual({ _output: '[1,2]' });
    expect(taskResultData({ stdout: 'plain', exitcode: 0, stderr: '', runtime: 0, task_id: 't' }).result).toEqual({ _output: 'plain' });
  });
});

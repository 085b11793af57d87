import type { DdlInputDto } from '@common/inventory';
import type { NamespaceAction } from '@common/jobs';
import { taskMetadata } from '../../../../ui-extension/src/web/RunAction/task-metadata';

const input = (over: Partial<DdlInputDto>): DdlInputDto => ({ name: 'x', prompt: '', description: '', type: 'string', optional: true, validation: '', maxlength: 0, list: [], default_json: '', puppet_type: '', ...over });
const action = (over: Partial<NamespaceAction>): NamespaceAction => ({ name: 'mymod::restart', description: 'Restart a service', display: 'always', inputs: [], outputs: [], aggregates: [], ...over });

describe(taskMetadata.name, () => {
  it('lists the parameters with their Puppet types, required or not, defaults and sensitivity when the task has them', () => {
    const task = taskMetadata(action({
      inputs: [
        input({ name: 'service', puppet_type: 'String[1]', optional: false, description: 'The service' }),
        input({ name: 'timeout', puppet_type: 'Optional[Integer[1]]', default_json: '30' }),
        input({ name: 'password', puppet_type: 'Sensitive[String]', sensitive: true }),
      ],
    }));
    expect(task.parameters).toEqual([
      { name: 'service', type: 'String[1]', required: true, defaultJson: '', sensitive: false, description: 'The service' },
      { name: 'timeout', type: 'Optional[Integer[1]]', required: false, defaultJson: '30', sensitive: false, description: '' },
      { name: 'password', type: 'Sensitive[String]', required: false, defaultJson: '', sensitive: true, description: '' },
    ]);
    expect(task.usage).toBe('tasks.mymod::restart service=<String[1]> [timeout=<Optional[Integer[1]]>] [password=<Sensitive[String]>]');
  });

  it('reports no-op support from the _noop input and keeps that input out of the parameters', () => {
    const task = taskMetadata(action({ inputs: [input({ name: '_noop', type: 'boolean', puppet_type: 'Optional[Boolean]' })] }));
    expect(task.supportsNoop).toBe(true);
    expect(task.parameters).toEqual([]);
    expect(task.usage).toBe('tasks.mymod::restart [_noop=true]');
    expect(taskMetadata(action({})).supportsNoop).toBe(false);
  });

  it('marks a private task and strips the marker from its description', () => {
    expect(taskMetadata(action({ description: 'Internal helper (private task)' }))).toMatchObject({ private: true, description: 'Internal helper' });
    expect(taskMetadata(action({}))).toMatchObject({ private: false, description: 'Restart a service' });
  });

  it('shows Any for a parameter whose metadata declares no type', () => {
    expect(taskMetadata(action({ inputs: [input({ name: 'anything' })] })).parameters[0].type).toBe('Any');
  });
});

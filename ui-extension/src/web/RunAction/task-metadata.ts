import type { DdlInputDto } from '@common/inventory';
import type { NamespaceAction } from '@common/jobs';

/** The namespace a proxy serves Puppet Tasks under, one action per task (proxy-plugin/src/tasks/task-spec.ts). */
export const TASKS_NAMESPACE = 'tasks';
/** The input the proxy adds to a task whose metadata says `supports_noop`. */
const NOOP_INPUT = '_noop';
/** The proxy marks a task the Puppet Server lists as private with this suffix on its description. */
const PRIVATE_SUFFIX = '(private task)';

export interface TaskParameter {
  name: string;
  /** The Puppet type as the task's metadata declares it (`Any` when it declares none). */
  type: string;
  required: boolean;
  /** The default as JSON text, '' when there is none. */
  defaultJson: string;
  sensitive: boolean;
  description: string;
}

/** A task's metadata as `puppet task show <task>` presents it. */
export interface TaskMetadata {
  name: string;
  description: string;
  private: boolean;
  supportsNoop: boolean;
  parameters: TaskParameter[];
  /** One line naming every parameter with its type; optional ones in brackets, as in `puppet task show`'s usage. */
  usage: string;
}

/** Reads a `tasks` action of `/remote_execution/namespaces` back into the task's metadata. */
export function taskMetadata(action: NamespaceAction): TaskMetadata {
  const inputs = action.inputs as DdlInputDto[];
  const description = action.description.trim();
  const isPrivate = description.endsWith(PRIVATE_SUFFIX);
  const parameters = inputs
    .filter((i) => i.name !== NOOP_INPUT)
    .map((i) => ({
      name: i.name,
      type: i.puppet_type || 'Any',
      required: !i.optional,
      defaultJson: i.default_json,
      sensitive: i.sensitive === true,
      description: i.description,
    }));
  const usage = [
    `${TASKS_NAMESPACE}.${action.name}`,
    ...parameters.map((p) => (p.required ? `${p.name}=<${p.type}>` : `[${p.name}=<${p.type}>]`)),
    ...(inputs.some((i) => i.name === NOOP_INPUT) ? [`[${NOOP_INPUT}=true]`] : []),
  ].join(' ');
  return {
    name: action.name,
    description: isPrivate ? description.slice(0, -PRIVATE_SUFFIX.length).trim() : description,
    private: isPrivate,
    supportsNoop: inputs.some((i) => i.name === NOOP_INPUT),
    parameters,
    usage,
  };
}

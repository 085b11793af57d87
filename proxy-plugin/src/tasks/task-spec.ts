/**
 * Puppet Tasks as the proxy presents and runs them: each task of the environment becomes an action
 * `module::task` of the namespace `tasks`, whose inputs are the task's parameters checked against
 * their Puppet types (protos/puppet-types.ts). Running one needs a plan: which implementation a
 * POSIX node runs, the files it downloads (the executable first, as the bolt_tasks agent takes the
 * first file as the command), and how the input reaches the task.
 */
import { acceptsUndef, ddlTypeHint, isSensitiveType, parsePuppetType } from '@protos/puppet-types';
import { SENSITIVE_INPUT_NAME, type ActionSpec, type AgentSpec, type InputSpec, type OutputSpec } from '@proxy/actions/ddl-registry';
import { AppError } from '@proxy/errors';

import type { TaskDetails, TaskFile, TaskListEntry } from './puppet-server.client';

/** The namespace tasks appear in. */
export const TASKS_AGENT = 'tasks';
/** The Choria agent that downloads and runs them on the nodes. */
export const BOLT_TASKS_AGENT = 'bolt_tasks';
/** Bolt's reserved parameter asking a task that supports it for a no-operation run. */
export const NOOP_INPUT = '_noop';
/** Bolt's feature names of a POSIX node with a Puppet agent, which is what Choria nodes are. */
export const POSIX_FEATURES: readonly string[] = ['shell', 'puppet-agent'];

export type InputMethod = 'stdin' | 'environment' | 'both' | 'powershell';
const INPUT_METHODS: readonly string[] = ['stdin', 'environment', 'both', 'powershell'];

export interface TaskPlan {
  task: string;
  /** The executable first, then the files it needs. */
  files: TaskFile[];
  inputMethod: InputMethod;
  supportsNoop: boolean;
}

const OUTPUTS: OutputSpec[] = [
  { name: 'result', description: 'The task result: its stdout parsed as a JSON object, or {"_output": stdout} when it is not JSON', displayAs: 'Result', type: 'hash' },
  { name: 'exitcode', description: 'Exit code of the task', displayAs: 'Exit Code', type: 'integer' },
  { name: '_error', description: 'The error the task or its runner reported (kind, msg, details)', displayAs: 'Error', type: 'hash' },
  { name: 'stderr', description: 'Standard error of the task', displayAs: 'STDERR', type: 'string' },
  { name: 'runtime', description: 'Seconds the task ran', displayAs: 'Runtime', type: 'number' },
  { name: 'task_id', description: 'The bolt_tasks task id (the request id of the run)', displayAs: 'Task ID', type: 'string' },
];

/** The inputs of one task: its parameters with their Puppet types, plus `_noop` when supported. */
export function taskInputs(details: TaskDetails): Map<string, InputSpec> {
  const inputs = new Map<string, InputSpec>();
  for (const [name, parameter] of Object.entries(details.metadata.parameters ?? {})) {
    const typeText = typeof parameter.type === 'string' && parameter.type.trim() !== '' ? parameter.type : 'Any';
    const parsed = parsePuppetType(typeText);
    const hint = parsed.ok ? ddlTypeHint(parsed.type) : { type: 'any' };
    const hasDefault = parameter.default !== undefined && parameter.default !== null;
    inputs.set(name, {
      name,
      prompt: name,
      description: parameter.description ?? '',
      type: hint.type,
      list: 'list' in hint ? hint.list : undefined,
      // An unparseable type refuses every value at validation, with the parse error as the reason.
      optional: parsed.ok ? acceptsUndef(parsed.type) || hasDefault : false,
      default: hasDefault ? parameter.default : undefined,
      sensitive: parameter.sensitive === true || (parsed.ok && isSensitiveType(parsed.type)) || SENSITIVE_INPUT_NAME.test(name),
      puppetType: typeText,
    });
  }
  if (details.metadata.supports_noop === true && !inputs.has(NOOP_INPUT)) {
    inputs.set(NOOP_INPUT, {
      name: NOOP_INPUT,
      prompt: 'No-op',
      description: 'Run the task in no-operation mode (the task supports it)',
      type: 'boolean',
      optional: true,
      sensitive: false,
      puppetType: 'Optional[Boolean]',
    });
  }
  return inputs;
}

export function taskActionSpec(details: TaskDetails, listed?: TaskListEntry): ActionSpec {
  const metadata = details.metadata;
  const description = metadata.description ?? listed?.description ?? '';
  return {
    name: details.name,
    description: metadata.private === true || listed?.private === true ? `${description} (private task)`.trim() : description,
    display: 'always',
    inputs: taskInputs(details),
    outputs: OUTPUTS,
    aggregates: [{ function: 'summary', output: 'exitcode', options: [] }],
  };
}

/** The `tasks` namespace of one environment, with an action per task. */
export function tasksAgentSpec(options: { serverUrl: string; environment: string; timeoutSeconds: number; actions: ActionSpec[] }): AgentSpec {
  return {
    metadata: {
      name: TASKS_AGENT,
      description: `Puppet Tasks of environment ${options.environment} on ${options.serverUrl}, run through bolt_tasks`,
      author: '',
      license: '',
      version: '',
      url: options.serverUrl,
      timeout: options.timeoutSeconds,
    },
    actions: new Map(options.actions.map((action) => [action.name, action])),
    source: 'puppet_server',
  };
}

function extension(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > filename.lastIndexOf('/') ? filename.slice(dot) : '';
}

/** Files named by metadata `files` entries; an entry ending in `/` names a whole directory. */
function extraFiles(details: TaskDetails, names: readonly string[]): TaskFile[] {
  const picked: TaskFile[] = [];
  for (const name of names) {
    const matches = name.endsWith('/') ? details.files.filter((f) => f.filename.startsWith(name)) : details.files.filter((f) => f.filename === name);
    if (matches.length === 0) throw new AppError('FAILED_PRECONDITION', `task ${details.name} names the file ${name}, which the Puppet Server does not list`);
    for (const file of matches) if (!picked.includes(file)) picked.push(file);
  }
  return picked;
}

function inputMethodOf(value: string | undefined, executable: string): InputMethod {
  if (value !== undefined) {
    if (!INPUT_METHODS.includes(value)) throw new AppError('FAILED_PRECONDITION', `input_method ${JSON.stringify(value)} is not one of ${INPUT_METHODS.join(', ')}`);
    return value as InputMethod;
  }
  // The bolt_tasks node default: powershell for .ps1, else both.
  return extension(executable) === '.ps1' ? 'powershell' : 'both';
}

/**
 * What a node with `features` runs: the first implementation whose requirements it meets (Bolt's
 * rule), or the task's single executable; the executable first, then its extra files.
 */
export function planTask(details: TaskDetails, features: readonly string[] = POSIX_FEATURES): TaskPlan {
  const metadata = details.metadata;
  const common = metadata.files ?? [];
  let executable: TaskFile | undefined;
  let extra: readonly string[] = common;
  let method = metadata.input_method;
  if (metadata.implementations && metadata.implementations.length > 0) {
    const implementation = metadata.implementations.find((impl) => (impl.requirements ?? []).every((r) => features.includes(r)));
    if (!implementation) {
      throw new AppError('FAILED_PRECONDITION', `task ${details.name} has no implementation for nodes with ${features.join(', ')}; it offers ${metadata.implementations.map((i) => `${i.name} (${(i.requirements ?? []).join(', ') || 'no requirements'})`).join(', ')}`);
    }
    executable = details.files.find((f) => f.filename === implementation.name);
    extra = [...(implementation.files ?? []), ...common];
    method = implementation.input_method ?? method;
  } else {
    const executables = details.files.filter((f) => !f.filename.includes('/'));
    executable = executables.find((f) => extension(f.filename) !== '.ps1') ?? executables[0];
  }
  if (!executable) throw new AppError('FAILED_PRECONDITION', `the Puppet Server lists no executable for task ${details.name}`);
  const files = [executable, ...extraFiles(details, extra).filter((f) => f !== executable)];
  return { task: details.name, files, inputMethod: inputMethodOf(method, executable.filename), supportsNoop: metadata.supports_noop === true };
}

/**
 * The result of a finished run as the job shows it: the task's JSON object (or its raw stdout as
 * `_output`), with `_error` lifted out so that a failure's reason is one field away.
 */
export function taskResultData(status: { stdout: unknown; exitcode: unknown; stderr: unknown; runtime: unknown; task_id: string; start_time?: unknown }): Record<string, unknown> {
  let result: Record<string, unknown>;
  if (typeof status.stdout === 'string') {
    try {
      const parsed: unknown = JSON.parse(status.stdout);
      result = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { _output: status.stdout };
    } catch {
      result = { _output: status.stdout };
    }
  } else if (typeof status.stdout === 'object' && status.stdout !== null && !Array.isArray(status.stdout)) {
    result = status.stdout as Record<string, unknown>;
  } else {
    result = {};
  }
  const data: Record<string, unknown> = {
    result,
    exitcode: typeof status.exitcode === 'number' ? status.exitcode : null,
    stderr: typeof status.stderr === 'string' ? status.stderr : '',
    runtime: typeof status.runtime === 'number' ? status.runtime : null,
    task_id: status.task_id,
  };
  if (typeof status.start_time === 'number') data.start_time = status.start_time;
  if (result._error !== undefined) data._error = result._error;
  return data;
}

/**
 * Checks an action's arguments against its DDL before anything reaches the broker, the way a Choria
 * client (and a Go node) would: unknown action or input, required inputs, types, `validation`,
 * `maxlength` and list values; then applies DDL defaults to missing inputs.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';

import { AppError } from '@proxy/errors';

import type { ActionSpec, AgentSpec, DdlRegistry, InputSpec } from './ddl-registry';

export interface ResolvedAction {
  agent: AgentSpec;
  action: ActionSpec;
}

function invalid(message: string, details: Record<string, unknown>): AppError {
  return new AppError('INVALID_ARGUMENT', message, { details });
}

/** The DDL of agent#action, or INVALID_ARGUMENT saying which part is unknown. */
export function resolveAction(registry: DdlRegistry, agentName: string, actionName: string): ResolvedAction {
  const agent = registry.get(agentName);
  if (!agent) {
    throw invalid(`unknown agent ${agentName}; known agents: ${registry.list().map((a) => a.metadata.name).join(', ')}`, { agent: agentName, rule: 'unknown_agent' });
  }
  if (agent.actions.size === 0) {
    throw invalid(`agent ${agentName} has no DDL on this proxy, so its actions cannot be validated; add its DDL to the DDL directory`, { agent: agentName, rule: 'no_ddl' });
  }
  const action = agent.actions.get(actionName);
  if (!action) {
    throw invalid(`unknown action ${agentName}#${actionName}; known actions: ${[...agent.actions.keys()].join(', ')}`, { agent: agentName, action: actionName, rule: 'unknown_action' });
  }
  return { agent, action };
}

/** Characters the mcollective/Choria `shellsafe` validator refuses. */
const SHELL_UNSAFE = ['`', '$', ';', '|', '&&', '>', '<'];
const PUPPET_VARIABLE = /^[a-zA-Z0-9_]+$/;
const HOSTNAME = /^(([a-zA-Z]|[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([A-Za-z]|[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9])$/;

type NamedValidator = (value: unknown) => string | undefined;

function stringValidator(check: (value: string) => string | undefined): NamedValidator {
  return (value) => (typeof value === 'string' ? check(value) : 'must be a string');
}

function shellsafe(value: string): string | undefined {
  const bad = SHELL_UNSAFE.find((c) => value.includes(c));
  return bad === undefined ? undefined : `must not contain ${bad}`;
}

/**
 * Go Choria implements shellsafe and the IP address validators; the other names are the Ruby
 * validator plugins the real DDLs use (choria-plugins puppet-agent and service-agent,
 * mcorpc-ruby-support bolt_task_name), ported from their Ruby code. Any other string is a regex.
 */
const NAMED_VALIDATORS: Readonly<Record<string, NamedValidator>> = {
  shellsafe: stringValidator(shellsafe),
  ipv4address: stringValidator((v) => (isIPv4(v) ? undefined : 'must be an IPv4 address')),
  ipv6address: stringValidator((v) => (isIPv6(v) ? undefined : 'must be an IPv6 address')),
  ipaddress: stringValidator((v) => (isIP(v) !== 0 ? undefined : 'must be an IP address')),
  bool: (v) => (typeof v === 'boolean' || v === 'true' || v === 'false' ? undefined : 'must be true or false'),
  boolean: (v) => (typeof v === 'boolean' || v === 'true' || v === 'false' ? undefined : 'must be true or false'),
  bolt_task_name: stringValidator((v) => (/^([a-z][a-z0-9_]*)?(::[a-z][a-z0-9_]*)*$/.test(v) ? undefined : 'must be a task name such as mymodule::mytask')),
  service_name: stringValidator((v) => (/^[a-zA-Z.\-_\d:@]+$/.test(v) ? undefined : 'must be a service name')),
  puppet_variable: stringValidator((v) => (PUPPET_VARIABLE.test(v) ? undefined : 'must be a Puppet variable name')),
  puppet_tags: stringValidator((v) => {
    const unsafe = shellsafe(v);
    if (unsafe) return unsafe;
    const ok = v.split(',').every((tag) => tag.split('::').every((part) => PUPPET_VARIABLE.test(part)));
    return ok ? undefined : 'must be a comma-separated list of Puppet tags';
  }),
  puppet_server_address: stringValidator((v) => {
    const unsafe = shellsafe(v);
    if (unsafe) return unsafe;
    const [host, port] = v.split(':');
    if (host && !HOSTNAME.test(host)) return 'must be a host name, optionally with :port';
    if (port !== undefined && !/^\d+$/.test(port)) return 'must have a numeric port';
    return undefined;
  }),
};

const regexCache = new Map<string, RegExp | Error>();

/**
 * DDL regexes are written for Ruby or Go, whose `\A`, `\z` and `\Z` anchors JavaScript lacks.
 * Without the `m` flag JavaScript's `^` and `$` anchor the whole string, which is what they mean.
 */
function compileDdlRegex(source: string): RegExp | Error {
  let compiled = regexCache.get(source);
  if (compiled === undefined) {
    const translated = source
      .replace(/(?<!\\)((?:\\\\)*)\\A/g, '$1^')
      .replace(/(?<!\\)((?:\\\\)*)\\z/g, '$1$')
      .replace(/(?<!\\)((?:\\\\)*)\\Z/g, '$1(?=\\n?$)');
    try {
      compiled = new RegExp(translated);
    } catch (error) {
      compiled = error as Error;
    }
    regexCache.set(source, compiled);
  }
  return compiled;
}

function typeProblem(input: InputSpec, value: unknown): string | undefined {
  switch (input.type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'integer':
      return Number.isInteger(value) ? undefined : 'must be an integer';
    // JSON cannot tell 1.0 from 1, and Go decodes both as float64, so any number is a float.
    case 'float':
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be a boolean (true or false)';
    case 'hash':
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? undefined : 'must be a JSON object';
    case 'array':
      return Array.isArray(value) ? undefined : 'must be a JSON array';
    case 'list':
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? undefined : 'must be one of the listed values';
    default:
      return undefined;
  }
}

function characterCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** The first rule the value breaks, as [rule, message]. */
function ruleProblem(input: InputSpec, value: unknown): [string, string] | undefined {
  const typeError = typeProblem(input, value);
  if (typeError) return ['type', typeError];
  if (input.type === 'list' && input.list && !input.list.includes(String(value))) {
    return ['list', `must be one of ${input.list.join(', ')}`];
  }
  if (typeof value === 'string' && input.maxlength !== undefined && input.maxlength > 0) {
    if (value.length > input.maxlength && characterCount(value) > input.maxlength) {
      return ['maxlength', `must be at most ${input.maxlength} characters`];
    }
  }
  if (!input.validation) return undefined;
  const named = NAMED_VALIDATORS[input.validation];
  if (named) {
    const problem = named(value);
    return problem ? [input.validation, problem] : undefined;
  }
  if (typeof value !== 'string') return undefined;
  // Go Choria skips the regex of a string input with maxlength 0 (choria-protocol.md §19.11); the
  // node would accept the value, so refusing it here would only make the proxy stricter than Choria.
  if (input.type === 'string' && input.maxlength === 0) return undefined;
  const regex = compileDdlRegex(input.validation);
  if (regex instanceof Error) return ['regex', `cannot be checked: the DDL regex ${input.validation} is invalid`];
  return regex.test(value) ? undefined : ['regex', `must match ${input.validation}`];
}

/**
 * Validates the arguments of one action and returns them with DDL defaults applied.
 * Throws AppError INVALID_ARGUMENT with details {input, rule} for the first problem found.
 */
export function validateArguments(resolved: ResolvedAction, args: unknown): Record<string, unknown> {
  const where = `${resolved.agent.metadata.name}#${resolved.action.name}`;
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw invalid(`arguments of ${where} must be a JSON object`, { input: '', rule: 'arguments' });
  }
  const given = args as Record<string, unknown>;
  const { inputs } = resolved.action;
  for (const name of Object.keys(given)) {
    if (!inputs.has(name)) {
      const known = [...inputs.keys()];
      throw invalid(`input ${name} is not an input of ${where}${known.length ? `; inputs are ${known.join(', ')}` : ', which takes none'}`, { input: name, rule: 'unknown_input' });
    }
  }
  const data: Record<string, unknown> = {};
  for (const input of inputs.values()) {
    const value = given[input.name];
    if (value === undefined || value === null) {
      if (input.default !== undefined) data[input.name] = input.default;
      else if (!input.optional) throw invalid(`input ${input.name} of ${where} is required`, { input: input.name, rule: 'required' });
      continue;
    }
    const problem = ruleProblem(input, value);
    if (problem) {
      const [rule, message] = problem;
      throw invalid(`input ${input.name} of ${where} ${message} (rule ${rule})`, { input: input.name, rule });
    }
    data[input.name] = value;
  }
  return data;
}

/**
 * The DDL rules for an action's arguments, shared by both ends.
 *
 * This lives in `protos/` because the DDL is part of the contract between the ui-extension and the
 * proxy (the proxy sends it as `rex.proxy.v1.DdlAction`), and validation happens at both ends
 * (ARCHITECTURE.md invariant): the ui-extension checks before creating a job, to answer the user
 * well, and the proxy checks again because it can be reached directly. `protos/` is the only code
 * both may import (STYLE.md §2), so the rules are written once, here, and cannot drift apart.
 *
 * Pure: no exceptions and no error types; each end turns a {@link DdlProblem} into its own error.
 * Checks unknown inputs, required inputs, types, `validation`, `maxlength` and list values, the way
 * a Choria client (and a Go node) would, then applies DDL defaults to missing inputs.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';

import { acceptsUndef, checkPuppetValue, parsePuppetType, type PuppetType } from './puppet-types';

/** The part of a DDL input the rules need. */
export interface DdlInputRule {
  name: string;
  /** string, integer, float, number, boolean, list, hash, array, any (compared lower case). */
  type: string;
  optional: boolean;
  /** A named validator (shellsafe, ipv4address, ...) or a regex; empty or undefined for none. */
  validation?: string;
  /** 0 or undefined: no limit; 0 also skips the regex of a string input, as in Go Choria. */
  maxlength?: number;
  /** Allowed values of a list input; undefined for none. */
  list?: string[];
  /** Undefined when the DDL declares none. */
  default?: unknown;
  /**
   * A Puppet Task parameter's type expression: when set it is the only rule checked (the other
   * fields are form hints), and a parameter whose type accepts undef may be left out.
   */
  puppetType?: string;
  /** Sensitive values are kept out of problem messages. */
  sensitive?: boolean;
}

/** The first rule broken: `input` is '' when the arguments as a whole are wrong. */
export interface DdlProblem {
  input: string;
  rule: string;
  message: string;
}

export type DdlValidationResult =
  | { ok: true; data: Record<string, unknown> }
  | { ok: false; problem: DdlProblem };

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

function typeProblem(type: string, value: unknown): string | undefined {
  switch (type) {
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
function ruleProblem(input: DdlInputRule, value: unknown): [string, string] | undefined {
  const type = input.type.toLowerCase();
  const typeError = typeProblem(type, value);
  if (typeError) return ['type', typeError];
  if (type === 'list' && input.list && !input.list.includes(String(value))) {
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
  // node would accept the value, so refusing it here would only be stricter than Choria.
  if (type === 'string' && input.maxlength === 0) return undefined;
  const regex = compileDdlRegex(input.validation);
  if (regex instanceof Error) return ['regex', `cannot be checked: the DDL regex ${input.validation} is invalid`];
  return regex.test(value) ? undefined : ['regex', `must match ${input.validation}`];
}

const puppetTypeCache = new Map<string, ReturnType<typeof parsePuppetType>>();

function puppetTypeOf(text: string): ReturnType<typeof parsePuppetType> {
  let parsed = puppetTypeCache.get(text);
  if (!parsed) {
    parsed = parsePuppetType(text);
    puppetTypeCache.set(text, parsed);
  }
  return parsed;
}

/**
 * Validates the arguments of one action against its inputs (in DDL order) and returns them with
 * DDL defaults applied, or the first problem found. `where` names the action in messages
 * (`agent#action`).
 */
export function validateDdlArguments(inputs: readonly DdlInputRule[], args: unknown, where: string): DdlValidationResult {
  const fail = (input: string, rule: string, message: string): DdlValidationResult => ({ ok: false, problem: { input, rule, message } });
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    return fail('', 'arguments', `arguments of ${where} must be a JSON object`);
  }
  const given = args as Record<string, unknown>;
  const known = inputs.map((input) => input.name);
  for (const name of Object.keys(given)) {
    if (!known.includes(name)) {
      return fail(name, 'unknown_input', `input ${name} is not an input of ${where}${known.length ? `; inputs are ${known.join(', ')}` : ', which takes none'}`);
    }
  }
  const data: Record<string, unknown> = {};
  for (const input of inputs) {
    const value = given[input.name];
    if (input.puppetType) {
      const parsed = puppetTypeOf(input.puppetType);
      if (!parsed.ok) return fail(input.name, 'puppet_type', `parameter ${input.name} of ${where} cannot be checked: ${parsed.message}`);
      const problem = puppetProblem(input, parsed.type, value, where);
      if (problem) return fail(input.name, 'puppet_type', problem);
      if (value !== undefined && value !== null) data[input.name] = value;
      else if (input.default !== undefined && input.default !== null) data[input.name] = input.default;
      continue;
    }
    if (value === undefined || value === null) {
      if (input.default !== undefined && input.default !== null) data[input.name] = input.default;
      else if (!input.optional) return fail(input.name, 'required', `input ${input.name} of ${where} is required`);
      continue;
    }
    const problem = ruleProblem(input, value);
    if (problem) {
      const [rule, message] = problem;
      return fail(input.name, rule, `input ${input.name} of ${where} ${message} (rule ${rule})`);
    }
    data[input.name] = value;
  }
  return { ok: true, data };
}

/** A task parameter's problem: missing though its type needs a value, or a value of another type. */
function puppetProblem(input: DdlInputRule, type: PuppetType, value: unknown, where: string): string | undefined {
  const typeText = input.puppetType as string;
  if (value === undefined || value === null) {
    const hasDefault = input.default !== undefined && input.default !== null;
    return hasDefault || acceptsUndef(type) ? undefined : `parameter ${input.name} of ${where} is required (type ${typeText})`;
  }
  const mismatch = checkPuppetValue(type, value, { conceal: input.sensitive === true });
  if (!mismatch) return undefined;
  const at = mismatch.path ? ` at ${mismatch.path}` : '';
  return `parameter ${input.name} of ${where} must be a value of type ${typeText}${at}: ${mismatch.message}`;
}

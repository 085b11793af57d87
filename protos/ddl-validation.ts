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
 * Checks unknown inputs, required inputs, types, `validation`, `maxlength` and list values the way
 * MCollective's own validator does (mcollective/ddl/base.rb validate_input_argument and the
 * validator plugins), then applies DDL defaults to missing inputs. The rules, and where mco-rex is
 * deliberately stricter, are written down in docs/USAGE.md "Input types"; a table-driven test runs
 * them against the Ruby validator (test/protos/ddl-validation.int.test.ts).
 *
 * Numbers are read exactly (protos/json-numbers.ts): an integer input takes `5`, not `5.0` or `5e0`
 * (Ruby's `is_a?(Integer)`), a float input takes `2.0`, not `2` (`is_a?(Float)`). JS numbers from
 * callers that did not parse exactly are read as integers when whole.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';

import { isAnyNumber, isIntegerNumber, JsonNumber, numberText } from './json-numbers';
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
 * A DDL regex (Ruby syntax) as a JavaScript RegExp with Ruby's meaning for the values it sees:
 * `\A`, `\z` and `\Z` become their JavaScript forms, `\h` a hex digit, and `.` outside a class
 * any character but a newline (Ruby's `.` matches `\r`, JavaScript's does not). `^` and `$` stay:
 * without the `m` flag they anchor the whole value, which is Ruby's meaning for a value without a
 * newline; a value with one is refused before (see ANCHORED).
 */
function compileDdlRegex(source: string): RegExp | Error {
  let compiled = regexCache.get(source);
  if (compiled === undefined) {
    let out = '';
    let inClass = 0;
    for (let i = 0; i < source.length; i++) {
      const c = source[i];
      if (c === '\\' && i + 1 < source.length) {
        const next = source[++i];
        if (inClass === 0 && next === 'A') out += '^';
        else if (inClass === 0 && next === 'z') out += '$';
        else if (inClass === 0 && next === 'Z') out += '(?=\\n?$)';
        else if (next === 'h') out += inClass > 0 ? '0-9a-fA-F' : '[0-9a-fA-F]';
        else if (next === 'H' && inClass === 0) out += '[^0-9a-fA-F]';
        else out += c + next;
      } else if (c === '[') {
        inClass++;
        out += c;
      } else if (c === ']' && inClass > 0) {
        inClass--;
        out += c;
      } else if (c === '.' && inClass === 0) {
        out += '[^\\n]';
      } else {
        out += c;
      }
    }
    try {
      compiled = new RegExp(out);
    } catch (error) {
      compiled = error as Error;
    }
    regexCache.set(source, compiled);
  }
  return compiled;
}

/** `^` or `$` outside a class and not escaped: Ruby anchors them at every line of the value. */
function hasLineAnchor(source: string): boolean {
  let inClass = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '[') inClass++;
    else if (c === ']' && inClass > 0) inClass--;
    else if (inClass === 0 && (c === '^' || c === '$')) return true;
  }
  return false;
}

/**
 * Integers outside ±(2^53-1) are refused (stricter than MCollective, whose Integer has no limit):
 * Go Choria nodes read every JSON number as a double and would change them, and the MCollective
 * encoder writes numbers through one too.
 */
const SAFE_INTEGER_TEXT_MAX_DIGITS = 16;

function unsafeInteger(value: unknown): boolean {
  const text = numberText(value);
  if (text === undefined || !isIntegerNumber(value)) return false;
  const digits = text.replace(/^-/, '');
  return digits.length >= SAFE_INTEGER_TEXT_MAX_DIGITS && !Number.isSafeInteger(Number(text));
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  const text = numberText(value);
  if (text !== undefined) return `${isIntegerNumber(value) ? 'the integer' : 'the float'} ${text}`;
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return `the boolean ${value}`;
  return Array.isArray(value) ? 'an array' : 'an object';
}

function typeProblem(type: string, value: unknown): string | undefined {
  // MCollective validates a nil it is given like any value, and no type takes it.
  if (value === null) return `must be ${TYPE_NAMES[type] ?? 'a value'}, not null (leave the input out for its default)`;
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : `must be a string, not ${describeValue(value)}`;
    case 'integer':
      if (!isIntegerNumber(value)) return isAnyNumber(value) ? `must be an integer, not ${describeValue(value)} (MCollective refuses a Float for an integer input)` : `must be an integer, not ${describeValue(value)}`;
      return unsafeInteger(value) ? 'must be an integer between -(2^53-1) and 2^53-1 (stricter than MCollective: Choria nodes read numbers as doubles)' : undefined;
    case 'float':
      if (!isAnyNumber(value)) return `must be a float, not ${describeValue(value)}`;
      return isIntegerNumber(value) ? `must be a float, not ${describeValue(value)} (MCollective refuses an Integer for a float input; write ${numberText(value)}.0)` : undefined;
    case 'number':
      if (!isAnyNumber(value)) return `must be a number, not ${describeValue(value)}`;
      return unsafeInteger(value) ? 'must be a number; integers between -(2^53-1) and 2^53-1 only (stricter than MCollective: Choria nodes read numbers as doubles)' : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be a boolean (true or false), not ${describeValue(value)}`;
    case 'hash':
      return typeof value === 'object' && !Array.isArray(value) && !isAnyNumber(value) ? undefined : 'must be a JSON object';
    case 'array':
      return Array.isArray(value) ? undefined : 'must be a JSON array';
    case 'list':
      return typeof value === 'string' || isAnyNumber(value) || typeof value === 'boolean' ? undefined : 'must be one of the listed values';
    default:
      return undefined;
  }
}

const TYPE_NAMES: Readonly<Record<string, string>> = { string: 'a string', integer: 'an integer', float: 'a float', number: 'a number', boolean: 'a boolean', hash: 'a JSON object', array: 'a JSON array', list: 'one of the listed values' };

/**
 * A DDL default as its input's type: a whole-number default of a float input (`:default => 1.0`
 * reaches here as 1 through JS) is the Float 1.0, so the node gets what its DDL says.
 */
function typedDefault(input: DdlInputRule): unknown {
  if (input.type.toLowerCase() === 'float' && isIntegerNumber(input.default)) return new JsonNumber(`${numberText(input.default)}.0`);
  return input.default;
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
  if (type === 'list' && input.list && !input.list.includes(numberText(value) ?? String(value))) {
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
  // MCollective checks the regex whatever maxlength says (Go Choria skips it at maxlength 0,
  // choria-protocol.md §19.11; checking it is stricter than Go Choria only).
  const regex = compileDdlRegex(input.validation);
  if (regex instanceof Error) return ['regex', `cannot be checked: the DDL regex ${input.validation} is invalid`];
  if (/[\n]/.test(value) && hasLineAnchor(input.validation)) {
    return ['regex_newline', `must not contain a line break, because its regex ${input.validation} anchors with ^ or $, which Ruby applies to each line: MCollective would check one line only (stricter than MCollective; a DDL that wants several lines anchors with \\A and \\z)`];
  }
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
      // MCollective passes an undeclared input to the agent unchecked; a typo would go unnoticed.
      return fail(name, 'unknown_input', `input ${name} is not an input of ${where}${known.length ? `; inputs are ${known.join(', ')}` : ', which takes none'} (rule unknown_input: stricter than MCollective, which would pass it on unchecked)`);
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
    if (value === undefined) {
      if (input.default !== undefined && input.default !== null) data[input.name] = typedDefault(input);
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

/**
 * The DDLs the virtual nodes host and the node-side input check. Nodes validate again even though the
 * proxy already did (ARCHITECTURE.md: validation at both ends), so a client that skips validation sees
 * the statuscodes a real node would send: 3 for a missing input, 4 for an invalid one.
 */
import { isIPv4, isIPv6 } from 'node:net';

import boltTasksDdl from '../../../ddl/bolt_tasks.json';
import packageDdl from '../../../ddl/package.json';
import puppetDdl from '../../../ddl/puppet.json';
import rpcutilDdl from '../../../ddl/rpcutil.json';
import serviceDdl from '../../../ddl/service.json';

export interface NodeDdlInput {
  prompt?: string;
  description?: string;
  type: string;
  optional: boolean;
  default?: unknown;
  validation?: string;
  maxlength?: number;
  list?: string[];
}

export interface NodeDdlAction {
  action: string;
  input: Record<string, NodeDdlInput>;
  output: Record<string, { default?: unknown; type?: string }>;
}

export interface NodeDdl {
  metadata: { name: string; description: string; author: string; license: string; version: string; url: string; timeout: number };
  actions: NodeDdlAction[];
}

export const NODE_DDLS: Readonly<Record<string, NodeDdl>> = {
  rpcutil: rpcutilDdl as unknown as NodeDdl,
  package: packageDdl as unknown as NodeDdl,
  service: serviceDdl as unknown as NodeDdl,
  puppet: puppetDdl as unknown as NodeDdl,
  bolt_tasks: boltTasksDdl as unknown as NodeDdl,
};

/** Characters the mcollective `shellsafe` validator refuses. */
const SHELL_UNSAFE = ['`', '$', ';', '|', '&&', '>', '<'];

/**
 * Ruby validator plugins named by the DDLs, approximated with the patterns of the choria-plugins
 * validators; unknown names pass, as in Go, which only warns about them.
 */
const NAMED_VALIDATORS: Record<string, (value: string) => boolean> = {
  shellsafe: (v) => !SHELL_UNSAFE.some((c) => v.includes(c)),
  ipv4address: (v) => isIPv4(v),
  ipv6address: (v) => isIPv6(v),
  ipaddress: (v) => isIPv4(v) || isIPv6(v),
  service_name: (v) => /^[a-zA-Z0-9_.@:-]+$/.test(v),
  puppet_variable: (v) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(v),
  puppet_tags: (v) => /^[a-zA-Z0-9_:,-]+$/.test(v),
  puppet_server_address: (v) => /^[a-zA-Z0-9.-]+(:\d+)?$/.test(v),
};

export type InputCheck =
  | { ok: true; data: Record<string, unknown> }
  | { ok: false; statuscode: 3 | 4; statusmsg: string };

function typeError(name: string, input: NodeDdlInput, value: unknown): string | undefined {
  switch (input.type) {
    case 'string':
      return typeof value === 'string' ? undefined : `${name} should be a string`;
    case 'integer':
      return Number.isInteger(value) ? undefined : `${name} should be an integer`;
    case 'float':
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `${name} should be a number`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${name} should be a boolean`;
    case 'hash':
    case 'Hash':
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? undefined : `${name} should be a hash`;
    case 'array':
    case 'Array':
      return Array.isArray(value) ? undefined : `${name} should be an array`;
    case 'list':
      return typeof value === 'string' && (input.list ?? []).includes(value)
        ? undefined
        : `${name} should be one of ${(input.list ?? []).join(', ')}`;
    default:
      return undefined;
  }
}

function validationError(name: string, input: NodeDdlInput, value: string): string | undefined {
  if (input.maxlength && value.length > input.maxlength) return `${name} should be shorter than ${input.maxlength} characters`;
  if (!input.validation) return undefined;
  const named = NAMED_VALIDATORS[input.validation];
  if (named) return named(value) ? undefined : `${name} does not pass the ${input.validation} validator`;
  if (/^[a-z_]+$/.test(input.validation)) return undefined;
  try {
    // Ruby's \A, \z and \Z anchors (bolt_tasks uses them) are plain letters to JavaScript.
    const source = input.validation.replace(/\\A/g, '^').replace(/\\z/g, '$').replace(/\\Z/g, '(?=\\n?$)');
    return new RegExp(source).test(value) ? undefined : `${name} should match ${input.validation}`;
  } catch {
    return undefined;
  }
}

/** Applies defaults, then checks presence, type and validation of every declared input. */
export function checkInputs(action: NodeDdlAction, data: Record<string, unknown>): InputCheck {
  const out: Record<string, unknown> = { ...data };
  // Ruby clients put process_results inside data; Go nodes strip it before validating.
  delete out.process_results;
  for (const [name, input] of Object.entries(action.input)) {
    if (out[name] === undefined || out[name] === null) {
      // DDLs write `"default": null` for inputs without a default.
      if (input.default !== undefined && input.default !== null) out[name] = input.default;
      else if (!input.optional) return { ok: false, statuscode: 3, statusmsg: `Missing data: ${name} is required` };
      else continue;
    }
    const value = out[name];
    const problem = typeError(name, input, value) ?? (typeof value === 'string' ? validationError(name, input, value) : undefined);
    if (problem) return { ok: false, statuscode: 4, statusmsg: `Invalid data: ${problem}` };
  }
  return { ok: true, data: out };
}

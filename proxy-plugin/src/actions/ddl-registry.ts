/**
 * Agent DDLs known to the proxy: the JSON DDLs of a directory (mcorpc/ddl/v1/agent.json, as Choria
 * ships them) plus agents the fleet reports. Parsed once into lookup-friendly specs; converted to the
 * proto AgentDdl shape for ListAgents.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

import type { AgentDdl } from '@protos/generated/rex/proxy/v1/AgentDdl';
import type { DdlInputRule } from '@protos/ddl-validation';

import { parseRubyDdl } from './ruby-ddl';

/** Where an agent's DDL came from; `puppet_server` is the `tasks` namespace (proxy-plugin/src/tasks). */
export type DdlSource = 'ddl_directory' | 'fleet' | 'puppet_server';

/**
 * A DDL input: the shared rule shape (protos/ddl-validation.ts; type in lower case, a `null`
 * default counts as none, as in Choria) plus what forms and audits need.
 */
export interface InputSpec extends DdlInputRule {
  prompt: string;
  description: string;
  sensitive: boolean;
}

export interface OutputSpec {
  name: string;
  description: string;
  displayAs: string;
  type?: string;
  default?: unknown;
}

export interface AggregateSpec {
  function: string;
  /** args[0] of the DDL entry: the output it summarises. */
  output: string;
  /** The remaining args (format options, value labels). */
  options: unknown[];
}

export interface ActionSpec {
  name: string;
  description: string;
  display: 'ok' | 'failed' | 'always';
  inputs: ReadonlyMap<string, InputSpec>;
  outputs: readonly OutputSpec[];
  aggregates: readonly AggregateSpec[];
}

export interface AgentMetadataSpec {
  name: string;
  description: string;
  author: string;
  license: string;
  version: string;
  url: string;
  /** Seconds a node lets an action run. */
  timeout: number;
  provider?: string;
  service?: boolean;
}

export interface AgentSpec {
  metadata: AgentMetadataSpec;
  /** Empty for agents the fleet reports without a DDL; such agents cannot be validated, so not run. */
  actions: ReadonlyMap<string, ActionSpec>;
  source: DdlSource;
}

/** Inputs named like this are masked in audits and logs even when the DDL does not say so. */
export const SENSITIVE_INPUT_NAME = /password|token|secret|passphrase/i;

const nameRe = /^[a-z0-9_]*$/;

const inputSchema = z
  .object({
    prompt: z.string(),
    description: z.string(),
    type: z.string(),
    optional: z.boolean(),
    validation: z.string().optional(),
    maxlength: z.number().int().min(0).optional(),
    list: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
    default: z.unknown().optional(),
    // Not in the Choria schema; lets a site mark an input whose name does not give it away.
    sensitive: z.boolean().optional(),
  })
  .passthrough();

const outputSchema = z
  .object({ description: z.string(), display_as: z.string(), type: z.string().optional(), default: z.unknown().optional() })
  .passthrough();

const ddlSchema = z
  .object({
    metadata: z
      .object({
        name: z.string().regex(nameRe, 'must match ^[a-z0-9_]*$'),
        description: z.string(),
        author: z.string(),
        license: z.string(),
        version: z.string(),
        url: z.string(),
        timeout: z.number().int().min(1),
        provider: z.string().optional(),
        service: z.boolean().optional(),
      })
      .passthrough(),
    actions: z.array(
      z
        .object({
          action: z.string().regex(nameRe, 'must match ^[a-z0-9_]*$'),
          description: z.string(),
          display: z.enum(['ok', 'failed', 'always']).optional(),
          input: z.record(inputSchema),
          output: z.record(outputSchema),
          aggregate: z.array(z.object({ function: z.string(), args: z.array(z.unknown()).min(1) }).passthrough()).optional(),
        })
        .passthrough(),
    ),
  })
  .passthrough();

/** Parses one JSON DDL; throws an Error naming the first bad field. */
export function parseAgentDdl(json: unknown, source: DdlSource): AgentSpec {
  const parsed = ddlSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const ddl = parsed.data;
  const actions = new Map<string, ActionSpec>();
  for (const action of ddl.actions) {
    const inputs = new Map<string, InputSpec>();
    for (const [name, input] of Object.entries(action.input)) {
      inputs.set(name, {
        name,
        prompt: input.prompt,
        description: input.description,
        type: input.type.toLowerCase(),
        optional: input.optional,
        validation: input.validation,
        maxlength: input.maxlength,
        list: input.list?.map(String),
        default: input.default === null ? undefined : input.default,
        sensitive: input.sensitive === true || SENSITIVE_INPUT_NAME.test(name),
      });
    }
    actions.set(action.action, {
      name: action.action,
      description: action.description,
      // Choria prints only failures when a DDL names no display mode.
      display: action.display ?? 'failed',
      inputs,
      outputs: Object.entries(action.output).map(([name, output]) => ({
        name,
        description: output.description,
        displayAs: output.display_as,
        type: output.type,
        default: output.default === null ? undefined : output.default,
      })),
      aggregates: (action.aggregate ?? []).map((entry) => ({ function: entry.function, output: String(entry.args[0]), options: entry.args.slice(1) })),
    });
  }
  const { name, description, author, license, version, url, timeout, provider, service } = ddl.metadata;
  return { metadata: { name, description, author, license, version, url, timeout, provider, service }, actions, source };
}

export interface LoadedDdls {
  agents: AgentSpec[];
  /** One line per file that could not be used; the proxy starts without it. */
  problems: string[];
}

/**
 * Reads every agent DDL of a folder: `*.json` (Choria's JSON DDLs) and `*.ddl` (MCollective's
 * Ruby DDLs, the common subset parsed by ruby-ddl.ts). Both end up as the same AgentSpec.
 */
export function loadDdlDirectory(directory: string): LoadedDdls {
  const agents: AgentSpec[] = [];
  const problems: string[] = [];
  const files = fs.readdirSync(directory).filter((file) => file.endsWith('.json') || file.endsWith('.ddl')).sort();
  for (const file of files) {
    const full = path.join(directory, file);
    try {
      const text = fs.readFileSync(full, 'utf8');
      agents.push(parseAgentDdl(file.endsWith('.ddl') ? parseRubyDdl(text) : JSON.parse(text), 'ddl_directory'));
    } catch (error) {
      problems.push(`${full}: ${(error as Error).message}`);
    }
  }
  return { agents, problems };
}

/** Several folders in order; an agent found again in a later folder replaces the earlier one. */
export function loadDdlDirectories(directories: readonly string[]): LoadedDdls {
  const byName = new Map<string, AgentSpec>();
  const problems: string[] = [];
  for (const directory of directories) {
    const loaded = loadDdlDirectory(directory);
    for (const agent of loaded.agents) byName.set(agent.metadata.name, agent);
    problems.push(...loaded.problems);
  }
  return { agents: [...byName.values()], problems };
}

/** One entry of `rpcutil#agent_inventory`: metadata only, no actions. */
export interface FleetAgent {
  agent: string;
  description?: string;
  author?: string;
  license?: string;
  version?: string;
  url?: string;
  timeout?: number;
  provider?: string;
  service?: boolean;
}

export interface DdlRegistry {
  get(agent: string): AgentSpec | undefined;
  list(): AgentSpec[];
  /**
   * Adds agents the fleet reports. A DDL from the directory always wins: it is what the site
   * reviewed, while the fleet only reports what some node runs.
   */
  addFleetAgents(agents: readonly (FleetAgent | AgentSpec)[]): number;
  /** Puts (or replaces) an agent built by the proxy itself, such as the Puppet Tasks namespace. */
  setAgent(spec: AgentSpec): void;
}

/**
 * Agents by name; starts with the directory DDLs, grows with what the fleet reports. `adapt` sees
 * every agent stored, whatever its source: the proxy's runners add the inputs they consume there
 * (the Puppet run's `if_running`, puppet-run.runner.ts), so the DDL served and checked has them.
 */
export function createDdlRegistry(initial: readonly AgentSpec[], options: { adapt?: (spec: AgentSpec) => AgentSpec } = {}): DdlRegistry {
  const agents = new Map<string, AgentSpec>();
  const put = (spec: AgentSpec): void => {
    agents.set(spec.metadata.name, options.adapt ? options.adapt(spec) : spec);
  };
  for (const spec of initial) put(spec);
  return {
    get: (agent) => agents.get(agent),
    list: () => [...agents.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)),
    addFleetAgents(reported) {
      let added = 0;
      for (const entry of reported) {
        const spec = 'metadata' in entry ? { ...entry, source: 'fleet' as const } : fromFleetAgent(entry);
        const existing = agents.get(spec.metadata.name);
        if (existing?.source === 'ddl_directory') continue;
        if (existing && existing.actions.size > 0 && spec.actions.size === 0) continue;
        put(spec);
        added++;
      }
      return added;
    },
    setAgent(spec) {
      put(spec);
    },
  };
}

function fromFleetAgent(entry: FleetAgent): AgentSpec {
  return {
    metadata: {
      name: entry.agent,
      description: entry.description ?? '',
      author: entry.author ?? '',
      license: entry.license ?? '',
      version: entry.version ?? '',
      url: entry.url ?? '',
      timeout: entry.timeout ?? 0,
      provider: entry.provider,
      service: entry.service,
    },
    actions: new Map(),
    source: 'fleet',
  };
}

function jsonOrEmpty(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value);
}

/** The proto shape of an agent for ListAgents. */
export function toAgentDdl(spec: AgentSpec): AgentDdl {
  const { metadata } = spec;
  return {
    metadata: {
      name: metadata.name,
      description: metadata.description,
      author: metadata.author,
      license: metadata.license,
      version: metadata.version,
      url: metadata.url,
      timeout: metadata.timeout,
      provider: metadata.provider ?? '',
      service: metadata.service ?? false,
    },
    actions: [...spec.actions.values()].map((action) => ({
      name: action.name,
      description: action.description,
      display: action.display,
      inputs: [...action.inputs.values()].map((input) => ({
        name: input.name,
        prompt: input.prompt,
        description: input.description,
        type: input.type,
        optional: input.optional,
        validation: input.validation ?? '',
        maxlength: input.maxlength ?? 0,
        list: input.list ?? [],
        default_json: jsonOrEmpty(input.default),
        sensitive: input.sensitive,
        puppet_type: input.puppetType ?? '',
      })),
      outputs: action.outputs.map((output) => ({
        name: output.name,
        description: output.description,
        display_as: output.displayAs,
        type: output.type ?? '',
        default_json: jsonOrEmpty(output.default),
      })),
      aggregates: action.aggregates.map((aggregate) => ({
        function: aggregate.function,
        output: aggregate.output,
        args_json: aggregate.options.length > 0 ? JSON.stringify(aggregate.options) : '',
      })),
    })),
    source: spec.source,
  };
}

/**
 * A simulated Choria node: identity, facts, classes and agents, answering discovery, rpcutil and the
 * package, service and puppet agents the way their DDLs describe. It knows nothing about transports:
 * the NATS fleet (test/fleet) and the in-process demo bus both hand it decoded requests.
 */
import { DISCOVERY_REPLY_BODY, encodeMcorpcReply, type WireFilter } from '../choria/protocol';
import { type ActionResult, type NodeState, type RequestContext, type VirtualAgent } from './agents/agent';
import { boltTasksAgent, stopNodeTasks, type NodeTasks } from './agents/bolt-tasks.agent';
import { packageAgent } from './agents/package.agent';
import { puppetAgent } from './agents/puppet.agent';
import { rpcutilAgent } from './agents/rpcutil.agent';
import { serviceAgent } from './agents/service.agent';
import { matchesFilter } from './filter-match';
import { checkInputs, NODE_DDLS } from './node-ddl';

const AGENTS: Readonly<Record<string, VirtualAgent>> = {
  rpcutil: rpcutilAgent,
  package: packageAgent,
  service: serviceAgent,
  puppet: puppetAgent,
  bolt_tasks: boltTasksAgent,
};

/** Every agent a virtual node can host; `discovery` is built in and always present. */
export const VIRTUAL_AGENTS = Object.keys(AGENTS);

/** bolt_tasks needs a Puppet Server, so only nodes given `tasks` host it by default. */
const DEFAULT_AGENTS = VIRTUAL_AGENTS.filter((agent) => agent !== 'bolt_tasks');

/** Agents whose actions the failure rate applies to: discovery and rpcutil must stay truthful. */
export const DEFAULT_FAILING_AGENTS = ['package', 'service', 'puppet'];

export interface VirtualNodeOptions {
  identity: string;
  facts: Record<string, unknown>;
  classes: string[];
  /** Defaults to every agent in {@link VIRTUAL_AGENTS}. */
  agents?: string[];
  collectives?: string[];
  mainCollective?: string;
  /** Installed packages (name -> "version-release") and services (name -> running). */
  packages?: Record<string, string>;
  services?: Record<string, boolean>;
  /** Delay before answering, in milliseconds. */
  latencyMs?: number;
  /** Share of nodes whose agent actions fail, in [0, 1]; which ones is fixed by the seed. */
  failureRate?: number;
  failingAgents?: string[];
  /** Never answers anything, like a node that is down. */
  silent?: boolean;
  seed?: string | number;
  now?: () => number;
  /** Puppet Tasks: how this node fetches task files, and its folder for cache and spool. */
  tasks?: { fetch(pathAndQuery: string): Promise<Buffer>; directory: string };
  /** Seconds a simulated Puppet run takes (status shows `applying` meanwhile); default 0. */
  puppetRunSeconds?: number;
  /** Share of Puppet runs that end with failed resources (by node and run number); default 0. */
  puppetFailedRunRate?: number;
  /** Takes the PuppetDB `store report` body of each Puppet run the node ends (agents/puppet-report.ts). */
  puppetReports?: (report: Record<string, unknown>) => void;
}

/** The parts of a decoded choria:request:1 a node acts on. */
export interface NodeRequest {
  requestid: string;
  callerid: string;
  collective: string;
  agent: string;
  ttl: number;
  /** Unix seconds. */
  time: number;
  filter: WireFilter;
  /** The request body after Base64 fallback decoding: mcorpc JSON, or `ping` for discovery. */
  body: string;
}

/** Why a node did or did not answer; the fleet counts these like a Go node's daemon_stats. */
export type NodeOutcome = 'replied' | 'filtered' | 'expired' | 'unknown_agent' | 'unknown_collective' | 'silent';

export interface VirtualNode {
  readonly identity: string;
  readonly facts: Record<string, unknown>;
  readonly classes: string[];
  readonly agents: string[];
  readonly collectives: string[];
  readonly failing: boolean;
  /**
   * Runs the Go node pipeline (collective, filter, TTL, agent, mcorpc). `reply` gets the reply body
   * (mcorpc JSON or `pong`), possibly later when latency is set; it is never called when the outcome is
   * not `replied`.
   */
  handle(request: NodeRequest, reply: (message: string) => void): NodeOutcome;
  /** The node's Puppet Tasks state (downloads, runs), when it has a Puppet Server. */
  readonly tasks?: NodeTasks;
  /** Ends what the node still runs (task processes). */
  close(): void;
}

/**
 * FNV-1a plus murmur3's final mix: stable and dependency free, so the same seed picks the same failing
 * nodes everywhere. Without the mix, identities that differ in one digit land close together.
 */
export function seededFraction(seed: string | number, key: string): number {
  let h = 0x811c9dc5;
  const text = `${seed}:${key}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x100000000;
}

function splitVersion(text: string): { version: string; release: string; arch: string } {
  const dash = text.lastIndexOf('-');
  return dash > 0
    ? { version: text.slice(0, dash), release: text.slice(dash + 1), arch: 'amd64' }
    : { version: text, release: '1', arch: 'amd64' };
}

type Answer = ActionResult & { action: string };

function runAction(agent: VirtualAgent, mcorpcBody: string, state: NodeState, failing: boolean, request: RequestContext): Answer | Promise<Answer> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(mcorpcBody);
  } catch (cause) {
    return { action: '', statuscode: 4, statusmsg: `Could not process request: ${(cause as Error).message}`, data: {} };
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { action?: unknown }).action !== 'string') {
    return { action: '', statuscode: 4, statusmsg: 'Could not process request: no action given', data: {} };
  }
  const body = parsed as { action: string; data?: unknown };
  const action = body.action;
  const ddlAction = NODE_DDLS[agent.name]?.actions.find((a) => a.action === action);
  if (!ddlAction) return { action, statuscode: 2, statusmsg: `Unknown action ${action} for agent ${agent.name}`, data: {} };
  const data = typeof body.data === 'object' && body.data !== null && !Array.isArray(body.data) ? (body.data as Record<string, unknown>) : {};
  const checked = checkInputs(ddlAction, data);
  if (!checked.ok) return { action, statuscode: checked.statuscode, statusmsg: checked.statusmsg, data: {} };
  if (failing) {
    const code = seededFraction(state.identity, `failure:${action}`) < 0.5 ? 1 : 5;
    return { action, statuscode: code, statusmsg: code === 1 ? `Simulated failure of ${agent.name}#${action}` : 'Simulated unknown error', data: {} };
  }
  // Ruby nodes pre-populate every declared output with its default, so clients see the full shape.
  const shape = (result: ActionResult): Answer => {
    const data2: Record<string, unknown> = {};
    for (const [name, output] of Object.entries(ddlAction.output)) data2[name] = output.default ?? null;
    return { action, statuscode: result.statuscode, statusmsg: result.statusmsg, data: { ...data2, ...result.data } };
  };
  let result: ActionResult | Promise<ActionResult>;
  try {
    result = agent.handle(action, checked.data, state, request);
  } catch (error) {
    return { action, statuscode: 5, statusmsg: `Unknown error: ${(error as Error).message}`, data: {} };
  }
  if (!(result instanceof Promise)) return shape(result);
  return result.then(shape, (error: unknown) => ({ action, statuscode: 5, statusmsg: `Unknown error: ${(error as Error).message}`, data: {} }));
}

export function createVirtualNode(options: VirtualNodeOptions): VirtualNode {
  const seed = options.seed ?? 0;
  const now = options.now ?? Date.now;
  const agents = (options.agents ?? (options.tasks ? VIRTUAL_AGENTS : DEFAULT_AGENTS)).filter((a) => AGENTS[a]);
  const tasks: NodeTasks | undefined = options.tasks ? { fetch: options.tasks.fetch, directory: options.tasks.directory, runs: new Map(), downloads: 0 } : undefined;
  const collectives = options.collectives ?? ['mcollective'];
  const failingAgents = new Set(options.failingAgents ?? DEFAULT_FAILING_AGENTS);
  const failing = seededFraction(seed, options.identity) < (options.failureRate ?? 0);
  const latencyMs = options.latencyMs ?? 0;
  const state: NodeState = {
    identity: options.identity,
    facts: options.facts,
    classes: [...options.classes],
    agents: ['discovery', ...agents],
    collectives,
    mainCollective: options.mainCollective ?? collectives[0],
    packages: new Map(Object.entries(options.packages ?? {}).map(([name, v]) => [name, splitVersion(v)])),
    services: new Map(Object.entries(options.services ?? {})),
    puppet: {
      enabled: true,
      disableMessage: '',
      lastRunSeconds: Math.floor(now() / 1000) - 60 - Math.floor(seededFraction(seed, `${options.identity}:lastrun`) * 1800),
      runs: 0,
    },
    tasks,
    puppetRunSeconds: options.puppetRunSeconds ?? 0,
    puppetFailedRunRate: options.puppetFailedRunRate ?? 0,
    puppetReports: options.puppetReports,
    random: (key) => seededFraction(seed, `${options.identity}:${key}`),
    nowMs: now,
  };

  const deliver = (reply: (message: string) => void, message: string): void => {
    if (latencyMs > 0) setTimeout(() => reply(message), latencyMs);
    else reply(message);
  };

  return {
    identity: options.identity,
    facts: state.facts,
    classes: state.classes,
    agents: state.agents,
    collectives,
    failing,
    tasks,
    close: () => stopNodeTasks(tasks),
    handle(request, reply) {
      if (options.silent) return 'silent';
      if (!collectives.includes(request.collective)) return 'unknown_collective';
      if (!matchesFilter(state, request.filter)) return 'filtered';
      const nowSeconds = now() / 1000;
      if (!(nowSeconds - request.ttl < request.time && request.time < nowSeconds + request.ttl)) return 'expired';
      if (request.agent === 'discovery') {
        // Ruby servers answer to the JSON string "ping"; Go decodes cGluZw== to ping.
        if (!request.body.includes('ping')) return 'unknown_agent';
        deliver(reply, DISCOVERY_REPLY_BODY);
        return 'replied';
      }
      const agent = agents.includes(request.agent) ? AGENTS[request.agent] : undefined;
      if (!agent) return 'unknown_agent';
      const result = runAction(agent, request.body, state, failing && failingAgents.has(agent.name), { requestid: request.requestid, callerid: request.callerid });
      if (result instanceof Promise) void result.then((answer) => deliver(reply, encodeMcorpcReply(answer)));
      else deliver(reply, encodeMcorpcReply(result));
      return 'replied';
    },
  };
}

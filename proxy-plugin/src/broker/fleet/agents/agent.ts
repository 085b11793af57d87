import type { NodeTasks } from './bolt-tasks.agent';

/** What every simulated agent sees: the node's mutable state and its clock. */
export interface NodeState {
  identity: string;
  facts: Record<string, unknown>;
  classes: string[];
  agents: string[];
  collectives: string[];
  mainCollective: string;
  /** name -> installed "version-release"; a missing name is not installed. */
  packages: Map<string, { version: string; release: string; arch: string; purged?: boolean }>;
  /** name -> running? */
  services: Map<string, boolean>;
  puppet: {
    enabled: boolean;
    disableMessage: string;
    lastRunSeconds: number;
    /** Runs started so far (config_version counts them). */
    runs: number;
    /** The run being applied, if any. */
    current?: { endsAtMs: number; noop: boolean; tags: string; environment: string };
    lastRun?: { noop: boolean; tags: string; environment: string; number: number };
  };
  /** Puppet Tasks (bolt_tasks): only nodes given a Puppet Server have them. */
  tasks?: NodeTasks;
  /** Seconds a simulated Puppet run takes (the agent shows `applying` meanwhile). */
  puppetRunSeconds: number;
  /** Share of Puppet runs that end with failed resources, in [0, 1]; which ones is fixed by the seed. */
  puppetFailedRunRate: number;
  /** Takes the `store report` body of each run the node ends (puppet-report.ts); none: reports go nowhere. */
  puppetReports?: (report: Record<string, unknown>) => void;
  /** Deterministic value in [0, 1) derived from the node seed and a key. */
  random(key: string): number;
  nowMs(): number;
}

export interface ActionResult {
  statuscode: number;
  statusmsg: string;
  data: Record<string, unknown>;
}

/** Who asked: bolt_tasks uses the request id as the task id and the caller for own_status_only. */
export interface RequestContext {
  requestid: string;
  callerid: string;
}

export interface VirtualAgent {
  readonly name: string;
  /** A promise when the action waits for something real (a download from the Puppet Server). */
  handle(action: string, data: Record<string, unknown>, node: NodeState, request: RequestContext): ActionResult | Promise<ActionResult>;
}

export function ok(data: Record<string, unknown>): ActionResult {
  return { statuscode: 0, statusmsg: 'OK', data };
}

export function aborted(statusmsg: string, data: Record<string, unknown> = {}): ActionResult {
  return { statuscode: 1, statusmsg, data };
}

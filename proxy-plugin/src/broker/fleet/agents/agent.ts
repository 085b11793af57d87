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
  puppet: { enabled: boolean; disableMessage: string; lastRunSeconds: number; applying: boolean };
  /** Deterministic value in [0, 1) derived from the node seed and a key. */
  random(key: string): number;
  nowMs(): number;
}

export interface ActionResult {
  statuscode: number;
  statusmsg: string;
  data: Record<string, unknown>;
}

export interface VirtualAgent {
  readonly name: string;
  handle(action: string, data: Record<string, unknown>, node: NodeState): ActionResult;
}

export function ok(data: Record<string, unknown>): ActionResult {
  return { statuscode: 0, statusmsg: 'OK', data };
}

export function aborted(statusmsg: string, data: Record<string, unknown> = {}): ActionResult {
  return { statuscode: 1, statusmsg, data };
}

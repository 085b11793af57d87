/**
 * What the proxy needs from a broker, whatever speaks to it: Choria over NATS, MCollective over
 * STOMP, or the in-process demo fleet. Vocabulary is Choria's (agent, action, reply).
 * Only the files in this folder talk to a broker (STYLE.md §2).
 */
import { flattenFacts } from '@protos/facts';

/** Choria fact filter: `{fact, operator, value}` with operators ==, !=, =~, <=, >=, <, >. */
export interface FactFilter {
  fact: string;
  operator: string;
  value: string;
}

/** The request filter of choria:request:1 (§7 of choria-protocol.md). */
export interface RequestFilter {
  fact: FactFilter[];
  cf_class: string[];
  identity: string[];
  agent: string[];
  compound: string;
}

/** One mcorpc reply from one node. */
export interface NodeReply {
  identity: string;
  /** 0 OK, 1 aborted, 2 unknown action, 3 missing data, 4 invalid data, 5 unknown error. */
  statuscode: number;
  statusmsg: string;
  data: Record<string, unknown>;
  /**
   * The data as the node sent it, as exact JSON text (`mco rpc --json`'s form for MCollective, the
   * node's own JSON for Choria): what is stored and served. Without it, `data` is written as JSON.
   */
  dataJson?: string;
  receivedAtMs: number;
}

export interface RpcRequest {
  agent: string;
  action: string;
  data: Record<string, unknown>;
  collective: string;
  /** Identity of the caller, e.g. "choria=rex.mcollective". */
  callerid: string;
  /** Seconds the request is valid for on the nodes (Choria: at least 30). */
  ttlSeconds: number;
  /**
   * DDL input types by input name. MCollective's Ruby nodes check types strictly (a whole number
   * is not a Float), so its client encodes `float` inputs as Floats; JSON transports ignore this.
   */
  inputTypes?: Readonly<Record<string, string>>;
}

/** Directed request: publish to each identity and call back per reply as it arrives. */
export interface DirectedCall {
  request: RpcRequest;
  identities: string[];
  onReply: (reply: NodeReply) => void;
  /** Aborted when the caller cancels; the client stops publishing and resolves. */
  signal: AbortSignal;
  /** Milliseconds to wait after publishing before giving up on silent identities. */
  timeoutMs: number;
}

export interface DirectedCallResult {
  requestId: string;
  /** Identities that never replied (before the timeout or the abort). */
  silent: string[];
  publishedAtMs: number;
  /**
   * Identities whose request was never published (the connection dropped part way): they did not
   * run and may be sent again once the broker is back. Absent means every one was published.
   */
  unsent?: string[];
  /**
   * Silent identities refused by security, with why in an operator's words: a reply that failed the
   * check, or no node at all accepting this client's requests (a psk the nodes do not share).
   */
  refused?: Array<{ identity: string; reason: string }>;
}

export interface DiscoveredNode {
  identity: string;
  facts: Record<string, string>;
  classes: string[];
  agents: string[];
  collectives: string[];
}

export interface BrokerClient {
  /** "choria", "mcollective" or "demo". */
  readonly kind: 'choria' | 'mcollective' | 'demo';
  /** Broker URL without credentials, for display. */
  readonly displayUrl: string;
  connect(): Promise<void>;
  close(): Promise<void>;
  isConnected(): boolean;
  /**
   * The broker node in use now, without credentials (a NATS server's host:port, a STOMP pool member),
   * or undefined while disconnected. Absent for the demo fleet. Logged and exported as a metric.
   */
  currentServer?(): string | undefined;
  /** Broadcast discovery with a filter; resolves with the identities that answered in time. */
  discover(filter: RequestFilter, collective: string, timeoutMs: number): Promise<string[]>;
  /**
   * Send one request to known identities. Resolves once every identity has replied, the
   * timeout passed, or the signal aborted. Choria signs once and sends the same bytes to all.
   */
  callDirected(call: DirectedCall): Promise<DirectedCallResult>;
  /**
   * Resolves true once a request to these nodes can be published: the connection is up and, after a
   * reconnect, the nodes had their chance to subscribe again. False when `untilMs` (Unix ms) passed
   * or the signal aborted first. Absent when the client needs no wait (nats.js buffers what is
   * published while it reconnects, and its nodes resubscribe the same way).
   */
  awaitReady?(identities: readonly string[], collective: string, untilMs: number, signal: AbortSignal): Promise<boolean>;
  /** Facts, classes and agents of every reachable node (rpcutil inventory or equivalent). */
  inventory(collective: string, timeoutMs: number): Promise<DiscoveredNode[]>;
  /**
   * Why this broker could not carry the filter (e.g. a compound expression MCollective cannot
   * tokenize), or undefined when it can. Checked before anything is sent; optional.
   */
  checkFilter?(filter: RequestFilter): string | undefined;
}

/**
 * A BrokerClient's inventory as Choria and MCollective both answer it: discover the nodes that run
 * rpcutil, then ask each for `rpcutil#inventory` (facts, classes, agents, collectives).
 */
export async function inventoryByRpcutil(client: Pick<BrokerClient, 'discover' | 'callDirected'>, collective: string, timeoutMs: number, callerid: string, ttlSeconds: number): Promise<DiscoveredNode[]> {
  const identities = await client.discover({ fact: [], cf_class: [], identity: [], agent: ['rpcutil'], compound: '' }, collective, timeoutMs);
  const nodes: DiscoveredNode[] = [];
  if (identities.length === 0) return nodes;
  const asStrings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  await client.callDirected({
    request: { agent: 'rpcutil', action: 'inventory', data: {}, collective, callerid, ttlSeconds },
    identities,
    signal: new AbortController().signal,
    timeoutMs,
    onReply: (reply) => {
      if (reply.statuscode !== 0) return;
      const data = reply.data;
      nodes.push({
        identity: reply.identity,
        facts: flattenFacts(typeof data.facts === 'object' && data.facts !== null ? (data.facts as Record<string, unknown>) : {}),
        classes: asStrings(data.classes),
        agents: asStrings(data.agents),
        collectives: asStrings(data.collectives),
      });
    },
  });
  return nodes;
}

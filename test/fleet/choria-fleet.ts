/**
 * N virtual Choria nodes on one real NATS connection, for integration tests, benchmarks and manual runs
 * (run-fleet.ts). Each message goes through a Go node's pipeline (choria-protocol.md §3.7 and §6.1):
 * schema-validate transport, secure request and request, check the signature, match the filter and TTL,
 * dispatch, and publish the reply to the `reply-to` inside the payload. Failures are dropped silently
 * and counted.
 */
import path from 'node:path';
import { connect, type NatsConnection, type Subscription } from 'nats';

import {
  broadcastSubject,
  createSignatureVerifier,
  decodeRequestBody,
  encodeReply,
  type RequestV1,
  type SecureRequestV1,
  type TransportV1,
} from '@proxy/broker/choria/protocol';
import { createTaskFileFetcher } from '@proxy/broker/fleet/agents/bolt-tasks.agent';
import { buildNodeProfiles } from '@proxy/broker/fleet/node-profiles';
import { createVirtualNode, VIRTUAL_AGENTS, type NodeOutcome, type VirtualNode, type VirtualNodeOptions } from '@proxy/broker/fleet/virtual-node';

import { compileProtocolValidators, type ProtocolValidators } from './protocol-schemas';
import { createPuppetDbReportSubmitter, type PuppetDbReportSubmitter } from './puppetdb-reports';

export interface ChoriaFleetOptions {
  natsUrl: string;
  count: number;
  /** Identities are `<identityPrefix><5-digit index>[.<domain>]`. */
  identityPrefix?: string;
  domain?: string;
  collective?: string;
  latencyMs?: number;
  failureRate?: number;
  silentIdentities?: string[];
  seed?: string | number;
  /** `each`: one subscription per node subject; `wildcard`: one `<collective>.node.>` subscription. */
  subscription?: 'each' | 'wildcard';
  /** Use these nodes instead of generated ones (latency, failure and silence options still apply). */
  nodes?: VirtualNodeOptions[];
  /** Accept `insecure` signatures (default true); signed requests are always verified. */
  allowInsecure?: boolean;
  extraFacts?: Record<string, unknown>;
  /** TLS to the broker (PEM files), for brokers that require it. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /**
   * Puppet Tasks: every node hosts bolt_tasks and fetches task files from this Puppet Server with
   * the node certificate (one certificate of the server's CA for the whole fleet); each node keeps
   * its cache and spool under `directory/<identity>`.
   */
  tasks?: { puppetServerUrl: string; caFile: string; certFile: string; keyFile: string; directory: string };
  /** Seconds a simulated Puppet run takes on every node. */
  puppetRunSeconds?: number;
  /** Share of simulated Puppet runs that end with failed resources (default 0: every run applies cleanly). */
  puppetFailedRunRate?: number;
  /**
   * A real PuppetDB (plain HTTP on loopback) that gets a report of every Puppet run the nodes end,
   * as Puppet Server would submit it (puppetdb-reports.ts: a stand-in for agent + server).
   */
  puppetdb?: { url: string; producer?: string };
}

export interface ChoriaFleetStats {
  received: number;
  /** Dropped because a layer did not parse or did not validate against its schema. */
  invalid: number;
  badSignature: number;
  replied: number;
  filtered: number;
  expired: number;
  unknownAgent: number;
  silent: number;
  /** Valid requests received, by agent (`discovery` for discovery broadcasts). */
  byAgent: Record<string, number>;
  /** Schema errors of the last invalid messages, newest last, for test diagnostics. */
  lastErrors: string[];
}

export interface ChoriaFleet {
  identities: string[];
  nodes: ReadonlyMap<string, VirtualNode>;
  stats: ChoriaFleetStats;
  /** Milliseconds it took to set up the subscriptions. */
  subscribeMs: number;
  /** Reports submitted to PuppetDB, when the fleet has one. */
  puppetReports?: PuppetDbReportSubmitter;
  /**
   * What each node saw of directed requests, by `agent#action`: how many it received and how many it
   * answered. The fault tests compare it with what a job recorded, host by host (a proxy's own
   * inventory calls, rpcutil#inventory, stay apart).
   */
  seen(): Record<string, { received: Record<string, number>; replied: Record<string, number> }>;
  stop(): Promise<void>;
}

const MAX_KEPT_ERRORS = 20;

interface DecodedRequest {
  transport: TransportV1;
  request: RequestV1;
}

export async function startChoriaFleet(options: ChoriaFleetOptions): Promise<ChoriaFleet> {
  const collective = options.collective ?? 'mcollective';
  const silent = new Set(options.silentIdentities ?? []);
  const seed = options.seed ?? 1;
  const profiles =
    options.nodes ??
    buildNodeProfiles({ count: options.count, identityPrefix: options.identityPrefix ?? 'node-', domain: options.domain, seed, extraFacts: options.extraFacts });
  const fetcher = options.tasks ? createTaskFileFetcher(options.tasks) : undefined;
  const reports = options.puppetdb ? createPuppetDbReportSubmitter(options.puppetdb) : undefined;
  const nodes = new Map<string, VirtualNode>();
  for (const profile of profiles) {
    nodes.set(
      profile.identity,
      createVirtualNode({
        collectives: [collective],
        latencyMs: options.latencyMs,
        failureRate: options.failureRate,
        seed,
        puppetRunSeconds: options.puppetRunSeconds,
        puppetFailedRunRate: options.puppetFailedRunRate,
        puppetReports: reports?.submit,
        ...profile,
        silent: profile.silent || silent.has(profile.identity),
        tasks: fetcher && options.tasks ? { fetch: fetcher.fetch, directory: path.join(options.tasks.directory, profile.identity) } : profile.tasks,
      }),
    );
  }

  const validators: ProtocolValidators = compileProtocolValidators();
  const verifier = createSignatureVerifier({ allowInsecure: options.allowInsecure ?? true });
  const stats: ChoriaFleetStats = {
    received: 0,
    invalid: 0,
    badSignature: 0,
    replied: 0,
    filtered: 0,
    expired: 0,
    unknownAgent: 0,
    silent: 0,
    byAgent: {},
    lastErrors: [],
  };

  const reject = (why: string): undefined => {
    stats.invalid++;
    stats.lastErrors.push(why);
    if (stats.lastErrors.length > MAX_KEPT_ERRORS) stats.lastErrors.shift();
    return undefined;
  };

  const nc: NatsConnection = await connect({ servers: options.natsUrl, name: 'rex-choria-fleet', maxReconnectAttempts: -1, reconnectTimeWait: 500, ...(options.tls ? { tls: options.tls } : {}) });

  function decode(data: Uint8Array): DecodedRequest | undefined {
    stats.received++;
    let transport: unknown;
    let secure: unknown;
    let request: unknown;
    try {
      transport = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
    } catch {
      return reject('transport is not JSON');
    }
    if (!validators.transport(transport)) return reject(`transport: ${JSON.stringify(validators.transport.errors)}`);
    try {
      secure = JSON.parse(Buffer.from((transport as TransportV1).data, 'base64').toString('utf8'));
    } catch {
      return reject('secure request is not JSON');
    }
    if (!validators.secureRequest(secure)) return reject(`secure request: ${JSON.stringify(validators.secureRequest.errors)}`);
    if (!verifier.verify(secure as SecureRequestV1)) {
      stats.badSignature++;
      return undefined;
    }
    try {
      request = JSON.parse((secure as SecureRequestV1).message);
    } catch {
      return reject('request is not JSON');
    }
    if (!validators.request(request)) return reject(`request: ${JSON.stringify(validators.request.errors)}`);
    const replyTo = (transport as TransportV1).headers['reply-to'];
    if (!replyTo) return reject('request without reply-to');
    const agent = (request as RequestV1).envelope.agent;
    stats.byAgent[agent] = (stats.byAgent[agent] ?? 0) + 1;
    return { transport: transport as TransportV1, request: request as RequestV1 };
  }

  function count(outcome: NodeOutcome): void {
    if (outcome === 'replied') stats.replied++;
    else if (outcome === 'filtered' || outcome === 'unknown_collective') stats.filtered++;
    else if (outcome === 'expired') stats.expired++;
    else if (outcome === 'unknown_agent') stats.unknownAgent++;
    else stats.silent++;
  }

  /** `agent#action` -> identity -> count, for directed requests. */
  const received = new Map<string, Map<string, number>>();
  const replied = new Map<string, Map<string, number>>();
  const tally = (maps: Map<string, Map<string, number>>, agentAction: string, identity: string) => {
    const map = maps.get(agentAction) ?? maps.set(agentAction, new Map()).get(agentAction)!;
    map.set(identity, (map.get(identity) ?? 0) + 1);
  };
  const actionOf = (body: string): string => {
    try {
      return String((JSON.parse(body) as { action?: unknown }).action);
    } catch {
      return '?';
    }
  };

  function dispatch(node: VirtualNode, decoded: DecodedRequest, body: string, directed = false): void {
    const { envelope } = decoded.request;
    const agentAction = directed ? `${envelope.agent}#${actionOf(body)}` : '';
    if (directed) tally(received, agentAction, node.identity);
    const replyTo = decoded.transport.headers['reply-to'] as string;
    const federation = decoded.transport.headers.federation;
    const outcome = node.handle(
      {
        requestid: envelope.requestid,
        callerid: envelope.callerid,
        collective: envelope.collective,
        agent: envelope.agent,
        ttl: envelope.ttl,
        time: envelope.time,
        filter: envelope.filter,
        body,
      },
      (message) => {
        if (nc.isClosed() || nc.isDraining()) return;
        if (directed) tally(replied, agentAction, node.identity);
        nc.publish(
          replyTo,
          encodeReply({ requestid: envelope.requestid, senderid: node.identity, agent: envelope.agent, time: Math.floor(Date.now() / 1000), message, federation }),
        );
      },
    );
    count(outcome);
  }

  function onDirected(node: VirtualNode | undefined, data: Uint8Array): void {
    // A wildcard subscription also delivers other fleets' nodes: drop those before paying for a decode.
    if (!node) {
      stats.filtered++;
      return;
    }
    const decoded = decode(data);
    if (!decoded) return;
    dispatch(node, decoded, decodeRequestBody(decoded.request.message), true);
  }

  function onBroadcast(data: Uint8Array): void {
    const decoded = decode(data);
    if (!decoded) return;
    const body = decodeRequestBody(decoded.request.message);
    for (const node of nodes.values()) dispatch(node, decoded, body);
  }

  const subscribeStarted = Date.now();
  const subs: Subscription[] = [];
  const nodePrefix = `${collective}.node.`;
  if ((options.subscription ?? 'wildcard') === 'wildcard') {
    subs.push(
      nc.subscribe(`${nodePrefix}>`, {
        callback: (err, msg) => {
          if (!err) onDirected(nodes.get(msg.subject.slice(nodePrefix.length)), msg.data);
        },
      }),
    );
  } else {
    for (const node of nodes.values()) {
      subs.push(
        nc.subscribe(`${nodePrefix}${node.identity}`, {
          callback: (err, msg) => {
            if (!err) onDirected(node, msg.data);
          },
        }),
      );
    }
  }
  // One subscription per agent serves every node: each node then applies the filter itself.
  for (const agent of ['discovery', ...VIRTUAL_AGENTS]) {
    subs.push(
      nc.subscribe(broadcastSubject(collective, agent), {
        callback: (err, msg) => {
          if (!err) onBroadcast(msg.data);
        },
      }),
    );
  }
  // Make sure the server has every subscription before a test publishes its first request.
  await nc.flush();
  const subscribeMs = Date.now() - subscribeStarted;

  return {
    identities: [...nodes.keys()],
    nodes,
    stats,
    subscribeMs,
    puppetReports: reports,
    seen: () => Object.fromEntries([...received.keys()].map((key) => [key, { received: Object.fromEntries(received.get(key)!), replied: Object.fromEntries(replied.get(key) ?? []) }])),
    async stop() {
      if (!nc.isClosed()) await nc.drain();
      for (const node of nodes.values()) node.close();
      fetcher?.close();
      await reports?.settled();
    },
  };
}

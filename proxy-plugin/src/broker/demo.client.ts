/**
 * BrokerClient over an in-process bus of virtual nodes, for the all-in-one `npm start`: the same node
 * logic as the NATS test fleet, without a network. Every node carries the fact `rex_demo=true` and a
 * `.demo` domain so that it is recognisable as demo data wherever it shows up.
 */
import type { BrokerClient, DirectedCall, DirectedCallResult, DiscoveredNode, RequestFilter } from './broker-client';
import { flattenFacts } from '@protos/facts';
import { encodeMcorpcRequest, MIN_TTL_SECONDS, newRequestId, toWireFilter, unixSeconds, type WireFilter } from './choria/protocol';
import { buildNodeProfiles } from './fleet/node-profiles';
import { createVirtualNode, type NodeRequest, type VirtualNode } from './fleet/virtual-node';

export interface DemoClientOptions {
  /** Names the demo broker (usually the proxy name); it also becomes part of the node domain. */
  name: string;
  nodeCount: number;
  identityPrefix: string;
  seed: number | string;
  collective?: string;
  /** Delay of every node's answer, in milliseconds. */
  latencyMs?: number;
  /** Share of nodes whose package/service/puppet actions fail. */
  failureRate?: number;
  /**
   * Seconds the shortest simulated Puppet run takes; each node takes up to three times as long, so
   * that a Puppet run job shows its hosts applying and ending one by one. Default 4.
   */
  puppetRunSeconds?: number;
  /** Share of Puppet runs that end with failed resources; default 0.125, about one in eight. */
  puppetFailedRunRate?: number;
}

export const DEMO_FACT = 'rex_demo';

export function createDemoClient(options: DemoClientOptions): BrokerClient {
  const collective = options.collective ?? 'mcollective';
  // A proxy already named like a demo host (`puppet-a.demo`) keeps its name as the domain, so
  // nodes read node-a00001.puppet-a.demo rather than ...puppet-a.demo.demo.
  const domain = options.name.endsWith('.demo') ? options.name : `${options.name}.demo`;
  let nodes: Map<string, VirtualNode> | undefined;

  function bus(): Map<string, VirtualNode> {
    if (!nodes) throw new Error(`demo broker ${options.name} is not connected`);
    return nodes;
  }

  function requestFor(agent: string, body: string, filter: WireFilter, requestCollective: string, callerid: string, ttl: number): NodeRequest {
    return {
      requestid: newRequestId(),
      callerid,
      collective: requestCollective,
      agent,
      ttl: Math.max(MIN_TTL_SECONDS, ttl),
      time: unixSeconds(),
      filter,
      body,
    };
  }

  /**
   * Sends one request to the given nodes. Like the real client it never waits for the timeout when every
   * expected node has replied; with `waitForSilent` it waits the timeout out for the others, as a broker
   * client must. Discovery does not: in process, a node that did not accept the request never will.
   */
  function exchange(
    targets: Array<[string, VirtualNode | undefined]>,
    request: NodeRequest,
    onReply: (identity: string, message: string) => void,
    timing: { timeoutMs: number; waitForSilent: boolean; signal?: AbortSignal },
  ): Promise<Set<string>> {
    const { timeoutMs, waitForSilent, signal } = timing;
    const pending = new Set(targets.map(([identity]) => identity));
    return new Promise((resolve) => {
      // eslint-disable-next-line prefer-const -- finish() can run before the timer is set (TDZ with const)
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        resolve(pending);
      };
      if (signal?.aborted) return finish();
      signal?.addEventListener('abort', finish, { once: true });
      let answering = 0;
      for (const [identity, node] of targets) {
        if (!node) continue;
        const outcome = node.handle(request, (message) => {
          // Replies arrive on a later turn, as they would from a broker.
          setImmediate(() => {
            if (!pending.delete(identity)) return;
            answering--;
            onReply(identity, message);
            if (pending.size === 0 || (!waitForSilent && answering === 0)) finish();
          });
        });
        if (outcome === 'replied') answering++;
      }
      if (pending.size === 0 || (!waitForSilent && answering === 0)) return finish();
      timer = setTimeout(finish, timeoutMs);
    });
  }

  return {
    kind: 'demo',
    displayUrl: `demo://${options.name}`,
    async connect() {
      if (nodes) return;
      nodes = new Map();
      const profiles = buildNodeProfiles({
        count: options.nodeCount,
        identityPrefix: options.identityPrefix,
        domain,
        seed: options.seed,
        extraFacts: { [DEMO_FACT]: true },
      });
      const runSeconds = options.puppetRunSeconds ?? 4;
      profiles.forEach((profile, index) => {
        bus().set(
          profile.identity,
          createVirtualNode({ ...profile, collectives: [collective], latencyMs: options.latencyMs, failureRate: options.failureRate, puppetRunSeconds: runSeconds + (index % 5) * Math.ceil(runSeconds / 2), puppetFailedRunRate: options.puppetFailedRunRate ?? 0.125 }),
        );
      });
    },
    async close() {
      nodes = undefined;
    },
    isConnected() {
      return nodes !== undefined;
    },
    async discover(filter: RequestFilter, requestCollective: string, timeoutMs: number) {
      const found: string[] = [];
      const request = requestFor('discovery', 'ping', toWireFilter(filter), requestCollective, 'choria=demo', 60);
      await exchange([...bus().entries()], request, (identity) => found.push(identity), { timeoutMs, waitForSilent: false });
      return found;
    },
    async callDirected(call: DirectedCall): Promise<DirectedCallResult> {
      const all = bus();
      const identities = [...new Set(call.identities)];
      const { request } = call;
      const nodeRequest = requestFor(
        request.agent,
        encodeMcorpcRequest(request),
        toWireFilter({ agent: [request.agent] }),
        request.collective || collective,
        request.callerid,
        request.ttlSeconds,
      );
      const publishedAtMs = Date.now();
      const silent = await exchange(
        identities.map((identity) => [identity, all.get(identity)]),
        nodeRequest,
        (identity, message) => {
          const body = JSON.parse(message) as { statuscode: number; statusmsg: string; data: Record<string, unknown> };
          call.onReply({ identity, statuscode: body.statuscode, statusmsg: body.statusmsg, data: body.data, receivedAtMs: Date.now() });
        },
        { timeoutMs: call.timeoutMs, waitForSilent: true, signal: call.signal },
      );
      return { requestId: nodeRequest.requestid, silent: [...silent], publishedAtMs };
    },
    async inventory(requestCollective: string, timeoutMs: number): Promise<DiscoveredNode[]> {
      const all = bus();
      const found: DiscoveredNode[] = [];
      const request = requestFor('rpcutil', encodeMcorpcRequest({ agent: 'rpcutil', action: 'inventory', data: {} }), toWireFilter(), requestCollective, 'choria=demo', 60);
      await exchange(
        [...all.entries()],
        request,
        (identity, message) => {
          const body = JSON.parse(message) as { statuscode: number; data: { facts: Record<string, unknown>; classes: string[]; agents: string[]; collectives: string[] } };
          if (body.statuscode !== 0) return;
          found.push({
            identity,
            facts: flattenFacts(body.data.facts),
            classes: body.data.classes,
            agents: body.data.agents,
            collectives: body.data.collectives,
          });
        },
        { timeoutMs, waitForSilent: false },
      );
      return found;
    },
  };
}

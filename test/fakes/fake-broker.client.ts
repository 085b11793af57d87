/**
 * A BrokerClient without a broker, for unit tests and the gRPC contract test. The real-broker tests
 * are the NATS integration tests under test/proxy-plugin/broker/.
 *
 * In `auto` mode every call is answered on the next microtasks by the configured node behaviours and
 * resolves at once: silent nodes are reported silent without waiting, so no real timer is needed.
 * In `manual` mode a call stays open until every target got a reply(), the test calls expire(), or
 * the signal aborts.
 */
import type { BrokerClient, DirectedCall, DirectedCallResult, DiscoveredNode, NodeReply, RequestFilter } from '@proxy/broker/broker-client';

export interface FakeNode {
  statuscode?: number;
  statusmsg?: string;
  data?: Record<string, unknown>;
  /** Never replies. */
  silent?: boolean;
  /** Never replies, and the call reports it refused by security with this reason. */
  refused?: string;
  /** The first call that targets it reports it unsent (the connection dropped before its publish). */
  unsentOnce?: boolean;
  facts?: Record<string, string>;
  agents?: string[];
}

export interface FakeBrokerOptions {
  nodes?: Record<string, FakeNode>;
  mode?: 'auto' | 'manual';
  connected?: boolean;
  /** Identities that answer every call although nobody asked them (auto mode). */
  strangers?: string[];
  /** callDirected rejects with this error. */
  failWith?: Error;
  now?: () => number;
}

export interface RecordedCall {
  call: DirectedCall;
  replied: Set<string>;
  targets: Set<string>;
  waitingFor: number;
  resolve: (result: DirectedCallResult) => void;
  requestId: string;
  settled: boolean;
}

export interface FakeBroker extends BrokerClient {
  readonly calls: RecordedCall[];
  readonly discoveries: Array<{ filter: RequestFilter; collective: string; timeoutMs: number }>;
  setConnected(connected: boolean): void;
  /** Manual mode: a reply to the open call that targets (or, for strangers, the latest call). */
  reply(identity: string, reply?: Partial<NodeReply>): void;
  /** Manual mode: ends the latest open call; identities that did not reply are reported silent. */
  expire(): void;
  /** Resolves once `count` calls have been made. */
  waitForCalls(count: number): Promise<void>;
}

export function createFakeBroker(options: FakeBrokerOptions = {}): FakeBroker {
  const nodes = options.nodes ?? {};
  const now = options.now ?? (() => 1_000);
  let connected = options.connected ?? true;
  const calls: RecordedCall[] = [];
  const discoveries: FakeBroker['discoveries'] = [];
  const callWaiters: Array<{ count: number; resolve: () => void }> = [];
  let counter = 0;

  const unsentDone = new Set<string>();

  function settle(recorded: RecordedCall): void {
    if (recorded.settled) return;
    recorded.settled = true;
    const unsent = recorded.call.identities.filter((identity) => nodes[identity]?.unsentOnce && !unsentDone.has(identity));
    for (const identity of unsent) unsentDone.add(identity);
    const silent = recorded.call.identities.filter((identity) => !recorded.replied.has(identity) && !unsent.includes(identity));
    const refused = silent.filter((identity) => nodes[identity]?.refused).map((identity) => ({ identity, reason: nodes[identity].refused! }));
    recorded.resolve({
      requestId: recorded.requestId,
      silent,
      publishedAtMs: now(),
      ...(unsent.length > 0 ? { unsent } : {}),
      ...(refused.length > 0 ? { refused } : {}),
    });
  }

  function deliver(recorded: RecordedCall, identity: string, reply: Partial<NodeReply>): void {
    if (recorded.settled || recorded.call.signal.aborted) return;
    if (recorded.targets.has(identity) && !recorded.replied.has(identity)) recorded.waitingFor--;
    recorded.replied.add(identity);
    recorded.call.onReply({ identity, statuscode: 0, statusmsg: 'OK', data: {}, receivedAtMs: now(), ...reply });
    // Like the real clients: a directed call ends as soon as every target has replied.
    if (recorded.waitingFor === 0) settle(recorded);
  }

  function nodeReply(identity: string): Partial<NodeReply> {
    const node = nodes[identity] ?? {};
    return { statuscode: node.statuscode ?? 0, statusmsg: node.statusmsg ?? 'OK', data: node.data ?? { identity } };
  }

  return {
    kind: 'choria',
    displayUrl: 'nats://fake:4222',
    calls,
    discoveries,
    async connect() {
      connected = true;
    },
    async close() {
      connected = false;
    },
    isConnected: () => connected,
    setConnected(value) {
      connected = value;
    },
    async discover(filter, collective, timeoutMs) {
      discoveries.push({ filter, collective, timeoutMs });
      return Object.entries(nodes)
        .filter(([, node]) => !node.silent && (filter.agent.length === 0 || filter.agent.every((agent) => (node.agents ?? [agent]).includes(agent))))
        .map(([identity]) => identity);
    },
    callDirected(call) {
      if (options.failWith) return Promise.reject(options.failWith);
      return new Promise<DirectedCallResult>((resolve) => {
        const targets = new Set(call.identities);
        const recorded: RecordedCall = { call, replied: new Set(), targets, waitingFor: targets.size, resolve, requestId: `fake${String(++counter).padStart(28, '0')}`, settled: false };
        calls.push(recorded);
        for (const waiter of callWaiters.filter((w) => calls.length >= w.count)) waiter.resolve();
        if (call.signal.aborted) return settle(recorded);
        call.signal.addEventListener('abort', () => settle(recorded), { once: true });
        if ((options.mode ?? 'auto') === 'manual') return;
        void (async () => {
          await Promise.resolve();
          for (const stranger of options.strangers ?? []) deliver(recorded, stranger, nodeReply(stranger));
          for (const identity of call.identities) {
            await Promise.resolve();
            const node = nodes[identity];
            if (!node?.silent && !node?.refused && !(node?.unsentOnce && !unsentDone.has(identity))) deliver(recorded, identity, nodeReply(identity));
          }
          settle(recorded);
        })();
      });
    },
    async inventory(): Promise<DiscoveredNode[]> {
      return Object.entries(nodes)
        .filter(([, node]) => !node.silent)
        .map(([identity, node]) => ({ identity, facts: node.facts ?? {}, classes: [], agents: node.agents ?? ['rpcutil'], collectives: ['mcollective'] }));
    },
    reply(identity, reply = {}) {
      const open = calls.filter((c) => !c.settled);
      const target = open.find((c) => c.call.identities.includes(identity)) ?? open[open.length - 1];
      if (!target) throw new Error(`no open call for ${identity}`);
      deliver(target, identity, { ...nodeReply(identity), ...reply });
    },
    expire() {
      const open = calls.filter((c) => !c.settled);
      const latest = open[open.length - 1];
      if (!latest) throw new Error('no open call to expire');
      settle(latest);
    },
    waitForCalls(count) {
      if (calls.length >= count) return Promise.resolve();
      return new Promise((resolve) => callWaiters.push({ count, resolve }));
    },
  };
}

/**
 * BrokerClient for MCollective 2.x: the SimpleRPC protocol with the psk security plugin, spoken
 * natively over STOMP to ActiveMQ or RabbitMQ (the message layout is in mcollective/protocol.ts,
 * the destinations in mcollective/connector.ts). The only code that opens STOMP connections for
 * the proxy (STYLE.md §2). STOMP comes from @stomp/stompjs over @stomp/tcp-wrapper.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';

import { Client, type IMessage } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';

import { inventoryByRpcutil, type BrokerClient, type DirectedCall, type DirectedCallResult, type DiscoveredNode, type NodeReply, type RequestFilter } from './broker-client';
import { CompoundFilterError, parseCompoundFilter } from './mcollective/compound-filter';
import { createConnectorConventions, type ConnectorFlavour } from './mcollective/connector';
import {
  DISCOVERY_AGENT,
  decodeReply,
  decodeRpcReply,
  encodeDiscoveryBody,
  encodeRequest,
  encodeRpcBody,
  isDiscoveryReply,
  newRequestId,
  PskCheckError,
  toWireFilter,
  type DecodedReply,
} from './mcollective/protocol';

/** The subset of a pino logger this client uses; logger.ts owns the library itself. */
export interface McollectiveClientLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface McollectiveTlsOptions {
  /** CA bundle (PEM) that signed the broker's certificate; the system CAs when absent. */
  caPem?: string;
  /** Client certificate and key (PEM) when the broker asks for one. */
  certPem?: string;
  keyPem?: string;
}

/** One STOMP broker of a pool (plugin.<connector>.pool.N.host / .port). */
export interface McollectiveBroker {
  host: string;
  port: number;
}

export interface McollectiveClientOptions {
  host: string;
  port: number;
  /**
   * Several brokers, tried in order with failover as MCollective's pool settings do: the first at
   * start, the next one whenever the one in use cannot be reached or drops; replaces host and port.
   */
  pool?: readonly McollectiveBroker[];
  /** Present: STOMP over TLS (ActiveMQ's usual 61614). */
  tls?: McollectiveTlsOptions;
  user: string;
  password: string;
  /** STOMP `host` header: the RabbitMQ vhost (e.g. /mcollective); ActiveMQ ignores it. */
  vhost: string;
  flavour: ConnectorFlavour;
  /** The psk shared with every mcollectived (plugin.psk). */
  psk: string;
  collectives: string[];
  mainCollective: string;
  /** Caller id sent with requests, e.g. `uid=rex` or `choria=rex.mcollective`. */
  callerid: string;
  /** This proxy's identity (senderid and mc_sender). */
  senderid: string;
  logger?: McollectiveClientLogger;
  /** Publishes between two yields to the event loop, so replies are read while a large fan-out runs. */
  publishBatch?: number;
  /** Milliseconds between reconnect attempts once connected; 0 disables reconnecting (not for a pool of several). */
  reconnectDelayMs?: number;
  /** Connection events for /metrics (metrics/metrics.ts): after a lost connection came back, and when it was lost. */
  onReconnect?: () => void;
  onDisconnect?: () => void;
}

/** Counters for operators and tests; replies refused by the psk check are the ones to watch. */
export interface McollectiveClientStats {
  repliesAccepted: number;
  /** Replies that failed the psk check or did not decode: dropped, their host ends refused by security. */
  repliesRejected: number;
  /** Valid replies for no request in flight (late, or for another client on the connection). */
  repliesUnmatched: number;
}

export interface McollectiveClient extends BrokerClient {
  stats(): McollectiveClientStats;
}

const DEFAULT_TTL_SECONDS = 60;
const DEFAULT_PUBLISH_BATCH = 250;
const CONNECT_TIMEOUT_MS = 10_000;
const HEARTBEAT_MS = 10_000;
/**
 * After the proxy's own reconnect, how long the daemons may take to reconnect and subscribe again:
 * MCollective's stomp connectors back off up to max_reconnect_delay (30 s by default) between
 * attempts, and a request published before a node subscribed is lost for that node.
 */
const RESUBSCRIBE_WINDOW_MS = 35_000;
/** One discovery round of the readiness and psk probes; both end early once they have their answer. */
const PROBE_ROUND_MS = 1500;
/** A psk probe's answer holds this long, so the batches of one execution do not each probe again. */
const PSK_PROBE_TTL_MS = 5000;

const silentLogger: McollectiveClientLogger = { debug() {}, info() {}, warn() {}, error() {} };

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * TCPWrapper over a TLS socket instead of a plain one. TCPWrapper's constructor opens the socket
 * (getSocket) before a subclass's own fields are set, so the options travel in a class made per
 * connection rather than in a field, which would still be undefined then (the CA and client
 * certificate were silently left out that way until #26).
 */
function tlsWrapper(host: string, port: number, options: McollectiveTlsOptions): TCPWrapper {
  const TlsWrapper = class extends TCPWrapper {
    protected override getSocket(p: number, h: string) {
      return tls.connect({ host: h, port: p, servername: isIP(h) ? undefined : h, ca: options.caPem, cert: options.certPem, key: options.keyPem });
    }
  };
  return new TlsWrapper(host, port);
}

interface ReplyHandler {
  accept(reply: DecodedReply): void;
  /** A reply claiming to answer this request failed the psk check. */
  reject?(senderid: string, why: string): void;
}

/** The reason of a host whose reply failed the psk check. */
function pskRejectedReason(identity: string): string {
  return `refused by security: the reply from ${identity} failed the psk check (the node's plugin.psk differs from this proxy's, or the reply was altered on the way), so the proxy discarded it`;
}

/** The reason of an asked host when no node at all answered this proxy. */
const NO_NODE_ACCEPTS_REASON =
  "refused by the nodes' security (suspected): no node answers this proxy, not even discovery. mcollectived drops, without a reply, every request whose psk hash does not match its plugin.psk (its log says 'Received an invalid signature in message'); check that this proxy's mcollective psk equals the nodes' plugin.psk, or whether every node is down";

export function createMcollectiveClient(options: McollectiveClientOptions): McollectiveClient {
  const log = options.logger ?? silentLogger;
  const publishBatch = options.publishBatch ?? DEFAULT_PUBLISH_BATCH;
  const brokers: readonly McollectiveBroker[] = options.pool && options.pool.length > 0 ? options.pool : [{ host: options.host, port: options.port }];
  const brokerName = (b: McollectiveBroker): string => `${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`;
  const displayUrl = `${options.tls ? 'stomp+ssl' : 'stomp'}://${brokers.map(brokerName).join(',')}${options.flavour === 'rabbitmq' ? options.vhost : ''} (${options.flavour})`;
  /** The pool member of the latest connection attempt; the next attempt takes the one after it. */
  let brokerIndex = -1;
  /** The pool member this client is connected to, while connected. */
  let inUse: McollectiveBroker | undefined;
  const conventions = createConnectorConventions({ flavour: options.flavour, senderid: options.senderid, instance: `${process.pid}_${newRequestId().slice(0, 8)}` });
  const pending = new Map<string, ReplyHandler>();
  const counters: McollectiveClientStats = { repliesAccepted: 0, repliesRejected: 0, repliesUnmatched: 0 };
  let client: Client | undefined;
  let connected = false;
  /** When the connection last came back after a loss (undefined until it has been lost once). */
  let reconnectedAt: number | undefined;
  const connectWaiters = new Set<() => void>();
  let pskProbe: { at: number; answered: boolean } | undefined;

  function onMessage(message: IMessage): void {
    if (!conventions.isReply(message.headers)) return;
    let reply: DecodedReply;
    try {
      reply = decodeReply(message.binaryBody, options.psk);
    } catch (cause) {
      counters.repliesRejected++;
      if (cause instanceof PskCheckError) {
        // The envelope is not covered by the hash: sender and request id are claims, good enough to
        // say whose answer failed, never to accept it.
        log.warn({ identity: cause.senderid, requestId: cause.requestid, mcSender: message.headers.mc_sender }, 'reply failed the psk check; discarded');
        pending.get(cause.requestid)?.reject?.(cause.senderid, cause.message);
      } else {
        // mc_sender is unauthenticated, but it is the best hint at who sent a bad reply.
        log.warn({ err: cause, mcSender: message.headers.mc_sender }, 'reply rejected');
      }
      return;
    }
    const handler = pending.get(reply.requestid);
    if (!handler) {
      counters.repliesUnmatched++;
      return;
    }
    counters.repliesAccepted++;
    handler.accept(reply);
  }

  /** Resolves on the next (re)connect, after `ms`, or on abort, whichever comes first. */
  function nextConnect(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        connectWaiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      connectWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  function active(): Client {
    if (!client || !connected) throw new Error(`not connected to the MCollective broker at ${displayUrl}`);
    return client;
  }

  function checkCollective(collective: string): void {
    // Nodes silently ignore collectives they have not joined, which would look like a fleet of silent hosts.
    if (!options.collectives.includes(collective)) {
      throw new Error(`collective ${collective} is not configured for ${displayUrl} (configured: ${options.collectives.join(', ')})`);
    }
  }

  function subscribeReplies(c: Client): void {
    for (const collective of options.collectives) {
      const destination = conventions.replySubscription(collective);
      if (destination) c.subscribe(destination, onMessage, { id: `rex_replies_${collective}` });
    }
  }

  function envelope(agent: string, body: Uint8Array, collective: string, filter: RequestFilter | undefined, callerid: string, ttl: number) {
    checkCollective(collective);
    const requestid = newRequestId();
    const payload = encodeRequest({
      body,
      senderid: options.senderid,
      requestid,
      filter: toWireFilter(filter),
      collective,
      agent,
      callerid,
      ttl,
      msgtime: Math.floor(Date.now() / 1000),
      psk: options.psk,
    });
    return { requestid, payload };
  }

  /** Broadcast discovery; waits the whole timeout unless `enough` says the answers so far suffice. */
  async function discoverUntil(filter: RequestFilter, collective: string, timeoutMs: number, enough?: (found: ReadonlySet<string>) => boolean): Promise<string[]> {
    const c = active();
    const { requestid, payload } = envelope(DISCOVERY_AGENT, encodeDiscoveryBody(), collective, filter, options.callerid, DEFAULT_TTL_SECONDS);
    const found = new Set<string>();
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    pending.set(requestid, {
      accept: (reply) => {
        if (isDiscoveryReply(reply.body)) found.add(reply.senderid);
        if (enough?.(found)) stop();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const target = conventions.broadcast(collective, DISCOVERY_AGENT, DEFAULT_TTL_SECONDS, Date.now());
      c.publish({ destination: target.destination, headers: target.headers, binaryBody: payload });
      // Broadcast discovery cannot know how many nodes exist, so it waits the whole timeout unless told what is enough.
      await Promise.race([stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    } finally {
      if (timer) clearTimeout(timer);
      pending.delete(requestid);
    }
    log.debug({ requestId: requestid, collective, found: found.size }, 'discovery finished');
    return [...found];
  }

  function discover(filter: RequestFilter, collective: string, timeoutMs: number): Promise<string[]> {
    return discoverUntil(filter, collective, timeoutMs);
  }

  /**
   * Waits for the connection, and after a reconnect for these nodes to answer discovery (they
   * resubscribe on their own backoff), so the next batch does not go to queues nobody reads yet.
   */
  async function awaitReady(identities: readonly string[], collective: string, untilMs: number, signal: AbortSignal): Promise<boolean> {
    while (!(client && connected)) {
      const left = untilMs - Date.now();
      if (left <= 0 || signal.aborted) return false;
      await nextConnect(left, signal);
    }
    if (reconnectedAt === undefined || Date.now() - reconnectedAt > RESUBSCRIBE_WINDOW_MS) return true;
    const until = Math.min(untilMs, reconnectedAt + RESUBSCRIBE_WINDOW_MS);
    const missing = new Set(identities);
    while (missing.size > 0 && connected && !signal.aborted && Date.now() < until) {
      const filter: RequestFilter = { fact: [], cf_class: [], identity: [...missing], agent: [], compound: '' };
      const round = Math.max(1, Math.min(PROBE_ROUND_MS, until - Date.now()));
      for (const identity of await discoverUntil(filter, collective, round, (found) => [...missing].every((id) => found.has(id)))) missing.delete(identity);
    }
    if (missing.size > 0 && !signal.aborted) log.warn({ url: displayUrl, missing: missing.size, of: identities.length }, 'nodes not back on the broker since its reconnect; sending to them anyway');
    return client !== undefined && connected;
  }

  /**
   * Whether any node answers this proxy at all. A daemon whose psk differs drops the request without
   * a word, so "every host silent" and "no node answers discovery either" is how a psk mismatch looks
   * from here. The answer is kept a few seconds for the other batches of the same execution.
   */
  async function anyNodeAnswers(collective: string): Promise<boolean> {
    if (pskProbe && Date.now() - pskProbe.at < PSK_PROBE_TTL_MS) return pskProbe.answered;
    let found: string[];
    try {
      found = await discoverUntil({ fact: [], cf_class: [], identity: [], agent: [], compound: '' }, collective, PROBE_ROUND_MS, (f) => f.size > 0);
    } catch {
      // The connection went away meanwhile: that says nothing about the psk.
      return true;
    }
    pskProbe = { at: Date.now(), answered: found.length > 0 };
    if (!pskProbe.answered) log.error({ url: displayUrl, collective }, 'no node answers this proxy, not even discovery; a psk that differs from the nodes\' plugin.psk is the likely cause');
    return pskProbe.answered;
  }

  async function callDirected(call: DirectedCall): Promise<DirectedCallResult> {
    // Nothing published: the caller may send these again once the broker is back (awaitReady).
    if (!client || !connected) return { requestId: '', silent: [], unsent: [...new Set(call.identities)], publishedAtMs: Date.now() };
    const c = client;
    const { request } = call;
    const collective = request.collective || options.mainCollective;
    const callerid = request.callerid || options.callerid;
    const ttl = request.ttlSeconds || DEFAULT_TTL_SECONDS;
    const body = encodeRpcBody({ agent: request.agent, action: request.action, caller: callerid, data: request.data, inputTypes: request.inputTypes });
    const filter: RequestFilter = { fact: [], cf_class: [], identity: [], agent: [request.agent], compound: '' };
    // One envelope and one psk hash for every target, as `mco` sends a direct_request.
    const { requestid, payload } = envelope(request.agent, body, collective, filter, callerid, ttl);
    const expected = new Set(call.identities);
    const waiting = new Set(expected);
    /** Waiting identities whose reply failed the psk check; a genuine reply later still wins. */
    const rejected = new Set<string>();
    let accepted = 0;

    let timer: NodeJS.Timeout | undefined;
    // Once finished, late replies are ignored so that `silent` and the delivered replies agree.
    let finished = false;
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const finish = (): void => {
      finished = true;
      resolveDone();
    };
    // Like the timer below: a cancel read in the same turn as replies must not count them missing.
    const finishSoon = (): void => void setImmediate(finish);

    pending.set(requestid, { accept: (decoded) => {
      if (finished || !waiting.has(decoded.senderid)) return;
      let reply: NodeReply;
      try {
        const rpc = decodeRpcReply(decoded.body);
        reply = { identity: decoded.senderid, statuscode: rpc.statuscode, statusmsg: rpc.statusmsg, data: rpc.data, dataJson: rpc.dataJson, receivedAtMs: Date.now() };
      } catch (cause) {
        log.warn({ err: cause, requestId: requestid, identity: decoded.senderid }, 'reply dropped');
        return;
      }
      waiting.delete(decoded.senderid);
      rejected.delete(decoded.senderid);
      accepted++;
      try {
        call.onReply(reply);
      } catch (cause) {
        log.error({ err: cause, requestId: requestid, identity: decoded.senderid }, 'reply callback failed');
      }
      if (waiting.size === 0) finish();
    }, reject: (senderid) => {
      if (!finished && waiting.has(senderid)) rejected.add(senderid);
    } });

    const publishedAtMs = Date.now();
    const unsent: string[] = [];
    try {
      if (call.signal.aborted) return { requestId: requestid, silent: [...waiting], publishedAtMs };
      call.signal.addEventListener('abort', finishSoon, { once: true });
      let sent = 0;
      for (const identity of expected) {
        if (call.signal.aborted) break;
        const target = conventions.directed(collective, request.agent, identity, ttl, publishedAtMs);
        try {
          c.publish({ destination: target.destination, headers: target.headers, binaryBody: payload });
        } catch (cause) {
          // The connection dropped part way: the rest was never published and may go after the reconnect.
          const list = [...expected];
          unsent.push(...list.slice(list.indexOf(identity)));
          log.warn({ err: cause, requestId: requestid, unsent: unsent.length }, 'publishing stopped: the broker connection is gone');
          break;
        }
        if (++sent % publishBatch === 0) await yieldToEventLoop();
      }
      for (const identity of unsent) waiting.delete(identity);
      log.debug({ requestId: requestid, agent: request.agent, action: request.action, targets: expected.size - unsent.length }, 'directed request published');
      if (waiting.size > 0 && !call.signal.aborted) {
        // After the timer, one more turn of the event loop before giving up: a process that was
        // stalled (SIGSTOP, a long pause) runs expired timers before it reads its sockets, and replies
        // that reached it in time must not be counted missing.
        timer = setTimeout(finishSoon, call.timeoutMs);
        await done;
      }
    } finally {
      if (timer) clearTimeout(timer);
      call.signal.removeEventListener('abort', finishSoon);
      finished = true;
      pending.delete(requestid);
    }
    const silent = [...waiting];
    const refused = silent.filter((identity) => rejected.has(identity)).map((identity) => ({ identity, reason: pskRejectedReason(identity) }));
    // Every published host silent and none refused by name: ask whether any node answers at all.
    if (accepted === 0 && refused.length === 0 && silent.length > 0 && !call.signal.aborted && connected && !(await anyNodeAnswers(collective))) {
      refused.push(...silent.map((identity) => ({ identity, reason: NO_NODE_ACCEPTS_REASON })));
    }
    return { requestId: requestid, silent, publishedAtMs, ...(unsent.length > 0 ? { unsent } : {}), ...(refused.length > 0 ? { refused } : {}) };
  }

  function inventory(collective: string, timeoutMs: number): Promise<DiscoveredNode[]> {
    return inventoryByRpcutil({ discover, callDirected }, collective, timeoutMs, options.callerid, DEFAULT_TTL_SECONDS);
  }

  function connect(): Promise<void> {
    if (client && connected) return Promise.resolve();
    // Every connect() starts at the head of the pool, as mcollectived does when it starts.
    brokerIndex = -1;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      /** Why each pool member failed during this first connect; the whole pool is tried before giving up. */
      const failures = new Map<number, string>();
      const fail = (message: string): void => {
        if (settled) return;
        const failedBroker = brokers[Math.max(0, brokerIndex)];
        // One failed attempt may report twice (socket error, then close): the first reason is kept.
        const first = !failures.has(brokerIndex);
        if (first) failures.set(brokerIndex, message);
        if (failures.size < brokers.length) {
          // stompjs reconnects after reconnectDelay; the factory hands it the next broker of the pool.
          if (first) log.warn({ url: displayUrl, server: brokerName(failedBroker), reason: message }, 'stomp broker unreachable; trying the next one of the pool');
          return;
        }
        settled = true;
        const failed = c;
        void failed.deactivate().catch(() => undefined);
        if (client === failed) client = undefined;
        const detail = brokers.length === 1 ? message : [...failures].sort(([a], [b]) => a - b).map(([i, why]) => `${brokerName(brokers[i])}: ${why}`).join('; ');
        reject(new Error(`broker unreachable: ${displayUrl}: ${detail}`));
      };
      const c = new Client({
        webSocketFactory: () => {
          brokerIndex = (brokerIndex + 1) % brokers.length;
          const { host, port } = brokers[brokerIndex];
          return options.tls ? tlsWrapper(host, port, options.tls) : new TCPWrapper(host, port);
        },
        connectHeaders: { login: options.user, passcode: options.password, host: options.vhost },
        heartbeatIncoming: HEARTBEAT_MS,
        heartbeatOutgoing: HEARTBEAT_MS,
        // Retries before the first connect are the caller's (main.ts backs off): a failure before it
        // deactivates this client (fail below). Afterwards stompjs reconnects by itself. The delay
        // must be set here: stompjs copies it when it activates and again on each connect, before
        // onConnect runs, so setting it in onConnect never took effect (a lost connection stayed lost).
        // A pool is tried through before the first connect fails, so it needs a delay even when 0.
        reconnectDelay: options.reconnectDelayMs === 0 && brokers.length === 1 ? 0 : options.reconnectDelayMs || 1000,
        connectionTimeout: CONNECT_TIMEOUT_MS,
        debug: () => undefined,
        onConnect: () => {
          connected = true;
          inUse = brokers[brokerIndex];
          subscribeReplies(c);
          for (const wake of [...connectWaiters]) wake();
          if (!settled) {
            settled = true;
            log.info({ url: displayUrl, server: brokerName(inUse), collectives: options.collectives }, 'stomp connected');
            resolve();
          } else {
            reconnectedAt = Date.now();
            log.info({ url: displayUrl, server: brokerName(inUse) }, 'stomp reconnected');
            options.onReconnect?.();
          }
        },
        onStompError: (frame) => {
          // Never log the frame body verbatim: brokers echo parts of the CONNECT frame.
          log.error({ url: displayUrl, message: frame.headers.message }, 'stomp error from broker');
          fail(frame.headers.message ?? 'the broker sent an ERROR frame');
        },
        onWebSocketClose: () => {
          if (connected) {
            log.warn({ url: displayUrl, server: inUse ? brokerName(inUse) : undefined }, 'stomp disconnected');
            options.onDisconnect?.();
          }
          connected = false;
          inUse = undefined;
          fail('connection closed');
        },
        onWebSocketError: (event: unknown) => {
          const detail = (event as { message?: unknown })?.message;
          // tcp-wrapper passes the socket's Error as `message` (duck-typed: it may come from another realm).
          const why = (detail as { message?: unknown } | undefined)?.message;
          fail(typeof why === 'string' && why !== '' ? why : typeof detail === 'string' && detail !== '' ? detail : 'connection failed');
        },
        onUnhandledMessage: onMessage,
      });
      client = c;
      c.activate();
    });
  }

  return {
    kind: 'mcollective',
    displayUrl,
    connect,
    async close() {
      const c = client;
      client = undefined;
      connected = false;
      inUse = undefined;
      if (c) await c.deactivate();
    },
    isConnected: () => connected && client !== undefined,
    currentServer: () => (connected && client !== undefined && inUse ? brokerName(inUse) : undefined),
    discover,
    callDirected,
    awaitReady,
    inventory,
    checkFilter(filter) {
      if (!filter.compound) return undefined;
      try {
        parseCompoundFilter(filter.compound);
        return undefined;
      } catch (error) {
        if (error instanceof CompoundFilterError) return error.message;
        throw error;
      }
    },
    stats: () => ({ ...counters }),
  };
}

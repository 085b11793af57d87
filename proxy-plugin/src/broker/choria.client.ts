/**
 * BrokerClient for Choria over NATS, protocol v1 (choria-protocol.md). The only code that opens NATS
 * connections for the proxy (STYLE.md §2).
 */
import { connect, Events, type NatsConnection, type Subscription } from 'nats';

import type {
  BrokerClient,
  DirectedCall,
  DirectedCallResult,
  DiscoveredNode,
  NodeReply,
  RequestFilter,
} from './broker-client';
import { inventoryByRpcutil } from './broker-client';
import {
  broadcastSubject,
  createRequestSigner,
  decodeMcorpcReply,
  decodeReply,
  DISCOVERY_BODY,
  DISCOVERY_REPLY_BODY,
  encodeMcorpcRequest,
  encodeRequest,
  MIN_TTL_SECONDS,
  newRequestId,
  nodeSubject,
  replySubject,
  toWireFilter,
  unixSeconds,
  type RequestSigner,
  type SecurityOptions,
} from './choria/protocol';

/** The subset of a pino logger this client uses; logger.ts owns the library itself. */
export interface ChoriaClientLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ChoriaClientOptions {
  /**
   * One NATS URL, or the servers of a cluster: nats.js tries each at connect (in random order, as
   * Choria's clients do) and each again on every reconnect, plus the nodes the cluster announces.
   */
  natsUrl: string | readonly string[];
  collectives: string[];
  mainCollective: string;
  /** `choria=<certname>`; with x509 it must name the certificate's CN. */
  callerid: string;
  /** This proxy's identity, sent as senderid and mc_sender. */
  senderid: string;
  security: SecurityOptions;
  /** TLS to the broker (Choria deployments use mutual TLS with the signing certificate); files in PEM. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** How long one connection attempt may take, handshake included (nats.js default: 20 s). */
  connectTimeoutMs?: number;
  logger?: ChoriaClientLogger;
  /** Publishes between two yields to the event loop, so replies are read while a large fan-out runs. */
  publishBatch?: number;
  /** Connection events for /metrics (metrics/metrics.ts): after a lost connection came back, and when it was lost. */
  onReconnect?: () => void;
  onDisconnect?: () => void;
}

const DEFAULT_TTL_SECONDS = 60;
const DEFAULT_PUBLISH_BATCH = 250;

const silentLogger: ChoriaClientLogger = { debug() {}, info() {}, warn() {}, error() {} };

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Strips credentials so the URL can be shown and logged. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

export function createChoriaClient(options: ChoriaClientOptions): BrokerClient {
  const log = options.logger ?? silentLogger;
  const signer: RequestSigner = createRequestSigner(options.security);
  const publishBatch = options.publishBatch ?? DEFAULT_PUBLISH_BATCH;
  const servers = typeof options.natsUrl === 'string' ? [options.natsUrl] : [...options.natsUrl];
  if (servers.length === 0) throw new Error('no NATS server given');
  const displayUrl = servers.map(redactUrl).join(',');
  let nc: NatsConnection | undefined;
  let connected = false;

  /** The server in use, as nats.js names it (host:port, never credentials). */
  function currentServer(): string | undefined {
    if (!nc || nc.isClosed() || !connected) return undefined;
    return nc.getServer() || undefined;
  }

  function connection(): NatsConnection {
    if (!nc || nc.isClosed()) throw new Error(`not connected to NATS at ${displayUrl}`);
    return nc;
  }

  async function watchStatus(conn: NatsConnection): Promise<void> {
    for await (const status of conn.status()) {
      if (status.type === Events.Disconnect) {
        connected = false;
        log.warn({ url: displayUrl, server: String(status.data) }, 'nats disconnected');
        options.onDisconnect?.();
      } else if (status.type === Events.Reconnect) {
        connected = true;
        log.info({ url: displayUrl, server: currentServer() }, 'nats reconnected');
        options.onReconnect?.();
      }
    }
  }

  function encode(agent: string, message: string, collective: string, filter: RequestFilter | undefined, callerid: string, ttl: number) {
    // Nodes silently ignore collectives they have not joined, which would look like a fleet of silent hosts.
    if (!options.collectives.includes(collective)) {
      throw new Error(`collective ${collective} is not configured for ${displayUrl} (configured: ${options.collectives.join(', ')})`);
    }
    const requestid = newRequestId();
    const replyTo = replySubject(collective, callerid, requestid);
    const encoded = encodeRequest(
      {
        message,
        requestid,
        senderid: options.senderid,
        callerid,
        collective,
        agent,
        ttl: Math.max(MIN_TTL_SECONDS, Math.ceil(ttl)),
        time: unixSeconds(),
        filter: toWireFilter(filter),
        replyTo,
      },
      signer,
    );
    return { ...encoded, replyTo };
  }

  async function discover(filter: RequestFilter, collective: string, timeoutMs: number): Promise<string[]> {
    const conn = connection();
    const { payload, replyTo, requestId } = encode('discovery', DISCOVERY_BODY, collective, filter, options.callerid, DEFAULT_TTL_SECONDS);
    const found = new Set<string>();
    const sub = conn.subscribe(replyTo, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const reply = decodeReply(msg.data);
          if (reply.requestid === requestId && reply.message === DISCOVERY_REPLY_BODY) found.add(reply.senderid);
        } catch (cause) {
          log.warn({ err: cause, requestId }, 'discovery reply dropped');
        }
      },
    });
    conn.publish(broadcastSubject(collective, 'discovery'), payload);
    // Broadcast discovery cannot know how many nodes exist, so it always waits the whole timeout.
    await new Promise((resolve) => setTimeout(resolve, timeoutMs));
    sub.unsubscribe();
    log.debug({ requestId, collective, found: found.size }, 'discovery finished');
    return [...found];
  }

  async function callDirected(call: DirectedCall): Promise<DirectedCallResult> {
    const conn = connection();
    const { request } = call;
    const collective = request.collective || options.mainCollective;
    const callerid = request.callerid || options.callerid;
    const expected = new Set(call.identities);
    const filter: RequestFilter = { fact: [], cf_class: [], identity: [], agent: [request.agent], compound: '' };
    // One signature for every target and batch, as go-choria does: signing per host costs ~2.3 s/10k.
    const encoded = encode(request.agent, encodeMcorpcRequest(request), collective, filter, callerid, request.ttlSeconds || DEFAULT_TTL_SECONDS);
    const { requestId, payload, replyTo } = encoded;
    const pending = new Set(expected);

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

    const sub: Subscription = conn.subscribe(replyTo, {
      callback: (err, msg) => {
        if (err || finished) return;
        let identity: string;
        let reply: NodeReply;
        try {
          const decoded = decodeReply(msg.data);
          if (decoded.requestid !== requestId) return;
          identity = decoded.senderid;
          if (!pending.has(identity)) return;
          const body = decodeMcorpcReply(decoded.message);
          reply = { identity, statuscode: body.statuscode, statusmsg: body.statusmsg, data: body.data, dataJson: body.dataJson, receivedAtMs: Date.now() };
        } catch (cause) {
          log.warn({ err: cause, requestId }, 'reply dropped');
          return;
        }
        pending.delete(identity);
        try {
          call.onReply(reply);
        } catch (cause) {
          log.error({ err: cause, requestId, identity }, 'reply callback failed');
        }
        if (pending.size === 0) finish();
      },
    });

    const publishedAtMs = Date.now();
    try {
      if (call.signal.aborted) return { requestId, silent: [...pending], publishedAtMs };
      call.signal.addEventListener('abort', finishSoon, { once: true });
      let sent = 0;
      // The NATS client keeps SUB before PUB on one connection, so no reply can be missed.
      for (const identity of expected) {
        if (call.signal.aborted) break;
        conn.publish(nodeSubject(collective, identity), payload);
        if (++sent % publishBatch === 0) await yieldToEventLoop();
      }
      log.debug({ requestId, agent: request.agent, action: request.action, targets: expected.size }, 'directed request published');
      if (pending.size > 0 && !call.signal.aborted) {
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
      sub.unsubscribe();
    }
    return { requestId, silent: [...pending], publishedAtMs };
  }

  function inventory(collective: string, timeoutMs: number): Promise<DiscoveredNode[]> {
    return inventoryByRpcutil({ discover, callDirected }, collective, timeoutMs, options.callerid, DEFAULT_TTL_SECONDS);
  }

  return {
    kind: 'choria',
    displayUrl,
    async connect() {
      if (nc && !nc.isClosed()) return;
      try {
        nc = await connect({
          servers,
          name: `rex-proxy ${options.senderid}`,
          // A proxy outlives broker restarts: keep trying forever instead of giving up after 10 tries.
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
          pingInterval: 10_000,
          ...(options.connectTimeoutMs ? { timeout: options.connectTimeoutMs } : {}),
          // Only the file names go to the client; it reads them, and nothing of them is logged.
          ...(options.tls ? { tls: { ...(options.tls.caFile ? { caFile: options.tls.caFile } : {}), ...(options.tls.certFile ? { certFile: options.tls.certFile, keyFile: options.tls.keyFile } : {}) } } : {}),
        });
      } catch (cause) {
        throw new Error(`broker unreachable: ${displayUrl}: ${(cause as Error).message}`, { cause });
      }
      connected = true;
      void watchStatus(nc);
      log.info({ url: displayUrl, server: currentServer(), collectives: options.collectives }, 'nats connected');
    },
    async close() {
      const conn = nc;
      nc = undefined;
      connected = false;
      if (conn && !conn.isClosed()) await conn.drain();
    },
    isConnected() {
      return connected && nc !== undefined && !nc.isClosed();
    },
    currentServer,
    discover,
    callDirected,
    inventory,
  };
}

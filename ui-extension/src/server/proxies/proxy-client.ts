/**
 * The only gRPC client of the ui-extension (STYLE.md §2): one channel per proxy URL, a deadline on
 * every unary call, and gRPC errors turned into AppError naming the proxy (`fromGrpcError`).
 * Channels are mutual TLS with this instance's client certificate; plain text only to a proxy on a
 * loopback address, and only when the configuration says so (the all-in-one start). Every call
 * carries the caller secret when one is configured: a plain-text proxy refuses calls without it.
 */
import { connectivityState, credentials, Metadata, status as GrpcCode, type ChannelCredentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { loadProxyProto } from '@protos/load';
import type { AgentDdl__Output } from '@protos/generated/rex/proxy/v1/AgentDdl';
import type { CancelResponse__Output } from '@protos/generated/rex/proxy/v1/CancelResponse';
import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { ExecuteRequest } from '@protos/generated/rex/proxy/v1/ExecuteRequest';
import type { Node__Output } from '@protos/generated/rex/proxy/v1/Node';
import type { ProxyInfo__Output } from '@protos/generated/rex/proxy/v1/ProxyInfo';
import type { ProxyServiceClient } from '@protos/generated/rex/proxy/v1/ProxyService';
import { AppError, type ErrorCode } from '../errors';
import type { Logger } from '../logger';

/** The proxy side sends `{input, rule}` of a refused argument as JSON in this trailer. */
const ERROR_DETAILS_KEY = 'x-error-details';

const CODE_NAMES: Partial<Record<number, ErrorCode>> = {
  [GrpcCode.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [GrpcCode.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [GrpcCode.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [GrpcCode.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [GrpcCode.NOT_FOUND]: 'NOT_FOUND',
  [GrpcCode.ALREADY_EXISTS]: 'ALREADY_EXISTS',
  [GrpcCode.RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED',
  [GrpcCode.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
  [GrpcCode.UNAVAILABLE]: 'UNAVAILABLE',
};

/**
 * grpc-js appends its call's timing breakdown to a deadline's text (`Deadline exceeded after 10.000s,
 * metadata filters: 0.001s,Waiting for LB pick`), which then reached hosts' reasons; an operator reads
 * the first part, and "Waiting for LB pick" means no connection to the proxy was ever made.
 */
export function readableGrpcDetails(text: string): string {
  const m = /^(Deadline exceeded after [\d.]+s),(.*)$/s.exec(text);
  if (!m) return text;
  return m[2].includes('Waiting for LB pick') ? `${m[1]} (no connection to the smart proxy)` : m[1];
}

/** gRPC status -> AppError, keeping the code and naming the proxy (STYLE.md §4). */
export function fromGrpcError(error: unknown, proxyUrl: string): AppError {
  const e = error as Partial<ServiceError>;
  // Anything the proxy did not classify (INTERNAL, UNKNOWN, a cancelled channel) is the proxy
  // being unusable from our side: UNAVAILABLE, so it fails only that proxy's hosts.
  const code = (e.code !== undefined && CODE_NAMES[e.code]) || 'UNAVAILABLE';
  let details: Record<string, unknown> | undefined;
  const raw = e.metadata?.get(ERROR_DETAILS_KEY)?.[0];
  if (typeof raw === 'string') {
    try {
      details = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      details = undefined;
    }
  }
  return new AppError(code, `smart proxy ${proxyUrl}: ${readableGrpcDetails(e.details || e.message || 'call failed')}`, { cause: error, details });
}

export interface ProxyClients {
  /** `deadlineMs` overrides proxies.deadline_ms (the health monitor's short checks). */
  getInfo(url: string, options?: { deadlineMs?: number }): Promise<ProxyInfo__Output>;
  /** `refresh` asks the proxy to read its catalogs (Puppet Tasks) again first, as a proxy refresh does. */
  listAgents(url: string, options?: { refresh?: boolean }): Promise<AgentDdl__Output[]>;
  listNodes(url: string): Promise<Node__Output[]>;
  execute(url: string, request: ExecuteRequest, onEvent: (event: ExecuteEvent__Output) => unknown, signal?: AbortSignal): Promise<void>;
  getResults(url: string, request: { execution_id: string; after_sequence: number; follow: boolean; accept_result_batches?: boolean }, onEvent: (event: ExecuteEvent__Output) => unknown, signal?: AbortSignal): Promise<void>;
  cancel(url: string, executionId: string): Promise<CancelResponse__Output>;
  close(): void;
}

export interface ProxyClientTls {
  /** PEM of the CA that signed the proxies' server certificates. */
  ca: Buffer;
  /** PEM of this instance's client certificate; its name must be in each proxy's trusted list. */
  cert: Buffer;
  key: Buffer;
}

export interface ProxyClientOptions {
  /** Deadline of unary calls and of ListNodes, in milliseconds. */
  deadlineMs: number;
  logger: Logger;
  /** Client certificate for mutual TLS; without it only loopback proxies can be reached, in plain text. */
  tls?: ProxyClientTls;
  /** Allow plain text to proxies on 127.0.0.0/8, ::1 or localhost; never to any other address. */
  plaintextLoopback?: boolean;
  /** Sent as `authorization: Bearer <secret>` on every call; proxies check it (their grpc.caller_secret). */
  callerSecret?: string;
  /** The caller's request id, sent as `x-request-id` so proxy logs can be correlated. */
  requestId?: () => string | undefined;
}

/** Generous: 10,000 nodes with facts in one ListNodes stream are well below this. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** The host of a proxy URL (`127.0.0.1:50051`, `dns:///proxy.example.com:50051`, `[::1]:50051`). */
export function proxyHost(url: string): string {
  let rest = url.replace(/^(dns|ipv4|ipv6|grpcs?|https?):/i, '');
  // `//authority/host:port` names a DNS server first; `//host:port` and `///host:port` do not.
  if (rest.startsWith('//')) rest = rest.slice(2).includes('/') ? rest.slice(2).slice(rest.slice(2).indexOf('/') + 1) : rest.slice(2);
  const bracketed = /^\[([^\]]+)\]/.exec(rest);
  if (bracketed) return bracketed[1].toLowerCase();
  const hostPort = rest.split('/')[0];
  const colon = hostPort.lastIndexOf(':');
  return (colon > 0 && hostPort.indexOf(':') === colon ? hostPort.slice(0, colon) : hostPort).toLowerCase();
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function createProxyClients(options: ProxyClientOptions): ProxyClients {
  const proto = loadProxyProto();
  const channels = new Map<string, ProxyServiceClient>();

  const tls = options.tls ? credentials.createSsl(options.tls.ca, options.tls.key, options.tls.cert) : undefined;

  function channelCredentials(url: string): ChannelCredentials {
    if (options.plaintextLoopback && isLoopbackHost(proxyHost(url))) return credentials.createInsecure();
    if (tls) return tls;
    throw new AppError('FAILED_PRECONDITION', `smart proxy ${url}: no client certificate is configured for mutual TLS (proxies.tls.*); plain text is allowed only to proxies on a loopback address with proxies.plaintext`);
  }

  function client(url: string): ProxyServiceClient {
    let c = channels.get(url);
    // A channel in TRANSIENT_FAILURE fails every new call at once until its reconnect backoff (up to
    // 5 s) runs out, with the error of its last attempt: a proxy restarted a moment ago would fail
    // the next job from that cached error. A call made now gets a fresh channel, which connects at
    // once; nothing is in flight on a failed channel, so closing it loses nothing.
    if (c && c.getChannel().getConnectivityState(false) === connectivityState.TRANSIENT_FAILURE) {
      c.close();
      channels.delete(url);
      c = undefined;
    }
    if (!c) {
      c = new proto.rex.proxy.v1.ProxyService(url, channelCredentials(url), {
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        'grpc.keepalive_time_ms': 30_000,
        // grpc-js backs off up to 120 s between connection attempts by default: a proxy restarted
        // after a crash would be unusable for minutes. 5 s keeps a dead proxy cheap to probe.
        'grpc.initial_reconnect_backoff_ms': 500,
        'grpc.max_reconnect_backoff_ms': 5000,
      });
      channels.set(url, c);
    }
    return c;
  }

  function metadata(): Metadata {
    const md = new Metadata();
    if (options.callerSecret) md.set('authorization', `Bearer ${options.callerSecret}`);
    const id = options.requestId?.();
    if (id) md.set('x-request-id', id);
    return md;
  }

  const deadline = () => new Date(Date.now() + options.deadlineMs);

  function unary<T>(url: string, call: (c: ProxyServiceClient, done: (error: ServiceError | null, value?: T) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      call(client(url), (error, value) => (error ? reject(fromGrpcError(error, url)) : resolve(value as T)));
    });
  }

  /** Runs `open` with the proxy's client, turning a refused channel into a rejected promise. */
  function withClient<T>(url: string, open: (c: ProxyServiceClient) => Promise<T>): Promise<T> {
    let c: ProxyServiceClient;
    try {
      c = client(url);
    } catch (error) {
      return Promise.reject(error);
    }
    return open(c);
  }

  function consume(url: string, stream: ClientReadableStream<ExecuteEvent__Output>, onEvent: (e: ExecuteEvent__Output) => unknown, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => stream.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (event: ExecuteEvent__Output) => {
        let wait: unknown;
        try {
          wait = onEvent(event);
        } catch (error) {
          stream.cancel();
          reject(error);
        }
        // Back-pressure: reading stops (HTTP/2 flow control then holds the proxy's writes) until the taker is ready.
        if (wait instanceof Promise) {
          stream.pause();
          wait.then(() => stream.resume(), () => stream.resume());
        }
      });
      stream.on('error', (error: ServiceError) => {
        signal?.removeEventListener('abort', onAbort);
        if (error.code === GrpcCode.CANCELLED && signal?.aborted) resolve();
        else reject(fromGrpcError(error, url));
      });
      stream.on('end', () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  return {
    getInfo: (url, call) => unary(url, (c, done) => c.GetInfo({}, metadata(), { deadline: call?.deadlineMs ? new Date(Date.now() + call.deadlineMs) : deadline() }, done)),
    listAgents: (url, options) => unary(url, (c, done) => c.ListAgents({ refresh: options?.refresh === true }, metadata(), { deadline: deadline() }, (error, value) => done(error, value?.agents ?? []))),
    cancel: (url, executionId) => unary(url, (c, done) => c.Cancel({ execution_id: executionId }, metadata(), { deadline: deadline() }, done)),

    listNodes(url) {
      return withClient(url, (c) => new Promise((resolve, reject) => {
        const nodes: Node__Output[] = [];
        const stream = c.ListNodes({}, metadata(), { deadline: deadline() });
        stream.on('data', (node: Node__Output) => nodes.push(node));
        stream.on('error', (error: ServiceError) => reject(fromGrpcError(error, url)));
        stream.on('end', () => resolve(nodes));
      }));
    },

    // Executions run as long as their hosts take; their bound is the job timeout, enforced by the
    // proxy and by the job supervisor, so the stream itself has no deadline.
    execute: (url, request, onEvent, signal) => withClient(url, (c) => consume(url, c.Execute(request, metadata()), onEvent, signal)),
    getResults: (url, request, onEvent, signal) => withClient(url, (c) => consume(url, c.GetResults(request, metadata()), onEvent, signal)),

    close() {
      for (const c of channels.values()) c.close();
      channels.clear();
    },
  };
}

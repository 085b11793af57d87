/**
 * Prometheus metrics of one proxy (issue #12), served by a small HTTP listener of its own
 * (`metrics.*` in config.ts) beside the gRPC port. The only importer of prom-client on the proxy
 * side (STYLE.md §2). Counters are fed by the execution registry and the broker client through the
 * hooks they declare; the broker gauge is read at scrape time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { ExecutionMetrics } from '@proxy/actions/executions';
import type { Logger } from '@proxy/logger';

export interface ProxyMetrics extends ExecutionMetrics {
  brokerReconnected(): void;
  brokerDisconnected(): void;
  /** Wires the broker gauge once the broker client exists. */
  attachBroker(broker: { isConnected(): boolean; currentServer?(): string | undefined }): void;
  render(): Promise<{ contentType: string; body: string }>;
}

/** Node replies on a LAN take milliseconds; agents such as puppet take minutes. */
const REPLY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createProxyMetrics(options: { transport: string }): ProxyMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const transport = options.transport;
  let broker: { isConnected(): boolean; currentServer?(): string | undefined } | undefined;

  new Gauge({
    name: 'rex_proxy_broker_connected',
    help: 'Whether the proxy is connected to its broker (NATS for choria, STOMP for mcollective) now.',
    labelNames: ['transport'],
    registers,
    collect() {
      if (broker) this.set({ transport }, broker.isConnected() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'rex_proxy_broker_server',
    help: 'The broker node in use now (a NATS server of the list, a STOMP broker of the pool): 1 for it, no series while disconnected.',
    labelNames: ['transport', 'server'],
    registers,
    collect() {
      this.reset();
      const server = broker?.isConnected() ? broker.currentServer?.() : undefined;
      if (server) this.set({ transport, server }, 1);
    },
  });
  const reconnects = new Counter({ name: 'rex_proxy_broker_reconnects_total', help: 'Times the broker connection came back after it was lost.', labelNames: ['transport'], registers });
  const disconnects = new Counter({ name: 'rex_proxy_broker_disconnects_total', help: 'Times the broker connection was lost.', labelNames: ['transport'], registers });
  const executions = new Counter({ name: 'rex_proxy_executions_total', help: 'Executions by final state: completed, cancelled, broker_failed, crashed; refused ones by status (rejected_<code>).', labelNames: ['state'], registers });
  const running = new Gauge({ name: 'rex_proxy_executions_running', help: 'Executions running now.', registers });
  /** Host results counted here and added to the counter when it is read: one object property per reply, not prom-client's label hashing (issue 20). */
  const pendingHostResults = new Map<string, number>();
  new Counter({
    name: 'rex_proxy_host_results_total',
    help: 'Final results of expected hosts, by state.',
    labelNames: ['state'],
    registers,
    collect() {
      for (const [state, count] of pendingHostResults) this.inc({ state }, count);
      pendingHostResults.clear();
    },
  });
  const replyLatency = new Histogram({ name: 'rex_proxy_reply_latency_seconds', help: 'Time from sending a request to a node to receiving its reply.', buckets: REPLY_BUCKETS, registers });
  const hostStateLabels: Partial<Record<string, string>> = {};
  // Counters start at 0 so that rate() and increase() see the first event.
  reconnects.inc({ transport }, 0);
  disconnects.inc({ transport }, 0);

  return {
    executionStarted() {
      running.inc();
    },
    executionEnded(state) {
      running.dec();
      executions.inc({ state: state.toLowerCase() });
    },
    executionRefused(code) {
      executions.inc({ state: `rejected_${code.toLowerCase()}` });
    },
    hostResult(state, replyLatencySeconds) {
      const label = (hostStateLabels[state] ??= state.toLowerCase());
      pendingHostResults.set(label, (pendingHostResults.get(label) ?? 0) + 1);
      if (replyLatencySeconds !== undefined) replyLatency.observe(Math.max(0, replyLatencySeconds));
    },
    brokerReconnected() {
      reconnects.inc({ transport });
    },
    brokerDisconnected() {
      disconnects.inc({ transport });
    },
    attachBroker(b) {
      broker = b;
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * GET /metrics on host:port (port 0 picks a free one), nothing else. A bearer token, when
 * configured, is what Prometheus' `authorization` block sends; the comparison is constant-time.
 */
export async function startMetricsServer(config: { host: string; port: number; bearer_token: string }, metrics: ProxyMetrics, logger: Logger): Promise<MetricsServer> {
  const expected = config.bearer_token ? digest(config.bearer_token) : undefined;
  const log = logger.child({ component: 'metrics' });
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'only GET /metrics is served here' } }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'INVALID_ARGUMENT', message: `${req.method} is not allowed on /metrics; use GET` } }));
      return;
    }
    if (expected) {
      const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (!match || !timingSafeEqual(digest(match[1]), expected)) {
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"', 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'GET /metrics needs "Authorization: Bearer <metrics.bearer_token>"' } }));
        return;
      }
    }
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        log.error({ err: error }, 'rendering metrics failed');
        res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } }));
      },
    );
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`metrics cannot listen on ${config.host}:${config.port}: ${error.message}`, { cause: error })));
    server.listen(config.port, config.host, () => resolve((server.address() as AddressInfo).port));
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

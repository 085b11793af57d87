/**
 * Entry point of one proxy: wires config, logger, broker client, DDLs, executions and the gRPC
 * server, and shuts them down in reverse on SIGTERM/SIGINT; SIGHUP reopens the audit file (logrotate).
 * Nothing else lives here (STYLE.md §1).
 */
import fs from 'node:fs';

import { createActionPolicy, createBuiltInPolicy } from '@proxy/actions/action-policy';
import { createAuditLog } from '@proxy/actions/audit';
import { createDdlRegistry, loadDdlDirectories, loadDdlDirectory } from '@proxy/actions/ddl-registry';
import { createExecutionRegistry } from '@proxy/actions/executions';
import { createPuppetRunRunner, PUPPET_AGENT, withPuppetRunInputs } from '@proxy/actions/puppet-run.runner';
import { createNodeInventory } from '@proxy/actions/nodes';
import type { BrokerClient } from '@proxy/broker/broker-client';
import { createChoriaClient } from '@proxy/broker/choria.client';
import { createDemoClient } from '@proxy/broker/demo.client';
import { createMcollectiveClient } from '@proxy/broker/mcollective.client';
import { ConfigError, loadConfig, type Config } from '@proxy/config';
import { startProxyServer } from '@proxy/grpc/server';
import { createLogger, type Logger } from '@proxy/logger';
import { createProxyMetrics, startMetricsServer, type MetricsServer, type ProxyMetrics } from '@proxy/metrics/metrics';
import { pluginManifest } from '@proxy/plugin';
import { createPuppetTasks } from '@proxy/tasks/puppet-tasks';

export interface RunningProxy {
  port: number;
  /** Port of the metrics listener, when metrics.enabled. */
  metricsPort?: number;
  /** Reopens the audit file by its name (after logrotate moved it away). */
  reopenLogs(): Promise<void>;
  stop(): Promise<void>;
}

const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

function createBroker(config: Readonly<Config>, logger: Logger, metrics: ProxyMetrics): BrokerClient {
  const connectionEvents = { onReconnect: () => metrics.brokerReconnected(), onDisconnect: () => metrics.brokerDisconnected() };
  switch (config.transport) {
    case 'demo':
      return createDemoClient({
        name: config.name,
        nodeCount: config.demo.node_count,
        identityPrefix: config.demo.name_prefix,
        seed: config.name,
        collective: config.main_collective,
      });
    case 'choria':
      return createChoriaClient({
        natsUrl: config.nats.url,
        collectives: config.collectives,
        mainCollective: config.main_collective,
        callerid: config.identity.callerid,
        senderid: config.identity.senderid,
        tls: config.nats.tls.ca_file || config.nats.tls.cert_file ? { caFile: config.nats.tls.ca_file, certFile: config.nats.tls.cert_file, keyFile: config.nats.tls.key_file } : undefined,
        security:
          config.security.mode === 'x509'
            ? { mode: 'x509', certPem: fs.readFileSync(config.security.cert_file as string, 'utf8'), keyPem: fs.readFileSync(config.security.key_file as string, 'utf8') }
            : { mode: 'insecure' },
        logger: logger.child({ component: 'broker' }),
        ...connectionEvents,
      });
    case 'mcollective': {
      const { mcollective } = config;
      const read = (file: string | undefined) => (file ? fs.readFileSync(file, 'utf8') : undefined);
      return createMcollectiveClient({
        host: mcollective.host,
        port: mcollective.port,
        // config.ts checked every entry is host:port.
        pool: mcollective.pool.map((entry) => {
          const at = entry.lastIndexOf(':');
          return { host: entry.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(entry.slice(at + 1)) };
        }),
        tls: mcollective.tls.enabled ? { caPem: read(mcollective.tls.ca_file), certPem: read(mcollective.tls.cert_file), keyPem: read(mcollective.tls.key_file) } : undefined,
        user: mcollective.user,
        password: mcollective.password,
        vhost: mcollective.vhost,
        flavour: mcollective.connector,
        psk: mcollective.psk,
        collectives: config.collectives,
        mainCollective: config.main_collective,
        callerid: config.identity.callerid,
        senderid: config.identity.senderid,
        logger: logger.child({ component: 'broker' }),
        ...connectionEvents,
      });
    }
  }
}

/** MCollective agents are described by the Ruby DDLs next to them; Choria and demo use JSON DDLs. */
function loadDdls(config: Readonly<Config>) {
  return config.transport === 'mcollective' ? loadDdlDirectories(config.mcollective.ddl_directories) : loadDdlDirectory(config.ddl.directory);
}

/**
 * The NATS client only reconnects after a first successful connect; until then we retry here, so
 * a proxy started before its broker serves GetInfo (broker_connected=false) instead of exiting.
 */
function connectInBackground(broker: BrokerClient, log: Logger, stopped: AbortSignal): Promise<void> {
  return (async () => {
    let delay = RECONNECT_MIN_MS;
    while (!stopped.aborted) {
      try {
        await broker.connect();
        log.info({ broker: broker.displayUrl, server: broker.currentServer?.() }, 'broker connected');
        return;
      } catch (error) {
        log.warn({ err: error, broker: broker.displayUrl, retryInMs: delay }, 'broker unreachable, retrying');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
      }
    }
  })();
}

/** Starts one proxy with a loaded config; used by the CLI entry below and by the all-in-one start. */
export async function runProxy(config: Readonly<Config>, logger: Logger): Promise<RunningProxy> {
  const log = logger.child({ component: 'main', proxy: config.name });
  const loaded = loadDdls(config);
  for (const problem of loaded.problems) log.warn({ problem }, 'DDL skipped');
  const ddls = createDdlRegistry(loaded.agents, { adapt: withPuppetRunInputs });
  const metrics = createProxyMetrics({ transport: config.transport });
  const broker = createBroker(config, logger, metrics);
  metrics.attachBroker(broker);
  const tasks = createPuppetTasks(config.tasks, { registry: ddls, broker, logger });
  const audit = createAuditLog({ file: config.audit.file, sender: config.identity.senderid, onError: (error) => log.error({ err: error, file: config.audit.file }, 'audit file cannot be written') });
  const policy = config.policy.directory
    ? createActionPolicy({ directory: config.policy.directory, enableDefault: config.policy.enable_default, defaultName: config.policy.default_name, allowUnconfigured: config.policy.allow_unconfigured })
    : createBuiltInPolicy(ddls);
  log.info({ policy: config.policy.directory || 'built-in' }, config.policy.directory ? 'action policy from policy files' : 'built-in action policy: ui-extension users, actions with a DDL on this proxy');
  const executions = createExecutionRegistry({
    broker,
    ddls,
    audit,
    policy,
    logger,
    callerid: config.identity.callerid,
    collectives: config.collectives,
    mainCollective: config.main_collective,
    defaultDiscoveryTimeoutMs: config.discovery.timeout_ms,
    retentionMs: config.executions.retention_s * 1000,
    maxRetained: config.executions.max_retained,
    runners: { [PUPPET_AGENT]: createPuppetRunRunner({ broker, logger, statusIntervalMs: config.puppet.status_interval_ms }), ...tasks?.runners },
    metrics,
  });
  const nodes = createNodeInventory({
    broker,
    ddls,
    collectives: config.collectives,
    mainCollective: config.main_collective,
    defaultDiscoveryTimeoutMs: config.discovery.timeout_ms,
  });
  const server = await startProxyServer(config, {
    manifest: pluginManifest({ transport: config.transport, tasks: tasks !== undefined }),
    name: config.name,
    transport: config.transport,
    collectives: config.collectives,
    broker,
    ddls,
    executions,
    nodes,
    logger,
    beforeListAgents: tasks?.beforeListAgents,
    beforeExecute: tasks?.beforeExecute,
  });
  let metricsServer: MetricsServer | undefined;
  if (config.metrics.enabled) {
    try {
      metricsServer = await startMetricsServer(config.metrics, metrics, logger);
    } catch (error) {
      await server.close(0);
      throw error;
    }
    log.info({ port: metricsServer.port, host: config.metrics.host, token: config.metrics.bearer_token !== '' }, 'metrics listening');
  }
  // The first ListAgents should not wait for the Puppet Server.
  if (tasks) void tasks.catalog.refreshIfStale();
  log.info({ port: server.port, host: config.grpc.host, transport: config.transport, agents: ddls.list().length, tls: !config.grpc.plaintext, trustedClients: config.grpc.tls.trusted_clients, callerSecret: Boolean(config.grpc.caller_secret) }, 'proxy listening');

  const stopping = new AbortController();
  const connected = connectInBackground(broker, log, stopping.signal).then(() =>
    // Learn the agents the fleet runs, so ListAgents shows them even without a local DDL.
    stopping.signal.aborted
      ? undefined
      : nodes.list('', 0).then(
          (found) => log.info({ nodes: found.length, agents: ddls.list().length }, 'fleet inventory loaded'),
          (error: unknown) => log.warn({ err: error }, 'fleet inventory failed'),
        ),
  );

  return {
    port: server.port,
    metricsPort: metricsServer?.port,
    async reopenLogs() {
      await audit.reopen();
      log.info({ file: config.audit.file || 'stdout' }, 'audit file reopened');
    },
    async stop() {
      stopping.abort();
      await metricsServer?.close();
      // Cancelling first lets every open stream end with a summary instead of being cut off.
      await Promise.all([executions.shutdown(), server.close()]);
      await connected.catch(() => undefined);
      await broker.close();
      tasks?.close();
      await audit.close();
      log.info({}, 'proxy stopped');
    },
  };
}

/**
 * What a proxy started by a parent with an IPC channel (the all-in-one start) tells it: that it
 * listens, or why it could not. The parent then knows its own child holds the port, not an orphan.
 */
export type ParentMessage = { type: 'listening'; port: number } | { type: 'failed'; message: string };

/** Resolves once the message is handed over, so that an exit right after it does not drop it. */
function tellParent(message: ParentMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

async function main(): Promise<void> {
  // Started with an IPC channel (the all-in-one start): the channel closes when the parent ends,
  // however it ends (SIGKILL and crashes included), and a proxy must not outlive it holding its
  // port. Watched from the start: a parent gone while this one still starts ends it too.
  let onParentGone = (): void => process.exit(1);
  if (process.channel) process.once('disconnect', () => onParentGone());
  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      await tellParent({ type: 'failed', message: error.message });
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.log.level, name: `proxy-plugin ${config.name}` });
  let proxy: RunningProxy;
  try {
    proxy = await runProxy(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'proxy failed to start');
    await tellParent({ type: 'failed', message: (error as Error).message });
    process.exit(1);
  }
  await tellParent({ type: 'listening', port: proxy.port });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    proxy.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // logrotate's postrotate (docs/OPERATIONS.md): the moved file is closed, a new one opened.
  process.on('SIGHUP', () => {
    if (stopping) return;
    proxy.reopenLogs().catch((error: unknown) => logger.error({ err: error }, 'audit file reopen failed'));
  });
  onParentGone = () => shutdown('parent exited');
  if (process.channel && !process.connected) onParentGone();
}

if (require.main === module) {
  void main();
}

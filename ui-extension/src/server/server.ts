import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import type { Config } from './config';
import { createDataSource, pendingMigrations } from './data-source';
import { AppError } from './errors';
import { answerClientErrors, createApp } from './http/app';
import type { Logger } from './logger';
import { validateJobArguments } from './jobs/ddl-arguments';
import { createProxyClients, isLoopbackHost } from './proxies/proxy-client';
import { createForemanClient } from './foreman/foreman.client';
import { createPuppetDbClient } from './puppetdb/puppetdb.client';
import { buildServices, type Services } from './services';

/** Expired sessions are refused on read; this only keeps the table small. */
const SESSION_PURGE_MS = 3_600_000;

export interface StartOptions {
  config: Readonly<Config>;
  logger: Logger;
  /** Run pending migrations first (the all-in-one start); otherwise refuse to start with any pending. */
  migrate: boolean;
  /** Folder of the built web UI (index.html, assets/); without it only the API is served. */
  webRoot?: string;
  clock?: () => Date;
}

export interface RunningServer {
  url: string;
  port: number;
  dataSource: DataSource;
  services: Services;
  close(): Promise<void>;
}

/** Opens the database, checks migrations, creates the admin, and serves the API. */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const dataSource = createDataSource(config.database);
  try {
    await dataSource.initialize();
  } catch (cause) {
    throw new AppError('UNAVAILABLE', `cannot open the ${config.database.type} database: ${(cause as Error).message}`, { cause });
  }
  try {
    if (options.migrate) {
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      if (ran.length > 0) logger.info({ migrations: ran.map((m) => m.name) }, 'migrations applied');
    } else {
      const pending = await pendingMigrations(dataSource);
      if (pending.length > 0) {
        throw new AppError('FAILED_PRECONDITION', `the database has ${pending.length} pending migration(s) (${pending.join(', ')}); run \`npm run db:migrate\` first`);
      }
    }
    const { tls } = config.proxies;
    const proxyClient = createProxyClients({
      deadlineMs: config.proxies.deadline_ms,
      logger: logger.child({ component: 'proxy-client' }),
      tls: tls.ca_file && tls.cert_file && tls.key_file ? { ca: fs.readFileSync(tls.ca_file), cert: fs.readFileSync(tls.cert_file), key: fs.readFileSync(tls.key_file) } : undefined,
      plaintextLoopback: config.proxies.plaintext,
      callerSecret: config.proxies.caller_secret || undefined,
    });
    if (!tls.cert_file) logger.warn({ plaintextLoopback: config.proxies.plaintext }, 'no proxy client certificate (proxies.tls.*): only loopback proxies with proxies.plaintext can be reached');
    const puppetdb = config.puppetdb.url
      ? createPuppetDbClient({ url: config.puppetdb.url, caFile: config.puppetdb.ca_file, certFile: config.puppetdb.cert_file, keyFile: config.puppetdb.key_file, timeoutMs: config.puppetdb.timeout_ms, maxAnswerBytes: config.puppetdb.max_answer_bytes })
      : undefined;
    const foreman = config.foreman.url
      ? createForemanClient({ url: config.foreman.url, login: config.foreman.login, token: config.foreman.token, caFile: config.foreman.ca_file, timeoutMs: config.foreman.timeout_ms, perPage: config.foreman.per_page, maxAnswerBytes: config.foreman.max_answer_bytes })
      : undefined;
    const services = buildServices({
      config,
      dataSource,
      logger,
      clock,
      proxyClient,
      listNodes: async (url) => (await proxyClient.listNodes(url)).map((n) => ({ identity: n.identity, facts: n.facts, classes: n.classes, agents: n.agents })),
      validateArguments: validateJobArguments,
      instanceId: config.instance_id,
      puppetdb,
      foreman,
    });
    const admin = await services.auth.ensureAdmin({ password: config.admin.password, passwordFile: config.admin.password_file });
    if (admin.generatedPassword) {
      // Printed once, on purpose to stdout and not the JSON log, so the operator sees it.
      process.stdout.write(`\n  Initial admin password: ${admin.generatedPassword}\n  (also written to ${config.admin.password_file}, mode 0600)\n\n`);
    }
    if (config.demo.seed && (await services.inventory.seedDemoInventory(config.demo.inventory_file || undefined))) logger.info('demo inventory seeded');
    // The first database check runs before the port opens: /readyz never answers from no data.
    // Proxies are checked in the background from now on (`unknown` until their first answer).
    await services.databaseHealth.check();
    services.databaseHealth.start();
    services.proxyMonitor.start();
    services.jobs.start();
    if (config.scheduler.enabled) services.scheduleWaker.start();
    if (config.webhooks.enabled) services.webhookDispatcher.start();
    const syncTimer = config.proxies.sync_interval_s > 0
      ? setInterval(() => void services.proxySync.syncAll().catch((err: unknown) => logger.warn({ err }, 'proxy sync failed')), config.proxies.sync_interval_s * 1000).unref()
      : undefined;
    const puppetdbTimer = puppetdb && config.puppetdb.sync_interval_s > 0
      ? setInterval(() => void services.puppetdbSync.sync().catch((err: unknown) => logger.warn({ err }, 'PuppetDB sync failed')), config.puppetdb.sync_interval_s * 1000).unref()
      : undefined;
    const foremanTimer = foreman && config.foreman.sync_interval_s > 0
      ? setInterval(() => void services.foremanSync.sync().catch((err: unknown) => logger.warn({ err }, 'Foreman sync failed')), config.foreman.sync_interval_s * 1000).unref()
      : undefined;
    const sessionPurge = setInterval(() => void services.sessions.purgeExpired().catch((err: unknown) => logger.warn({ err }, 'session purge failed')), SESSION_PURGE_MS).unref();
    const app = createApp({ services, logger, trustProxy: config.http.trust_proxy, webRoot: options.webRoot, secureCookies: config.http.secure_cookies, metrics: config.metrics });
    if (config.metrics.enabled && !config.metrics.bearer_token && !isLoopbackHost(config.http.host)) {
      logger.warn({ host: config.http.host }, 'GET /metrics is open to anyone who reaches the HTTP port; set metrics.bearer_token or firewall the port');
    }
    /** Everything started above, stopped in the order a running server stops it. */
    async function stopServices(): Promise<void> {
      if (syncTimer) clearInterval(syncTimer);
      services.schedules.stop();
      await services.scheduleWaker.stop();
      await services.webhookDispatcher.stop();
      if (puppetdbTimer) clearInterval(puppetdbTimer);
      puppetdb?.close();
      if (foremanTimer) clearInterval(foremanTimer);
      foreman?.close();
      clearInterval(sessionPurge);
      await services.jobs.stop();
      // The counted login failures of the current minute go to the audit trail before the database closes.
      await services.auth.close().catch((err: unknown) => logger.warn({ err }, 'login failure audit not written'));
      await services.denials.close().catch((err: unknown) => logger.warn({ err }, 'denial audit not written'));
      await services.proxyMonitor.stop();
      await services.databaseHealth.stop();
      proxyClient.close();
    }
    const server: Server = await new Promise<Server>((resolve, reject) => {
      // Express 5 hands a listen error (EADDRINUSE, EACCES) to this callback, not to an 'error' listener.
      const s = app.listen(config.http.port, config.http.host, (error?: Error) => (error ? reject(error) : resolve(s)));
    }).catch(async (error: unknown) => {
      await stopServices();
      throw error;
    });
    answerClientErrors(server);
    const port = (server.address() as AddressInfo).port;
    const url = `http://${config.http.host}:${port}`;
    logger.info({ url, database: config.database.type, webUi: options.webRoot ?? null }, 'ui-extension listening');
    if (!options.webRoot) logger.warn('the web UI is not built (npm run build); serving the API only');
    return {
      url,
      port,
      dataSource,
      services,
      async close() {
        await stopServices();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await dataSource.destroy();
      },
    };
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
}

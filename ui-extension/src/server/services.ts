import type { DataSource } from 'typeorm';
import { createAuditRepository } from './audit/audit.repository';
import { createAuditService } from './audit/audit.service';
import { createDenialAudit } from './audit/denial-audit';
import { createAuthService, throttleLimits } from './auth/auth.service';
import { createDatabaseLoginThrottle } from './auth/login-throttle';
import { createUserManagementService } from './auth/user-management.service';
import { createUserStore } from './auth/user.repository';
import { createSessionRepository } from './auth/session.repository';
import { createSessionService } from './auth/session.service';
import type { Config } from './config';
import { AppError } from './errors';
import { createForemanSyncService } from './inventory/foreman-sync.service';
import { createInventoryStore } from './inventory/inventory.repository';
import { createInventoryService } from './inventory/inventory.service';
import { createProxySyncService, type ListNodes } from './inventory/proxy-sync.service';
import { createPuppetDbSyncService } from './inventory/puppetdb-sync.service';
import type { GetProxyInfo, ProxyInfoLike } from './inventory/smart-proxy-features';
import { createSmartProxyRegistration } from './inventory/smart-proxy-registration.service';
import { createHostRepository } from './inventory/host.repository';
import { createSmartProxyRepository } from './inventory/smart-proxy.repository';
import { unconfiguredProxyClient, type JobProxyClient } from './jobs/job-dispatcher';
import { createArgumentHistory } from './jobs/argument-history';
import { createArgumentHistoryRepository } from './jobs/argument-history.repository';
import { createJobHostExport } from './jobs/job-host-export';
import { createJobHostExportRepository } from './jobs/job-host-export.repository';
import { createJobInvocationRepository } from './jobs/job-invocation.repository';
import { createJobInvocationService, unconfiguredValidator, type ValidateArguments } from './jobs/job-invocation.service';
import { createHistorySubjects } from './jobs/job-history';
import { createPuppetRunService } from './jobs/puppet-run.service';
import { createNamespaceService, type NamespaceServiceDeps } from './namespaces/namespace.service';
import { createScheduleRepository } from './scheduler/schedule.repository';
import { createScheduleService } from './scheduler/schedule.service';
import { createScheduleWaker } from './scheduler/schedule-waker';
import { createProxyMonitor, type ProxyHealth } from './proxies/proxy-monitor';
import { databasePoolStats } from './data-source';
import { createServerMetrics } from './metrics/metrics';
import { randomUUID } from 'node:crypto';
import type { Logger } from './logger';
import type { ForemanClient } from './foreman/foreman.client';
import type { PuppetDbClient } from './puppetdb/puppetdb.client';
import { createDatabaseHealth } from './status/database-health';
import { createHealthProbeRepository } from './status/health-probe.repository';
import { createStatusService } from './status/status.service';
import { createJobTemplateRepository } from './templates/job-template.repository';
import { createJobTemplateService } from './templates/job-template.service';
import { packageVersion } from './version';
import { sendWebhook, type SendWebhook } from './webhooks/webhook.client';
import { createWebhookDispatcher } from './webhooks/webhook-dispatcher';
import { createWebhookRepository } from './webhooks/webhook.repository';
import { createWebhookService } from './webhooks/webhook.service';

export interface ServiceContext {
  config: Readonly<Config>;
  dataSource: DataSource;
  logger: Logger;
  clock: () => Date;
  /** Lists a proxy's nodes (the proxy client provides it); without it a proxy sync fails FAILED_PRECONDITION. */
  listNodes?: ListNodes;
  /** The proxy client's job calls (proxies/proxy-client.ts); without it job hosts fail UNAVAILABLE. */
  proxyClient?: JobProxyClient & NamespaceServiceDeps['proxies'] & { getInfo?(url: string, options?: { deadlineMs?: number }): Promise<ProxyInfoLike> };
  /** Checks job arguments against the DDL (422 naming input and rule); without it jobs cannot be created. */
  validateArguments?: ValidateArguments;
  /** Names this instance in job leases; a restart with the same id resumes its running jobs at once. */
  instanceId?: string;
  /** PuppetDB (puppetdb/puppetdb.client.ts) for `pql` targeting and the PuppetDB sync; absent when not configured. */
  puppetdb?: PuppetDbClient;
  /** Foreman (foreman/foreman.client.ts) for the Foreman inventory sync; absent when not configured. */
  foreman?: ForemanClient;
  /** Sends one webhook delivery (webhooks/webhook.client.ts by default). */
  sendWebhook?: SendWebhook;
}

/**
 * Wires every service with its dependencies, by hand (STYLE.md §2: no DI container).
 * Features add their services here; routes receive them through `Services`.
 */
export function buildServices(ctx: ServiceContext) {
  // One registry per app: /metrics reports this instance (several may share a process in tests).
  const metrics = createServerMetrics({ logger: ctx.logger });
  const audit = createAuditService({ repo: createAuditRepository(ctx.dataSource), clock: ctx.clock, logger: ctx.logger.child({ component: 'audit' }) });
  // Refusals (403) are audited by the error handler, counted per minute (audit/denial-audit.ts).
  const denials = createDenialAudit({ audit, clock: ctx.clock, logger: ctx.logger.child({ component: 'audit' }) });
  const users = createUserStore(ctx.dataSource);
  const auth = createAuthService({
    users,
    audit,
    logger: ctx.logger.child({ component: 'auth' }),
    clock: ctx.clock,
    config: ctx.config.auth,
    // In the database, so every instance behind the balancer counts into the same limits.
    throttle: createDatabaseLoginThrottle(ctx.dataSource, throttleLimits(ctx.config.auth)),
    // Called only after wiring is done, when `sessions` below exists.
    onPasswordChanged: (userId, keepSessionId) => sessions.passwordChanged(userId, keepSessionId),
  });
  const userManagement = createUserManagementService({ users, auth, audit, clock: ctx.clock, logger: ctx.logger.child({ component: 'users' }) });
  const sessions = createSessionService({
    sessions: createSessionRepository(ctx.dataSource),
    loadUser: (id) => auth.loadSessionUser(id),
    verifiedStamp: (user) => auth.verifiedStamp(user),
    clock: ctx.clock,
    idleTimeoutS: ctx.config.http.session_idle_timeout_s,
    maxLifetimeS: ctx.config.http.session_max_lifetime_s,
    logger: ctx.logger.child({ component: 'sessions' }),
  });
  const inventoryStore = createInventoryStore(ctx.dataSource);
  // The proxy monitor is built below (it needs smartProxies and proxyClient); read at call time.
  const liveProxies: ProxyHealth = { isDown: (id) => proxyMonitor.isDown(id), get: (id) => proxyMonitor.get(id), all: () => proxyMonitor.all() };
  const inventory = createInventoryService({ store: inventoryStore, audit, clock: ctx.clock, logger: ctx.logger.child({ component: 'inventory' }), proxyHealth: liveProxies });
  const smartProxies = createSmartProxyRepository(ctx.dataSource.manager);
  const proxyClient = ctx.proxyClient ?? unconfiguredProxyClient();
  const namespaces = createNamespaceService({ smartProxies, proxies: proxyClient, clock: ctx.clock, logger: ctx.logger.child({ component: 'namespaces' }) });
  const getProxyInfo: GetProxyInfo = (url) => (proxyClient.getInfo ? proxyClient.getInfo(url) : Promise.reject(new AppError('FAILED_PRECONDITION', 'no proxy client is configured to ask a proxy for its features')));
  const proxySync = createProxySyncService({
    store: inventoryStore,
    listNodes: ctx.listNodes ?? (async () => { throw new AppError('FAILED_PRECONDITION', 'no proxy client is configured to list nodes'); }),
    getInfo: getProxyInfo,
    // Part of a refresh: the proxy reads its catalogs again (its Puppet Tasks), so a task changed
    // on the Puppet Server shows at once.
    refreshAgents: async (url) => {
      await proxyClient.listAgents(url, { refresh: true });
      namespaces.invalidate();
    },
    audit,
    clock: ctx.clock,
    logger: ctx.logger.child({ component: 'proxy-sync' }),
    // A proxy's agents are cached by id; new capabilities or a new URL must be seen at once.
    onProxyChanged: () => namespaces.invalidate(),
  });
  const smartProxyRegistration = createSmartProxyRegistration({ store: inventoryStore, getInfo: getProxyInfo, audit, clock: ctx.clock, logger: ctx.logger.child({ component: 'proxy-sync' }), onProxyChanged: () => namespaces.invalidate() });
  const foremanSync = createForemanSyncService({ store: inventoryStore, foreman: ctx.foreman, audit, clock: ctx.clock, logger: ctx.logger.child({ component: 'foreman-sync' }) });
  // Job leases and schedule runs name the same instance.
  const instanceId = ctx.instanceId ?? randomUUID();
  // databaseHealth.start() and proxyMonitor.start() belong to server start; stop() to close.
  const databaseHealth = createDatabaseHealth({
    dataSource: ctx.dataSource,
    probes: createHealthProbeRepository(ctx.dataSource),
    instanceId,
    clock: ctx.clock,
    logger: ctx.logger.child({ component: 'health' }),
    intervalMs: ctx.config.health.database_interval_ms,
    timeoutMs: ctx.config.health.timeout_ms,
  });
  const proxyMonitor = createProxyMonitor({
    listProxies: async () => (await smartProxies.list()).map(({ id, name, url }) => ({ id, name, url })),
    getInfo: (url, deadlineMs) => (proxyClient.getInfo ? proxyClient.getInfo(url, { deadlineMs }) : proxyClient.listAgents(url)),
    persist: (id, state, at) => smartProxies.setStatus(id, state, at),
    clock: ctx.clock,
    logger: ctx.logger.child({ component: 'proxy-monitor' }),
    intervalMs: ctx.config.health.proxy_interval_ms,
    timeoutMs: ctx.config.health.timeout_ms,
    failuresBeforeOffline: ctx.config.health.proxy_failures,
  });
  const status = createStatusService({
    databaseKind: ctx.config.database.type,
    version: packageVersion(),
    database: databaseHealth,
    proxies: proxyMonitor,
    proxiesIn: (scope) => smartProxies.listIn(scope),
  });
  // jobs.start() (supervision, take-over after restart, retention) belongs to server start; jobs.stop() to close.
  // The scheduler is built on jobs: a cancelled schedule's job reaches it through this late-bound hook.
  let settleCancelled = (_jobId: number, _scheduleId: number): Promise<void> => Promise.resolve();
  const jobs = createJobInvocationService({
    repo: createJobInvocationRepository(ctx.dataSource, { recordedFacts: ctx.config.jobs.recorded_facts }),
    inventory: createHostRepository(ctx.dataSource.manager),
    subjects: createHistorySubjects(inventoryStore),
    smartProxies,
    proxies: proxyClient,
    catalog: namespaces,
    validateArguments: ctx.validateArguments ?? unconfiguredValidator,
    audit,
    puppetdb: ctx.puppetdb,
    puppetRunReports: ctx.puppetdb && ctx.config.puppetdb.report_wait_s > 0 ? { puppetdb: ctx.puppetdb, waitMs: ctx.config.puppetdb.report_wait_s * 1000, concurrency: ctx.config.puppetdb.report_concurrency } : undefined,
    clock: ctx.clock,
    logger: ctx.logger.child({ component: 'jobs' }),
    config: ctx.config.jobs,
    instanceId,
    metrics,
    proxyHealth: liveProxies,
    onScheduledJobCancelled: (jobId, scheduleId) => settleCancelled(jobId, scheduleId),
  });
  const puppetdbSync = createPuppetDbSyncService({ store: inventoryStore, puppetdb: ctx.puppetdb, audit, clock: ctx.clock, logger: ctx.logger.child({ component: 'puppetdb-sync' }) });
  const puppetRun = createPuppetRunService({ jobs, inventory });
  // scheduleWaker.start() belongs to server start (when scheduler.enabled); stop() to close.
  let wake = () => undefined as void;
  const schedules = createScheduleService({
    repo: createScheduleRepository(ctx.dataSource),
    jobs,
    users: auth,
    audit,
    clock: ctx.clock,
    logger: ctx.logger.child({ component: 'scheduler' }),
    instanceId,
    config: ctx.config.scheduler,
    onChange: () => wake(),
    onFired: (lag) => metrics.schedulerLag(lag),
  });
  const scheduleWaker = createScheduleWaker({ schedules, clock: ctx.clock, logger: ctx.logger.child({ component: 'scheduler' }), pollMs: ctx.config.scheduler.poll_interval_ms });
  wake = () => scheduleWaker.wake();
  settleCancelled = (jobId, scheduleId) => schedules.settleCancelledJob(jobId, scheduleId);
  const jobRepo = createJobInvocationRepository(ctx.dataSource);
  const argumentHistory = createArgumentHistory({ repo: createArgumentHistoryRepository(ctx.dataSource), dialect: jobRepo.isMysql ? 'mysql' : 'sqlite', clock: ctx.clock });
  const jobHostExport = createJobHostExport({ repo: createJobHostExportRepository(ctx.dataSource), visibleJob: (user, id) => jobs.get(user, id, {}), dialect: jobRepo.isMysql ? 'mysql' : 'sqlite', clock: ctx.clock });
  // webhookDispatcher.start() belongs to server start (when webhooks.enabled); stop() to close.
  const webhookRepo = createWebhookRepository(ctx.dataSource);
  const webhookDispatcher = createWebhookDispatcher({ repo: webhookRepo, send: ctx.sendWebhook ?? sendWebhook, clock: ctx.clock, logger: ctx.logger.child({ component: 'webhooks' }), config: ctx.config.webhooks });
  const webhooks = createWebhookService({ repo: webhookRepo, audit, clock: ctx.clock, onChange: () => webhookDispatcher.wake() });
  const jobTemplates = createJobTemplateService({ repo: createJobTemplateRepository(ctx.dataSource), catalog: namespaces, validateArguments: ctx.validateArguments ?? unconfiguredValidator, jobs, audit, clock: ctx.clock });
  metrics.attach({ jobsByState: () => jobRepo.countByState(), pool: () => databasePoolStats(ctx.dataSource), longPollsWaiting: () => jobs.waiters.size() });
  return { auth, sessions, audit, denials, userManagement, status, databaseHealth, proxyHealth: liveProxies, proxyMonitor, inventory, proxySync, smartProxyRegistration, foremanSync, namespaces, jobs, puppetdbSync, puppetRun, schedules, scheduleWaker, metrics, argumentHistory, jobHostExport, webhooks, webhookDispatcher, jobTemplates };
}

export type Services = ReturnType<typeof buildServices>;

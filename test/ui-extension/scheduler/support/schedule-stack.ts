/**
 * The real services (buildServices: jobs, schedules, auth, audit, inventory) on a scratch database
 * with an injected clock, and a real proxy-plugin gRPC server with the demo transport (runProxy, as
 * the all-in-one start runs it), so fired jobs really run. Nothing is started: tests call
 * `runDue()` themselves.
 */
import type { DataSource } from 'typeorm';
import { loadConfig } from '@server/config';
import { validateJobArguments } from '@server/jobs/ddl-arguments';
import { silentLogger } from '@server/logger';
import { buildServices, type Services } from '@server/services';
import type { CurrentUser } from '@server/auth/current-user';
import { ADMIN_PASSWORD, seedInventory, type SeededInventory } from '@test/ui-extension/jobs/support/job-stack';
import { startDemoProxy, type DemoProxy } from './multi-instance';

export interface ScheduleStack {
  services: Services;
  ids: SeededInventory;
  identities: string[];
  admin: CurrentUser;
  proxy: DemoProxy;
  /** Waits for every job dispatched so far, then stops the services and the proxy. */
  close(): Promise<void>;
}

export async function buildScheduleStack(dataSource: DataSource, options: { clock: () => Date; nodes?: number; config?: Record<string, unknown>; instanceId?: string }): Promise<ScheduleStack> {
  const proxy = await startDemoProxy(options.nodes ?? 4, 'sched-proxy');
  const ids = await seedInventory(dataSource, {
    hostgroups: ['sched'],
    proxies: [{ name: 'sched-proxy', url: proxy.url, capabilities: ['remote_execution'] }],
    hosts: proxy.identities.map((name) => ({ name, hostgroup: 'sched', proxy: 'sched-proxy' })),
  });
  const config = loadConfig({ env: {}, overrides: { 'admin.password': ADMIN_PASSWORD, 'admin.password_file': '/dev/null', ...options.config } });
  const services = buildServices({ config, dataSource, logger: silentLogger(), clock: options.clock, proxyClient: proxy.clients, validateArguments: validateJobArguments, instanceId: options.instanceId ?? 'sched-test' });
  await services.auth.ensureAdmin({ password: ADMIN_PASSWORD, passwordFile: '/dev/null' });
  const admin = (await services.auth.loadCurrentUser((await services.auth.verifyPassword('admin', ADMIN_PASSWORD))!.id))!;
  return {
    services,
    ids,
    identities: proxy.identities,
    admin,
    proxy,
    async close() {
      services.schedules.stop();
      await services.scheduleWaker.stop();
      const rows = (await dataSource.query("SELECT id FROM job_invocations WHERE state IN ('queued', 'running')")) as Array<{ id: number }>;
      await Promise.all(rows.map((r) => services.jobs.whenDispatched(Number(r.id))));
      await services.jobs.stop();
      await proxy.stop();
    },
  };
}

/**
 * The real app (createApp over buildServices, real inventory and job repositories) on a scratch
 * database, with in-process proxy cores on a real broker. Tests talk to it over HTTP only.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@server/config';
import { createApp } from '@server/http/app';
import { buildServices } from '@server/services';
import type { JobInvocationService } from '@server/jobs/job-invocation.service';
import type { JobProxyClient } from '@server/jobs/job-dispatcher';
import { createHostRepository } from '@server/inventory/host.repository';
import { createHostgroupRepository } from '@server/inventory/hostgroup.repository';
import { createSmartProxyRepository } from '@server/inventory/smart-proxy.repository';
import { silentLogger } from '@server/logger';
import type { AgentDdl__Output } from '@protos/generated/rex/proxy/v1/AgentDdl';
import { validateJobArguments } from '@server/jobs/ddl-arguments';
import type { PuppetDbClient } from '@server/puppetdb/puppetdb.client';

export const ADMIN_PASSWORD = 'jobs-test-password';
export const AUTH = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

export interface SeedHost {
  name: string;
  /** Hostgroup title, e.g. `web/eu`. */
  hostgroup: string | null;
  /** Smart proxy name. */
  proxy: string | null;
  facts?: Record<string, string>;
}

export interface SeededInventory {
  hostIds: Map<string, number>;
  hostgroupIds: Map<string, number>;
  proxyIds: Map<string, number>;
}

/** Writes hostgroups (parents first), smart proxies, hosts and facts through the inventory repositories. */
export async function seedInventory(dataSource: DataSource, seed: { hostgroups: string[]; proxies: Array<{ name: string; url: string; capabilities: string[] }>; hosts: SeedHost[] }): Promise<SeededInventory> {
  const now = new Date();
  const hostgroups = createHostgroupRepository(dataSource.manager);
  const proxies = createSmartProxyRepository(dataSource.manager);
  const hostRepo = createHostRepository(dataSource.manager);
  const hostgroupIds = new Map<string, number>();
  for (const title of seed.hostgroups) hostgroupIds.set(title, (await hostgroups.ensure(title, now)).row.id);
  const proxyIds = new Map<string, number>();
  for (const p of seed.proxies) proxyIds.set(p.name, (await proxies.upsertByName({ name: p.name, url: p.url, capabilities: p.capabilities }, now)).row.id);
  const stored = await hostRepo.insertHosts(seed.hosts.map((h) => ({
    name: h.name,
    hostgroupId: h.hostgroup ? hostgroupIds.get(h.hostgroup)! : null,
    smartProxyId: h.proxy ? proxyIds.get(h.proxy)! : null,
    organizationId: null,
    locationId: null,
    lastSeenAt: now,
    missingSince: null,
  })), now);
  const hostIds = new Map(stored.map((h) => [h.name, h.id]));
  const facts = seed.hosts.flatMap((h) => Object.entries(h.facts ?? {}).map(([name, value]) => ({ hostId: hostIds.get(h.name)!, name, value })));
  if (facts.length > 0) await hostRepo.upsertFacts(facts);
  return { hostIds, hostgroupIds, proxyIds };
}

export interface JobApp {
  url: string;
  /** The express app, for listRoutes. */
  app: Express;
  service: JobInvocationService;
  close(): Promise<void>;
  /** Stops like a crash: no more writes, leases left behind, HTTP closed. */
  crash(): Promise<void>;
}

export interface JobAppOptions {
  dataSource: DataSource;
  proxies: JobProxyClient & { listAgents(url: string, options?: { refresh?: boolean }): Promise<AgentDdl__Output[]>; listNodes?(url: string): Promise<Array<{ identity: string; facts: Record<string, string>; classes: string[]; agents: string[] }>> };
  instanceId?: string;
  /** PuppetDB for pql targeting and the PuppetDB sync. */
  puppetdb?: PuppetDbClient;
}

/** As server.ts wires it: a proxy refresh lists the proxy's nodes through the same client. */
function listNodesOf(proxies: JobAppOptions['proxies']) {
  const { listNodes } = proxies;
  if (!listNodes) return undefined;
  return async (url: string) => (await listNodes.call(proxies, url)).map((n) => ({ identity: n.identity, facts: n.facts, classes: n.classes, agents: n.agents }));
}

/** The real app (createApp over buildServices) on the given database, with the jobs feature started. */
export async function startJobApp(options: JobAppOptions): Promise<JobApp> {
  const logger = silentLogger();
  const config = loadConfig({ env: {}, overrides: { 'admin.password': ADMIN_PASSWORD, 'admin.password_file': '/dev/null' } });
  const services = buildServices({ config, dataSource: options.dataSource, logger, clock: () => new Date(), proxyClient: options.proxies, validateArguments: validateJobArguments, instanceId: options.instanceId, puppetdb: options.puppetdb, listNodes: listNodesOf(options.proxies) });
  await services.auth.ensureAdmin({ password: ADMIN_PASSWORD, passwordFile: '/dev/null' });
  services.jobs.start();
  const app = createApp({ services, logger, exposeStack: true });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = async () => {
    await services.jobs.stop();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
  return { url, app, service: services.jobs, close: stop, crash: stop };
}

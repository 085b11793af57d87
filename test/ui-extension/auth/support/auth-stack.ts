/**
 * The real app (createApp over buildServices) on a scratch database with two organizations, two
 * smart proxies (real proxy-plugins over gRPC) and a small fleet per proxy on the real NATS, plus the
 * users the authorization tests act as, all set up through the API as admin:
 *
 *   host          hostgroup  organization  proxy
 *   <P>a-00001    web        OrgA          proxy-a
 *   <P>a-00002    web/eu     OrgA          proxy-a   (never answers)
 *   <P>a-00003    db         OrgA          proxy-a
 *   <P>b-00001    web        OrgB          proxy-b
 *   <P>b-00002    db         OrgB          proxy-b
 *   <P>b-00003    (none)     OrgB          proxy-b
 *
 *   viewer    built-in Viewer
 *   operator  role "Web operator": view hosts and proxies on hostgroup web; view, run and cancel
 *             jobs of package.status on hostgroup web (and nothing else)
 *   manager   built-in Manager, organization OrgA
 *   admin     the admin flag
 *
 * and the limited users the authorization matrix (http/permission-matrix.ts) compares:
 *
 *   inScope      role "Web team": view hosts and proxies on hostgroup web; view, run and cancel jobs,
 *                manage its own and others' schedules, on hostgroup web (any agent)
 *   outOfScope   role "Db team": the same on hostgroup db
 *   userManager  role "User managers": manage_users and nothing else
 *   templateRunner  role "Template runners": view hosts on hostgroup web, and run_job_templates for
 *                the job template `<prefix>matrix-template` on hostgroup web (no create_jobs)
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Express } from 'express';
import type { JobStatus } from '@common/jobs';
import { loadConfig } from '@server/config';
import { answerClientErrors, createApp } from '@server/http/app';
import { createHostRepository } from '@server/inventory/host.repository';
import { createHostgroupRepository } from '@server/inventory/hostgroup.repository';
import { createSmartProxyRepository } from '@server/inventory/smart-proxy.repository';
import { createTaxonomyRepository } from '@server/inventory/taxonomy.repository';
import { validateJobArguments } from '@server/jobs/ddl-arguments';
import { silentLogger } from '@server/logger';
import { buildServices, type Services } from '@server/services';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { waitBrokerConnected } from '@test/fleet/mcollective/mcollective-proxy';
import { openTestDataSource, type OpenTestDataSource, type TestDatabase } from '@test/support/databases';
import { createTestProxyClient, startTestProxy, type TestProxy } from '../../jobs/support/grpc-proxies';

const NATS_URL = 'nats://127.0.0.1:4222';
export const PASSWORD = 'auth-test-password';
export const PERSONAS = ['anonymous', 'viewer', 'operator', 'manager', 'admin', 'inScope', 'outOfScope', 'userManager', 'templateRunner'] as const;
export type Persona = (typeof PERSONAS)[number];

export interface SeededJob {
  id: number;
  /** Unique text in the job's description, to find it (or its absence) in any response. */
  marker: string;
}

/** A fact set on the web hosts only (webA, webB). */
export const MATRIX_FACT = 'matrix_rack';

export interface AuthStack {
  prefix: string;
  db: OpenTestDataSource;
  app: Express;
  url: string;
  services: Services;
  hosts: Record<'webA' | 'webEuA' | 'dbA' | 'webB' | 'dbB' | 'loneB', { id: number; name: string }>;
  hostgroups: Record<'web' | 'webEu' | 'db', number>;
  proxies: Record<'a' | 'b', { id: number; name: string; url: string }>;
  /** Each proxy's collective on NATS (its fleet's), and its audit log. */
  collectives: Record<'a' | 'b', string>;
  proxyAuditFiles: Record<'a' | 'b', string>;
  organizations: Record<'a' | 'b', number>;
  users: Record<Exclude<Persona, 'anonymous'>, number>;
  roles: { webOperator: number; webTeam: number; dbTeam: number; userManagers: number };
  /** Jobs made by admin before the tests: status on webA, a secret status on dbB, status on webB, ping on webA. */
  jobs: { webStatus: SeededJob; dbSecret: SeededJob; webBStatus: SeededJob; webPing: SeededJob };
  /** The secret package argument of jobs.dbSecret. */
  secretPackage: string;
  as(persona: Persona): {
    get(path: string): request.Test;
    post(path: string, body?: unknown): request.Test;
    put(path: string, body?: unknown): request.Test;
    delete(path: string): request.Test;
  };
  waitFinal(jobId: number): Promise<JobStatus>;
  close(): Promise<void>;
}

export interface AuthStackOptions {
  /** More ui-extension config by dotted path (e.g. a shorter long-poll limit for the fuzz test). */
  config?: Record<string, unknown>;
  /** More proxy-plugin config by dotted path, for both proxies (e.g. a DDL directory of its own). */
  proxyConfig?: Record<string, unknown>;
}

export async function startAuthStack(database: TestDatabase, options: AuthStackOptions = {}): Promise<AuthStack> {
  const prefix = `auth${randomBytes(3).toString('hex')}-`;
  const db = await openTestDataSource(database);
  const fleets: ChoriaFleet[] = [];
  const running: TestProxy[] = [];
  const proxyClient = createTestProxyClient();
  let server: Server | undefined;
  let services: Services | undefined;
  const close = async () => {
    await services?.jobs.stop();
    if (server) {
      await new Promise<void>((resolve) => {
        server!.close(() => resolve());
        server!.closeAllConnections();
      });
    }
    proxyClient.close();
    for (const p of running) await p.stop();
    for (const f of fleets) await f.stop();
    await db.close();
  };
  try {
    // One fleet and one collective per proxy, so each proxy's node list is exactly its hosts.
    const urls: Record<'a' | 'b', string> = { a: '', b: '' };
    const collectives: Record<'a' | 'b', string> = { a: '', b: '' };
    const proxyAuditFiles: Record<'a' | 'b', string> = { a: '', b: '' };
    for (const p of ['a', 'b'] as const) {
      const collective = `${prefix.replace(/-$/, '')}${p}`;
      // <P>a-00002 never answers, so a job on it stays running until cancelled or timed out.
      fleets.push(await startChoriaFleet({ natsUrl: NATS_URL, count: 3, collective, identityPrefix: `${prefix}${p}-`, seed: prefix, failureRate: 0, silentIdentities: [`${prefix}a-00002`] }));
      const proxy = await startTestProxy({ name: `${prefix}proxy-${p}`, natsUrl: NATS_URL, collective, overrides: options.proxyConfig });
      running.push(proxy);
      urls[p] = proxy.url;
      collectives[p] = collective;
      proxyAuditFiles[p] = proxy.auditFile;
      await waitBrokerConnected(proxyClient, proxy.url);
    }
    const proxyUrl = (p: 'a' | 'b') => urls[p];

    const now = new Date();
    const taxonomies = createTaxonomyRepository(db.dataSource.manager);
    const organizations = { a: (await taxonomies.ensure('organization', `${prefix}OrgA`, now)).row.id, b: (await taxonomies.ensure('organization', `${prefix}OrgB`, now)).row.id };
    const groups = createHostgroupRepository(db.dataSource.manager);
    const hostgroups = { web: (await groups.ensure('web', now)).row.id, webEu: (await groups.ensure('web/eu', now)).row.id, db: (await groups.ensure('db', now)).row.id };
    const proxyRepo = createSmartProxyRepository(db.dataSource.manager);
    const proxies = {
      a: { ...(await proxyRepo.upsertByName({ name: `${prefix}proxy-a`, url: proxyUrl('a'), capabilities: ['remote_execution'] }, now)).row },
      b: { ...(await proxyRepo.upsertByName({ name: `${prefix}proxy-b`, url: proxyUrl('b'), capabilities: ['remote_execution'] }, now)).row },
    };
    const layout = [
      ['webA', 'a-00001', hostgroups.web, 'a'],
      ['webEuA', 'a-00002', hostgroups.webEu, 'a'],
      ['dbA', 'a-00003', hostgroups.db, 'a'],
      ['webB', 'b-00001', hostgroups.web, 'b'],
      ['dbB', 'b-00002', hostgroups.db, 'b'],
      ['loneB', 'b-00003', null, 'b'],
    ] as const;
    const stored = await createHostRepository(db.dataSource.manager).insertHosts(layout.map(([, suffix, hostgroupId, p]) => ({
      name: `${prefix}${suffix}`, hostgroupId, smartProxyId: proxies[p].id, organizationId: organizations[p], locationId: null, lastSeenAt: now, missingSince: null,
    })), now);
    const idOf = new Map(stored.map((h) => [h.name, h.id]));
    const hosts = Object.fromEntries(layout.map(([key, suffix]) => [key, { id: idOf.get(`${prefix}${suffix}`)!, name: `${prefix}${suffix}` }])) as AuthStack['hosts'];
    // A fact only web hosts have: its values (GET fact_names/:name/values) are seen in scope only.
    await createHostRepository(db.dataSource.manager).upsertFacts([hosts.webA, hosts.webB].map((h) => ({ hostId: h.id, name: MATRIX_FACT, value: 'r1' })));

    const logger = silentLogger();
    const config = loadConfig({ env: {}, overrides: { 'admin.password': PASSWORD, 'admin.password_file': '/dev/null', ...options.config } });
    services = buildServices({
      config,
      dataSource: db.dataSource,
      logger,
      clock: () => new Date(),
      proxyClient,
      validateArguments: validateJobArguments,
      listNodes: async (url) => (await proxyClient.listNodes(url)).map((n) => ({ identity: n.identity, facts: n.facts, classes: n.classes, agents: n.agents })),
    });
    await services.auth.ensureAdmin({ password: PASSWORD, passwordFile: '/dev/null' });
    services.jobs.start();
    const app = createApp({ services, logger });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    answerClientErrors(server);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const login = (persona: Persona): string | undefined => (persona === 'anonymous' ? undefined : persona === 'admin' ? 'admin' : `${prefix}${persona}`);
    const as = (persona: Persona) => {
      const auth = (t: request.Test) => {
        const user = login(persona);
        return user ? t.auth(user, PASSWORD) : t;
      };
      return {
        get: (path: string) => auth(request(url).get(path)),
        post: (path: string, body?: unknown) => auth(request(url).post(path)).send(body as object),
        put: (path: string, body?: unknown) => auth(request(url).put(path)).send(body as object),
        delete: (path: string) => auth(request(url).delete(path)),
      };
    };
    const admin = as('admin');
    const roleId = async (name: string) => ((await admin.get(`/api/v2/roles/${encodeURIComponent(name)}`).expect(200)).body as { id: number }).id;

    const webOperator = (await admin.post('/api/v2/roles', { role: { name: `${prefix}Web operator`, description: 'package.status on web' } }).expect(201)).body as { id: number };
    await admin.post('/api/v2/filters', { filter: { role_id: webOperator.id, permissions: ['view_hosts', 'view_smart_proxies'], search: 'hostgroup = web' } }).expect(201);
    await admin.post('/api/v2/filters', { filter: { role_id: webOperator.id, permissions: ['view_jobs', 'create_jobs', 'cancel_jobs'], search: 'namespace = package and action = status and hostgroup = web' } }).expect(201);

    const team = async (name: string, hostgroup: string) => {
      const role = (await admin.post('/api/v2/roles', { role: { name: `${prefix}${name}` } }).expect(201)).body as { id: number };
      await admin.post('/api/v2/filters', { filter: { role_id: role.id, permissions: ['view_hosts', 'view_smart_proxies'], search: `hostgroup = ${hostgroup}` } }).expect(201);
      await admin.post('/api/v2/filters', { filter: { role_id: role.id, permissions: ['view_jobs', 'create_jobs', 'cancel_jobs', 'manage_schedules', 'manage_others_schedules'], search: `hostgroup = ${hostgroup}` } }).expect(201);
      return role.id;
    };
    const webTeam = await team('Web team', 'web');
    const dbTeam = await team('Db team', 'db');
    const userManagers = (await admin.post('/api/v2/roles', { role: { name: `${prefix}User managers` } }).expect(201)).body as { id: number };
    await admin.post('/api/v2/filters', { filter: { role_id: userManagers.id, permissions: ['manage_users'] } }).expect(201);

    const templateRunners = (await admin.post('/api/v2/roles', { role: { name: `${prefix}Template runners` } }).expect(201)).body as { id: number };
    await admin.post('/api/v2/filters', { filter: { role_id: templateRunners.id, permissions: ['view_hosts'], search: 'hostgroup = web' } }).expect(201);
    await admin.post('/api/v2/filters', { filter: { role_id: templateRunners.id, permissions: ['run_job_templates'], search: `name = ${prefix}matrix-template and hostgroup = web` } }).expect(201);

    const createUser = async (persona: Exclude<Persona, 'anonymous' | 'admin'>, roleIds: number[], organizationIds: number[] = []) =>
      ((await admin.post('/api/v2/users', { user: { login: login(persona), password: PASSWORD, role_ids: roleIds, organization_ids: organizationIds } }).expect(201)).body as { id: number }).id;
    const users = {
      viewer: await createUser('viewer', [await roleId('Viewer')]),
      operator: await createUser('operator', [webOperator.id]),
      manager: await createUser('manager', [await roleId('Manager')], [organizations.a]),
      inScope: await createUser('inScope', [webTeam]),
      outOfScope: await createUser('outOfScope', [dbTeam]),
      userManager: await createUser('userManager', [userManagers.id]),
      templateRunner: await createUser('templateRunner', [templateRunners.id]),
      admin: ((await admin.get('/api/v2/current_user').expect(200)).body as { id: number }).id,
    };

    const waitFinal = async (jobId: number): Promise<JobStatus> => {
      const until = Date.now() + 30_000;
      for (;;) {
        const job = (await admin.get(`/api/v2/remote_execution/jobs/${jobId}?wait=5`).expect(200)).body as JobStatus;
        if (['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
        if (Date.now() > until) throw new Error(`job ${jobId} still ${job.state}`);
      }
    };
    const secretPackage = `${prefix}secret-pkg`;
    const seedJob = async (key: string, namespace: string, action: string, args: Record<string, unknown>, hostId: number): Promise<SeededJob> => {
      const marker = `${prefix}job-${key}`;
      const job = (await admin.post('/api/v2/remote_execution/jobs', { job: { namespace, action, arguments: args, targeting: { host_ids: [hostId] }, description: marker, timeout: 5 } }).expect(201)).body as { id: number };
      await waitFinal(job.id);
      return { id: job.id, marker };
    };
    const jobs = {
      webStatus: await seedJob('web-status', 'package', 'status', { package: 'nginx' }, hosts.webA.id),
      dbSecret: await seedJob('db-secret', 'package', 'status', { package: secretPackage }, hosts.dbB.id),
      webBStatus: await seedJob('webb-status', 'package', 'status', { package: 'nginx' }, hosts.webB.id),
      webPing: await seedJob('web-ping', 'rpcutil', 'ping', {}, hosts.webA.id),
    };

    return { prefix, db, app, url, services, hosts, hostgroups, proxies, collectives, proxyAuditFiles, organizations, users, roles: { webOperator: webOperator.id, webTeam, dbTeam, userManagers: userManagers.id }, jobs, secretPackage, as, waitFinal, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/**
 * The set-up and tear-down the process fault tests share: a private nats-server, proxy-plugins on
 * ports of their own, a MariaDB test database seeded with the fleet's hosts and the admin, and
 * ui-extension processes. Call `faultStack()` once in a describe block: its afterAll runs the
 * `beforeKill` steps, SIGKILLs every process processes.ts started (whatever a failing test left),
 * then undoes what was made (databases, temp dirs, `afterKill` steps), the latest first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTestDataSource, type OpenTestDataSource, type TestDatabase } from '@test/support/databases';
import { portForLaterListen } from '@test/support/ports';
import { seedInventory, type SeededInventory } from '@test/ui-extension/jobs/support/job-stack';
import { api, killAll, seedAdmin, startPrivateNats, startProxyProcess, startUiProcess, type Proc, type UiProc } from './processes';

export interface PrivateNats {
  port: number;
  url: string;
  proc: Proc;
  /** Starts nats-server again on the same port and store dir (after the test stopped it). */
  restart(): Promise<Proc>;
}

export interface FaultProxy {
  name: string;
  port: number;
  proc: Proc;
  /** Starts the proxy again on its port (after the test killed it). */
  restart(): Promise<Proc>;
}

type Step = () => unknown;

export interface FaultStack {
  /** A tear-down step that must run while the processes still live (close a balancer, SIGCONT a stopped process). */
  beforeKill(step: Step): void;
  /** A tear-down step after the processes are gone; the latest registered runs first. */
  afterKill(step: Step): void;
  /** A temp dir removed at tear-down. */
  tempDir(prefix: string): string;
  /** A private nats-server (never the system one) on a port kept free for a restart. */
  nats(): Promise<PrivateNats>;
  /** A proxy-plugin process on the Choria transport, on a port of its own. */
  proxy(options: { name: string; natsUrl: string; collective: string; env?: Record<string, string> }): Promise<FaultProxy>;
  /** A scratch database (MariaDB unless told), closed and dropped at tear-down. */
  database(kind?: TestDatabase): Promise<OpenTestDataSource>;
  /** Seeds one hostgroup, the proxies as Choria smart proxies, the hosts on them, and the admin. */
  seed(db: Pick<OpenTestDataSource, 'dataSource'>, seed: { hostgroup: string; proxies: FaultProxy[]; hosts: Array<{ name: string; proxy: string }> }): Promise<SeededInventory>;
  /** A ui-extension process on the database; resolves once it listens. */
  ui(db: Pick<OpenTestDataSource, 'database'>, instanceId: string, env?: Record<string, string>): Promise<UiProc>;
}

export function faultStack(): FaultStack {
  const first: Step[] = [];
  const last: Step[] = [];

  afterAll(async () => {
    for (const step of first) await step();
    await killAll();
    for (const step of last.reverse()) await step();
  });

  const stack: FaultStack = {
    beforeKill: (step) => first.push(step),
    afterKill: (step) => last.push(step),
    tempDir(prefix) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      last.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    async nats() {
      const storeDir = stack.tempDir('rex-fault-nats-');
      const port = await portForLaterListen();
      const nats: PrivateNats = {
        port,
        url: `nats://127.0.0.1:${port}`,
        proc: await startPrivateNats(port, storeDir),
        async restart() {
          nats.proc = await startPrivateNats(port, storeDir);
          return nats.proc;
        },
      };
      return nats;
    },
    async proxy({ name, natsUrl, collective, env }) {
      const port = await portForLaterListen();
      const start = () => startProxyProcess({ name, natsUrl, port, collective, env });
      const proxy: FaultProxy = {
        name,
        port,
        proc: await start(),
        async restart() {
          proxy.proc = await start();
          return proxy.proc;
        },
      };
      return proxy;
    },
    async database(kind = { kind: 'mysql' }) {
      const db = await openTestDataSource(kind);
      last.push(() => db.close().catch(() => undefined));
      return db;
    },
    async seed(db, seed) {
      const seeded = await seedInventory(db.dataSource, {
        hostgroups: [seed.hostgroup],
        proxies: seed.proxies.map((p) => ({ name: p.name, url: `127.0.0.1:${p.port}`, capabilities: ['remote_execution', 'choria'] })),
        hosts: seed.hosts.map((h) => ({ name: h.name, hostgroup: seed.hostgroup, proxy: h.proxy })),
      });
      await seedAdmin(db.dataSource);
      return seeded;
    },
    ui: (db, instanceId, env) => startUiProcess({ database: db.database, instanceId, env }),
  };
  return stack;
}

/** Creates a job as admin through the API, expects 201 and resolves its id. */
export async function createJob(base: string, job: Record<string, unknown>): Promise<number> {
  const created = await api(base, 'POST', '/api/v2/remote_execution/jobs', { job });
  expect(created.status).toBe(201);
  return (created.body as { id: number }).id;
}

/** Host rows of a job already past pending and running: how far the job has been recorded. */
export async function storedHosts(db: OpenTestDataSource, jobId: number): Promise<number> {
  const [row] = (await db.dataSource.query("SELECT COUNT(*) AS n FROM job_invocation_hosts WHERE job_invocation_id = ? AND state NOT IN ('pending', 'running')", [jobId])) as Array<{ n: number | string }>;
  return Number(row.n);
}

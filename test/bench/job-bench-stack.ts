/**
 * The stack job.bench.ts and rollout.bench.ts measure, set up once here so that both measure the
 * same thing: one proxy-plugin gRPC server per fleet of virtual Choria nodes on the real NATS (in
 * worker threads when compiled, as real nodes have their own CPUs), reached through the
 * ui-extension's gRPC client, every node seeded as a host of one hostgroup, and the ui-extension
 * app on a scratch database.
 */
import { newRequestId } from '@proxy/broker/choria/protocol';
import type { JobStatus } from '@common/jobs';
import { startChoriaFleet } from '@test/fleet/choria-fleet';
import { canRunFleetInWorker, startFleetInWorker } from '@test/fleet/fleet-worker';
import { openTestDataSource, type TestDatabaseKind } from '@test/support/databases';
import { createTestProxyClient, startTestProxy, type TestProxy } from '@test/ui-extension/jobs/support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type SeedHost } from '@test/ui-extension/jobs/support/job-stack';

export interface JobBenchStackOptions {
  hosts: number;
  proxies: number;
  database?: TestDatabaseKind;
  natsUrl?: string;
  /** Names the bench's nodes (`<name>-p1-...`), proxies, hostgroup and collective apart from any other's. */
  name: string;
  /** Prefix of the collective, of the bench's own so that its discovery reaches only its fleets. */
  collectivePrefix: string;
}

/** One job through the HTTP API: POST, then the long poll until the job is final. */
export interface TimedJob {
  /** Client clock: POST sent -> long poll returned the job final (not rounded). */
  totalMs: number;
  /** POST round trip (job, targeting and every pending host row stored; not rounded). */
  postMs: number;
  job: JobStatus;
}

export interface JobBenchStack {
  database: TestDatabaseKind;
  fleetIn: 'worker' | 'thread';
  /** Creates a job of rpcutil#ping on every seeded host (timeout 20 s), `extra` added to it, and waits for its end. */
  runJob(extra?: Record<string, unknown>): Promise<TimedJob>;
  /** Stops the app, the proxy client, the proxies and the fleets, and closes the database. */
  stop(): Promise<void>;
}

export async function startJobBenchStack(options: JobBenchStackOptions): Promise<JobBenchStack> {
  const natsUrl = options.natsUrl ?? 'nats://127.0.0.1:4222';
  const database = options.database ?? 'mysql';
  const collective = `${options.collectivePrefix}${newRequestId().slice(0, 8)}`;
  const perProxy = Math.ceil(options.hosts / options.proxies);
  const fleetIn = canRunFleetInWorker() ? 'worker' : 'thread';
  const db = await openTestDataSource(database);
  const fleets: Array<{ stop(): Promise<unknown> }> = [];
  const proxies: TestProxy[] = [];
  const proxyClient = createTestProxyClient();
  const stopAll = async () => {
    proxyClient.close();
    for (const proxy of proxies) await proxy.stop();
    for (const f of fleets) await f.stop();
    await db.close();
  };
  try {
    const hosts: SeedHost[] = [];
    const smartProxies: Array<{ name: string; url: string; capabilities: string[] }> = [];
    for (let p = 1; p <= options.proxies; p++) {
      const count = Math.min(perProxy, options.hosts - (p - 1) * perProxy);
      // One subscription per node, as real Choria servers have (and as the scale series does): a
      // wildcard per fleet would make each of the P fleets receive and decode every directed request.
      const fleetOptions = { natsUrl, count, collective, identityPrefix: `${options.name}-p${p}-`, subscription: 'each' as const };
      const fleet = fleetIn === 'worker' ? await startFleetInWorker(fleetOptions) : await startChoriaFleet(fleetOptions);
      fleets.push(fleet);
      const proxy = await startTestProxy({ name: `${options.name}-proxy-${p}`, natsUrl, collective });
      proxies.push(proxy);
      smartProxies.push({ name: proxy.name, url: proxy.url, capabilities: ['remote_execution'] });
      fleet.identities.forEach((name) => hosts.push({ name, proxy: proxy.name, hostgroup: options.name }));
    }
    const seeded = await seedInventory(db.dataSource, { hostgroups: [options.name], proxies: smartProxies, hosts });
    const hostgroupId = seeded.hostgroupIds.get(options.name)!;
    const app = await startJobApp({ dataSource: db.dataSource, proxies: proxyClient });
    return {
      database,
      fleetIn,
      async runJob(extra = {}) {
        const started = performance.now();
        const res = await fetch(`${app.url}/api/v2/remote_execution/jobs`, {
          method: 'POST',
          headers: { Authorization: AUTH, 'Content-Type': 'application/json' },
          body: JSON.stringify({ job: { namespace: 'rpcutil', action: 'ping', arguments: {}, targeting: { hostgroup_id: hostgroupId }, timeout: 20, ...extra } }),
        });
        const postMs = performance.now() - started;
        if (res.status !== 201) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
        let job = (await res.json()) as JobStatus;
        while (!['succeeded', 'failed', 'cancelled'].includes(job.state)) {
          const poll = await fetch(`${app.url}/api/v2/remote_execution/jobs/${job.id}?wait=30&since=${job.version}`, { headers: { Authorization: AUTH } });
          job = (await poll.json()) as JobStatus;
        }
        return { totalMs: performance.now() - started, postMs, job };
      },
      async stop() {
        try {
          await app.close();
        } finally {
          await stopAll();
        }
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

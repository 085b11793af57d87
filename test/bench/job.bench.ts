/**
 * POST a job on N hosts -> every host result stored, through the HTTP API, the job service, the
 * batching writer and MariaDB, with one proxy-plugin gRPC server per 5,000 nodes (started as
 * production starts it, reached through the ui-extension's gRPC client) on the real NATS and
 * virtual Choria fleets (in worker threads when compiled, as real nodes have their own CPUs).
 */
import { newRequestId } from '@proxy/broker/choria/protocol';
import type { JobStatus } from '@common/jobs';
import { startChoriaFleet } from '@test/fleet/choria-fleet';
import { canRunFleetInWorker, startFleetInWorker } from '@test/fleet/fleet-worker';
import { openTestDataSource, type TestDatabaseKind } from '@test/support/databases';
import { createTestProxyClient, startTestProxy, type TestProxy } from '@test/ui-extension/jobs/support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type SeedHost } from '@test/ui-extension/jobs/support/job-stack';

export interface JobBenchOptions {
  hosts: number;
  proxies: number;
  database?: TestDatabaseKind;
  natsUrl?: string;
  runs?: number;
  warmupRuns?: number;
}

export interface JobBenchRun {
  /** Client clock: POST sent -> long poll returned the job final with every host stored. */
  postToAllStoredMs: number;
  /** POST round trip (job, targeting and every pending host row stored). */
  postMs: number;
  /** Server clock: created_at -> finished_at. */
  serverMs: number;
  succeeded: number;
}

export interface JobBenchResult {
  name: string;
  hosts: number;
  proxies: number;
  database: TestDatabaseKind;
  fleetIn: 'worker' | 'thread';
  runs: JobBenchRun[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  medianPostMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function runJobBench(options: JobBenchOptions): Promise<JobBenchResult> {
  const natsUrl = options.natsUrl ?? 'nats://127.0.0.1:4222';
  const database = options.database ?? 'mysql';
  const collective = `rexjob${newRequestId().slice(0, 8)}`;
  const perProxy = Math.ceil(options.hosts / options.proxies);
  const fleetIn = canRunFleetInWorker() ? 'worker' : 'thread';
  const db = await openTestDataSource(database);
  const fleets: Array<{ stop(): Promise<unknown> }> = [];
  const proxies: TestProxy[] = [];
  const proxyClient = createTestProxyClient();
  const hosts: SeedHost[] = [];
  const smartProxies: Array<{ name: string; url: string; capabilities: string[] }> = [];
  try {
    for (let p = 1; p <= options.proxies; p++) {
      const prefix = `jobbench-p${p}-`;
      const count = Math.min(perProxy, options.hosts - (p - 1) * perProxy);
      const fleetOptions = { natsUrl, count, collective, identityPrefix: prefix, subscription: 'wildcard' as const };
      const fleet = fleetIn === 'worker' ? await startFleetInWorker(fleetOptions) : await startChoriaFleet(fleetOptions);
      fleets.push(fleet);
      const proxy = await startTestProxy({ name: `bench-proxy-${p}`, natsUrl, collective });
      proxies.push(proxy);
      smartProxies.push({ name: proxy.name, url: proxy.url, capabilities: ['remote_execution'] });
      fleet.identities.forEach((name) => hosts.push({ name, proxy: `bench-proxy-${p}`, hostgroup: 'bench' }));
    }
    const seeded = await seedInventory(db.dataSource, { hostgroups: ['bench'], proxies: smartProxies, hosts });
    const hostgroupId = seeded.hostgroupIds.get('bench')!;
    const app = await startJobApp({ dataSource: db.dataSource, proxies: proxyClient });
    const runs: JobBenchRun[] = [];
    try {
      const total = (options.warmupRuns ?? 1) + (options.runs ?? 3);
      for (let run = 0; run < total; run++) {
        const started = performance.now();
        const res = await fetch(`${app.url}/api/v2/remote_execution/jobs`, {
          method: 'POST',
          headers: { Authorization: AUTH, 'Content-Type': 'application/json' },
          body: JSON.stringify({ job: { namespace: 'rpcutil', action: 'ping', arguments: {}, targeting: { hostgroup_id: hostgroupId }, timeout: 20 } }),
        });
        const postMs = performance.now() - started;
        if (res.status !== 201) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
        let job = (await res.json()) as JobStatus;
        while (!['succeeded', 'failed', 'cancelled'].includes(job.state)) {
          const poll = await fetch(`${app.url}/api/v2/remote_execution/jobs/${job.id}?wait=30&since=${job.version}`, { headers: { Authorization: AUTH } });
          job = (await poll.json()) as JobStatus;
        }
        const elapsed = performance.now() - started;
        if (job.counts.succeeded !== options.hosts) throw new Error(`bench run ${run}: ${JSON.stringify(job.counts)}`);
        if (run >= (options.warmupRuns ?? 1)) {
          runs.push({
            postToAllStoredMs: Math.round(elapsed),
            postMs: Math.round(postMs),
            serverMs: Date.parse(job.finished_at!) - Date.parse(job.created_at),
            succeeded: job.counts.succeeded,
          });
        }
      }
    } finally {
      await app.close();
    }
    const totals = runs.map((r) => r.postToAllStoredMs);
    return {
      name: `job POST -> all ${options.hosts} host results stored (${options.proxies} proxies, ${database}, fleet in ${fleetIn})`,
      hosts: options.hosts,
      proxies: options.proxies,
      database,
      fleetIn,
      runs,
      medianMs: median(totals),
      minMs: Math.min(...totals),
      maxMs: Math.max(...totals),
      medianPostMs: median(runs.map((r) => r.postMs)),
    };
  } finally {
    proxyClient.close();
    for (const proxy of proxies) await proxy.stop();
    for (const f of fleets) await f.stop();
    await db.close();
  }
}

if (require.main === module) {
  const hosts = Number(process.argv[2] ?? 10_000);
  const proxies = Number(process.argv[3] ?? 2);
  const database = (process.argv[4] ?? 'mysql') as TestDatabaseKind;
  runJobBench({ hosts, proxies, database })
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = 1;
    });
}

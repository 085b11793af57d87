/**
 * The cost of a rollout policy (issue 17): the 10,000-host job of job.bench.ts (2 proxy-plugin gRPC
 * servers x 5,000 virtual Choria nodes on the real NATS, MariaDB) sent in batches of 1,000 with no
 * pause, against the same job unbatched, in the same run and alternating, so that both see the same
 * machine. POST -> every host result stored, through the HTTP API and the long poll.
 */
import { newRequestId } from '@proxy/broker/choria/protocol';
import type { JobStatus, RolloutPolicy } from '@common/jobs';
import { startChoriaFleet } from '@test/fleet/choria-fleet';
import { canRunFleetInWorker, startFleetInWorker } from '@test/fleet/fleet-worker';
import { openTestDataSource, type TestDatabaseKind } from '@test/support/databases';
import { createTestProxyClient, startTestProxy, type TestProxy } from '@test/ui-extension/jobs/support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type SeedHost } from '@test/ui-extension/jobs/support/job-stack';

export interface RolloutBenchOptions {
  hosts: number;
  proxies: number;
  batchSize: number;
  database?: TestDatabaseKind;
  natsUrl?: string;
  runs?: number;
  warmupRuns?: number;
}

export interface RolloutBenchResult {
  hosts: number;
  proxies: number;
  batchSize: number;
  batches: number;
  database: TestDatabaseKind;
  fleetIn: 'worker' | 'thread';
  unbatchedMs: number[];
  batchedMs: number[];
  medianUnbatchedMs: number;
  medianBatchedMs: number;
  /** median batched / median unbatched. */
  ratio: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function runRolloutBench(options: RolloutBenchOptions): Promise<RolloutBenchResult> {
  const natsUrl = options.natsUrl ?? 'nats://127.0.0.1:4222';
  const database = options.database ?? 'mysql';
  const collective = `rexroll${newRequestId().slice(0, 8)}`;
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
      const prefix = `rollbench-p${p}-`;
      const count = Math.min(perProxy, options.hosts - (p - 1) * perProxy);
      const fleetOptions = { natsUrl, count, collective, identityPrefix: prefix, subscription: 'wildcard' as const };
      const fleet = fleetIn === 'worker' ? await startFleetInWorker(fleetOptions) : await startChoriaFleet(fleetOptions);
      fleets.push(fleet);
      const proxy = await startTestProxy({ name: `rollbench-proxy-${p}`, natsUrl, collective });
      proxies.push(proxy);
      smartProxies.push({ name: proxy.name, url: proxy.url, capabilities: ['remote_execution'] });
      fleet.identities.forEach((name) => hosts.push({ name, proxy: `rollbench-proxy-${p}`, hostgroup: 'rollbench' }));
    }
    const seeded = await seedInventory(db.dataSource, { hostgroups: ['rollbench'], proxies: smartProxies, hosts });
    const hostgroupId = seeded.hostgroupIds.get('rollbench')!;
    const app = await startJobApp({ dataSource: db.dataSource, proxies: proxyClient });
    const unbatchedMs: number[] = [];
    const batchedMs: number[] = [];
    let batches = 0;
    const runJob = async (rollout: RolloutPolicy | undefined): Promise<{ ms: number; job: JobStatus }> => {
      const started = performance.now();
      const res = await fetch(`${app.url}/api/v2/remote_execution/jobs`, {
        method: 'POST',
        headers: { Authorization: AUTH, 'Content-Type': 'application/json' },
        body: JSON.stringify({ job: { namespace: 'rpcutil', action: 'ping', arguments: {}, targeting: { hostgroup_id: hostgroupId }, timeout: 20, rollout } }),
      });
      if (res.status !== 201) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
      let job = (await res.json()) as JobStatus;
      while (!['succeeded', 'failed', 'cancelled'].includes(job.state)) {
        const poll = await fetch(`${app.url}/api/v2/remote_execution/jobs/${job.id}?wait=30&since=${job.version}`, { headers: { Authorization: AUTH } });
        job = (await poll.json()) as JobStatus;
      }
      const ms = Math.round(performance.now() - started);
      if (job.counts.succeeded !== options.hosts) throw new Error(`rollout bench: ${JSON.stringify(job.counts)} ${JSON.stringify(job.rollout_progress)}`);
      return { ms, job };
    };
    try {
      const total = (options.warmupRuns ?? 1) + (options.runs ?? 5);
      for (let run = 0; run < total; run++) {
        // Alternating, and each pair in a different order, so neither side always runs on a warmer machine.
        const order = run % 2 === 0 ? ['plain', 'batched'] : ['batched', 'plain'];
        for (const kind of order) {
          const { ms, job } = await runJob(kind === 'batched' ? { batch_size: options.batchSize } : undefined);
          if (kind === 'batched') batches = job.rollout_progress?.batches ?? 0;
          if (run >= (options.warmupRuns ?? 1)) (kind === 'batched' ? batchedMs : unbatchedMs).push(ms);
        }
      }
    } finally {
      await app.close();
    }
    const medianUnbatchedMs = median(unbatchedMs);
    const medianBatchedMs = median(batchedMs);
    return {
      hosts: options.hosts,
      proxies: options.proxies,
      batchSize: options.batchSize,
      batches,
      database,
      fleetIn,
      unbatchedMs,
      batchedMs,
      medianUnbatchedMs,
      medianBatchedMs,
      ratio: Math.round((medianBatchedMs / medianUnbatchedMs) * 1000) / 1000,
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
  const batchSize = Number(process.argv[3] ?? 1000);
  const runs = Number(process.argv[4] ?? 5);
  runRolloutBench({ hosts, proxies: 2, batchSize, runs })
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = 1;
    });
}

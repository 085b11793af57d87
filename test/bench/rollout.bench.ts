/**
 * The cost of a rollout policy (issue 17): the 10,000-host job of job.bench.ts (2 proxy-plugin gRPC
 * servers x 5,000 virtual Choria nodes on the real NATS, MariaDB) sent in batches of 1,000 with no
 * pause, against the same job unbatched, in the same run and alternating, so that both see the same
 * machine. POST -> every host result stored, through the HTTP API and the long poll; the stack is
 * job-bench-stack.ts, the one job.bench.ts measures.
 */
import type { RolloutPolicy } from '@common/jobs';
import type { TestDatabaseKind } from '@test/support/databases';
import { median } from './choria-ping.bench';
import { startJobBenchStack } from './job-bench-stack';

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

export async function runRolloutBench(options: RolloutBenchOptions): Promise<RolloutBenchResult> {
  const stack = await startJobBenchStack({ ...options, name: 'rollbench', collectivePrefix: 'rexroll' });
  const unbatchedMs: number[] = [];
  const batchedMs: number[] = [];
  let batches = 0;
  try {
    const total = (options.warmupRuns ?? 1) + (options.runs ?? 5);
    for (let run = 0; run < total; run++) {
      // Alternating, and each pair in a different order, so neither side always runs on a warmer machine.
      const order = run % 2 === 0 ? ['plain', 'batched'] : ['batched', 'plain'];
      for (const kind of order) {
        const rollout: RolloutPolicy | undefined = kind === 'batched' ? { batch_size: options.batchSize } : undefined;
        const { totalMs, job } = await stack.runJob({ rollout });
        if (job.counts.succeeded !== options.hosts) throw new Error(`rollout bench: ${JSON.stringify(job.counts)} ${JSON.stringify(job.rollout_progress)}`);
        if (kind === 'batched') batches = job.rollout_progress?.batches ?? 0;
        if (run >= (options.warmupRuns ?? 1)) (kind === 'batched' ? batchedMs : unbatchedMs).push(Math.round(totalMs));
      }
    }
  } finally {
    await stack.stop();
  }
  const medianUnbatchedMs = median(unbatchedMs);
  const medianBatchedMs = median(batchedMs);
  return {
    hosts: options.hosts,
    proxies: options.proxies,
    batchSize: options.batchSize,
    batches,
    database: stack.database,
    fleetIn: stack.fleetIn,
    unbatchedMs,
    batchedMs,
    medianUnbatchedMs,
    medianBatchedMs,
    ratio: Math.round((medianBatchedMs / medianUnbatchedMs) * 1000) / 1000,
  };
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

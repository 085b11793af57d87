/**
 * POST a job on N hosts -> every host result stored, through the HTTP API, the job service, the
 * batching writer and MariaDB, with one proxy-plugin gRPC server per 5,000 nodes (started as
 * production starts it, reached through the ui-extension's gRPC client) on the real NATS and
 * virtual Choria fleets (in worker threads when compiled, as real nodes have their own CPUs); the
 * stack is job-bench-stack.ts, shared with rollout.bench.ts.
 */
import type { TestDatabaseKind } from '@test/support/databases';
import { median } from './choria-ping.bench';
import { startJobBenchStack } from './job-bench-stack';

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

export async function runJobBench(options: JobBenchOptions): Promise<JobBenchResult> {
  const stack = await startJobBenchStack({ ...options, name: 'jobbench', collectivePrefix: 'rexjob' });
  const { database, fleetIn } = stack;
  const runs: JobBenchRun[] = [];
  try {
    const total = (options.warmupRuns ?? 1) + (options.runs ?? 3);
    for (let run = 0; run < total; run++) {
      const { totalMs, postMs, job } = await stack.runJob();
      if (job.counts.succeeded !== options.hosts) throw new Error(`bench run ${run}: ${JSON.stringify(job.counts)}`);
      if (run >= (options.warmupRuns ?? 1)) {
        runs.push({
          postToAllStoredMs: Math.round(totalMs),
          postMs: Math.round(postMs),
          serverMs: Date.parse(job.finished_at!) - Date.parse(job.created_at),
          succeeded: job.counts.succeeded,
        });
      }
    }
  } finally {
    await stack.stop();
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

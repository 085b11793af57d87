/**
 * Issue 6's benchmark: two ui-extension PROCESSES (dist/.../main.js) on one MariaDB fire bursts of
 * N one-time occurrences all due at the same instant. Per burst: how long after its time each
 * occurrence was fired (its job queued with its hosts, in the claim transaction) and started (the
 * dispatcher sent it to the proxy-plugin gRPC server, demo transport, in this process).
 */
import { openTestDataSource } from '@test/support/databases';
import {
  createSchedules,
  dueAt,
  firingFigures,
  runRows,
  seedForProxy,
  startDemoProxy,
  startUiProcess,
  waitForJobsFinal,
  waitForRuns,
  type FiringFigures,
  type UiProcess,
} from '@test/ui-extension/scheduler/support/multi-instance';

export interface SchedulerBenchResult {
  name: string;
  occurrences: number;
  processes: number;
  bursts: FiringFigures[];
  /** Median over bursts of each burst's slowest fired occurrence. */
  medianMaxFiredMs: number;
  maxFiredMs: number;
  medianMaxStartedMs: number | null;
  exactlyOnce: boolean;
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export async function runSchedulerBench(options: { occurrences: number; processes?: number; bursts?: number; warmup?: number }): Promise<SchedulerBenchResult> {
  const count = options.processes ?? 2;
  const db = await openTestDataSource('mysql');
  const proxy = await startDemoProxy(50);
  const processes: UiProcess[] = [];
  try {
    const seeded = await seedForProxy(db.dataSource, proxy);
    processes.push(...(await Promise.all(Array.from({ length: count }, (_, i) => startUiProcess({ database: db.database, instanceId: `bench-${i + 1}` })))));
    const bursts: FiringFigures[] = [];
    let exactlyOnce = true;
    let recorded = 0;
    const total = (options.warmup ?? 1) + (options.bursts ?? 3);
    for (let b = 0; b < total; b++) {
      const n = b < (options.warmup ?? 1) ? Math.min(200, options.occurrences) : options.occurrences;
      const ids = await createSchedules(seeded, proxy.identities, n);
      const at = new Date(Date.now() + 3000);
      await dueAt(db.dataSource, at, ids);
      recorded += n;
      if ((await waitForRuns(db.dataSource, recorded, 120_000)) !== recorded) throw new Error(`burst ${b}: not every occurrence was recorded`);
      await waitForJobsFinal(db.dataSource, 120_000);
      const runs = (await runRows(db.dataSource)).filter((r) => r.occurrence_at.getTime() === at.getTime());
      exactlyOnce &&= runs.length === n && new Set(runs.map((r) => r.schedule_id)).size === n && runs.every((r) => r.state === 'fired');
      if (b >= (options.warmup ?? 1)) bursts.push(await firingFigures(db.dataSource, runs));
    }
    const started = bursts.map((f) => f.startedMs?.max).filter((x): x is number => x !== undefined);
    return {
      name: `scheduler: ${count} ui-extension processes, MariaDB, ${options.occurrences} occurrences due at one instant`,
      occurrences: options.occurrences,
      processes: count,
      bursts,
      medianMaxFiredMs: median(bursts.map((f) => f.latencyMs.max)),
      maxFiredMs: Math.max(...bursts.map((f) => f.latencyMs.max)),
      medianMaxStartedMs: started.length === bursts.length ? median(started) : null,
      exactlyOnce,
    };
  } finally {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await proxy.stop();
    await db.close();
  }
}

if (require.main === module) {
  runSchedulerBench({ occurrences: Number(process.argv[2] ?? 1000) })
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = 1;
    });
}

/**
 * Compares the fleet's two subscription styles (one subscription per node subject vs one
 * `<collective>.node.>` wildcard) at fleet sizes where limits.md found them within noise of each other.
 * Standalone: `node dist/test/bench/fleet-subscriptions.bench.js 5000 10000`.
 */
import { runChoriaPingBench, type ChoriaPingBenchResult } from './choria-ping.bench';

export async function runFleetSubscriptionBench(sizes: number[], natsUrl?: string): Promise<ChoriaPingBenchResult[]> {
  const results: ChoriaPingBenchResult[] = [];
  for (const nodes of sizes) {
    for (const subscription of ['each', 'wildcard'] as const) {
      results.push(await runChoriaPingBench({ nodes, subscription, natsUrl, runs: 5, warmupRuns: 2 }));
    }
  }
  return results;
}

if (require.main === module) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  runFleetSubscriptionBench(sizes.length > 0 ? sizes : [5000, 10000])
    .then((results) => {
      for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
    })
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = 1;
    });
}

/**
 * Directed `rpcutil ping` to a fleet of virtual nodes, end to end through the Choria client over the
 * real NATS server: encode and sign once, publish to every node, wait for every reply. From compiled
 * code the fleet runs in a worker thread (its own core, as real nodes would have); under ts it runs in
 * this thread, and the result says which.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createChoriaClient } from '@proxy/broker/choria.client';
import { newRequestId, type SecurityOptions } from '@proxy/broker/choria/protocol';
import { startChoriaFleet } from '@test/fleet/choria-fleet';
import { canRunFleetInWorker, startFleetInWorker } from '@test/fleet/fleet-worker';

export interface ChoriaPingBenchOptions {
  nodes: number;
  natsUrl?: string;
  runs?: number;
  warmupRuns?: number;
  subscription?: 'each' | 'wildcard';
  security?: SecurityOptions;
  timeoutMs?: number;
  /** `worker` needs compiled JavaScript; the default picks it when available. */
  fleetIn?: 'worker' | 'thread';
}

export interface ChoriaPingBenchResult {
  name: string;
  nodes: number;
  subscription: 'each' | 'wildcard';
  securityMode: SecurityOptions['mode'];
  /** End-to-end milliseconds of each measured run, in run order. */
  fleetIn: 'worker' | 'thread';
  runsMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  fleetSubscribeMs: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function runChoriaPingBench(options: ChoriaPingBenchOptions): Promise<ChoriaPingBenchResult> {
  const natsUrl = options.natsUrl ?? 'nats://127.0.0.1:4222';
  const collective = `rexbench${newRequestId().slice(0, 8)}`;
  const subscription = options.subscription ?? 'wildcard';
  const security = options.security ?? { mode: 'insecure' };
  const fleetIn = options.fleetIn ?? (canRunFleetInWorker() ? 'worker' : 'thread');
  const fleetOptions = { natsUrl, count: options.nodes, collective, identityPrefix: 'bench-', subscription };
  const fleet = fleetIn === 'worker' ? await startFleetInWorker(fleetOptions) : await startChoriaFleet(fleetOptions);
  const client = createChoriaClient({
    natsUrl,
    collectives: [collective],
    mainCollective: collective,
    callerid: 'choria=rex.mcollective',
    senderid: 'bench.example.net',
    security,
  });
  await client.connect();
  const runsMs: number[] = [];
  try {
    const total = (options.warmupRuns ?? 2) + (options.runs ?? 5);
    for (let run = 0; run < total; run++) {
      let replies = 0;
      const started = performance.now();
      const result = await client.callDirected({
        request: { agent: 'rpcutil', action: 'ping', data: {}, collective, callerid: 'choria=rex.mcollective', ttlSeconds: 60 },
        identities: fleet.identities,
        onReply: () => replies++,
        signal: new AbortController().signal,
        timeoutMs: options.timeoutMs ?? 10_000,
      });
      const elapsed = performance.now() - started;
      if (result.silent.length > 0 || replies !== options.nodes) {
        throw new Error(`bench run ${run}: ${replies} replies, ${result.silent.length} silent of ${options.nodes}`);
      }
      if (run >= (options.warmupRuns ?? 2)) runsMs.push(Math.round(elapsed * 10) / 10);
    }
  } finally {
    await client.close();
    await fleet.stop();
  }
  return {
    name: `choria directed rpcutil ping, ${options.nodes} nodes (${subscription}, ${security.mode}, fleet in ${fleetIn})`,
    fleetIn,
    nodes: options.nodes,
    subscription,
    securityMode: security.mode,
    runsMs,
    medianMs: median(runsMs),
    minMs: Math.min(...runsMs),
    maxMs: Math.max(...runsMs),
    fleetSubscribeMs: fleet.subscribeMs,
  };
}

if (require.main === module) {
  const nodes = Number(process.argv[2] ?? 1000);
  const mode = process.argv[3] === 'x509' ? 'x509' : 'insecure';
  // The test-only identity is not copied into dist, so it is read from the checkout npm runs in.
  const certs = join(process.cwd(), 'test', 'fleet', 'certs');
  const security: SecurityOptions =
    mode === 'x509'
      ? { mode: 'x509', certPem: readFileSync(join(certs, 'rex.mcollective.pem'), 'utf8'), keyPem: readFileSync(join(certs, 'rex.mcollective.key'), 'utf8') }
      : { mode: 'insecure' };
  runChoriaPingBench({ nodes, security })
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = 1;
    });
}

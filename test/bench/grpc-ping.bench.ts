/**
 * Issue 4's benchmark: a directed `rpcutil ping` to N fleet nodes end to end through gRPC — the
 * ui-extension's proxy client -> a real proxy-plugin (Choria transport) -> real NATS -> the test
 * fleet (in a worker thread, so its CPU does not sit on the client's event loop) and back.
 */
import { createProxyClients } from '@server/proxies/proxy-client';
import { silentLogger } from '@server/logger';
import { runProxy } from '@proxy/main';
import { loadConfig } from '@proxy/config';
import { createLogger } from '@proxy/logger';
import { newRequestId } from '@proxy/broker/choria/protocol';
import { canRunFleetInWorker, startFleetInWorker } from '@test/fleet/fleet-worker';
import { startChoriaFleet } from '@test/fleet/choria-fleet';
import { median } from './choria-ping.bench';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

export interface GrpcPingBenchResult {
  name: string;
  nodes: number;
  fleetIn: 'worker' | 'thread';
  runsMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  replies: number;
}

export async function runGrpcPingBench(options: { nodes: number; runs?: number; warmupRuns?: number; natsUrl?: string }): Promise<GrpcPingBenchResult> {
  const natsUrl = options.natsUrl ?? 'nats://127.0.0.1:4222';
  const collective = `rexgrpc${newRequestId().slice(0, 8)}`;
  const fleetIn = canRunFleetInWorker() ? 'worker' : 'thread';
  const fleetOptions = { natsUrl, count: options.nodes, collective, identityPrefix: 'gping-', subscription: 'wildcard' as const };
  const fleet = fleetIn === 'worker' ? await startFleetInWorker(fleetOptions) : await startChoriaFleet(fleetOptions);
  const config = loadConfig({
    env: {
      PROXY_PLUGIN_NAME: 'bench-proxy',
      PROXY_PLUGIN_GRPC_PORT: '0',
      PROXY_PLUGIN_TRANSPORT: 'choria',
      PROXY_PLUGIN_NATS_URL: natsUrl,
      PROXY_PLUGIN_COLLECTIVES: collective,
      PROXY_PLUGIN_MAIN_COLLECTIVE: collective,
      PROXY_PLUGIN_SECURITY_MODE: 'insecure',
      PROXY_PLUGIN_AUDIT_FILE: '/dev/null',
      PROXY_PLUGIN_LOG_LEVEL: 'silent',
      PROXY_PLUGIN_GRPC_PLAINTEXT: 'true',
      PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET,
    },
  });
  const proxy = await runProxy(config, createLogger({ level: 'silent' }));
  const clients = createProxyClients({ deadlineMs: 10_000, logger: silentLogger(), plaintextLoopback: true, callerSecret: TEST_PROXY_SECRET });
  const url = `127.0.0.1:${proxy.port}`;
  const runsMs: number[] = [];
  let replies = 0;
  try {
    const total = (options.warmupRuns ?? 2) + (options.runs ?? 5);
    for (let run = 0; run < total; run++) {
      let got = 0;
      const started = performance.now();
      await clients.execute(url, { execution_id: `bench-${run}-${newRequestId()}`, agent: 'rpcutil', action: 'ping', arguments_json: '{}', identities: fleet.identities, timeout_seconds: 10, collective, caller: 'bench' }, (event) => {
        if (event.result && event.result.state === 'HOST_STATE_SUCCEEDED') got++;
      });
      const elapsed = performance.now() - started;
      if (got !== fleet.identities.length) throw new Error(`run ${run}: ${got}/${fleet.identities.length} hosts succeeded`);
      replies = got;
      if (run >= (options.warmupRuns ?? 2)) runsMs.push(Math.round(elapsed));
    }
  } finally {
    clients.close();
    await proxy.stop();
    await fleet.stop();
  }
  return { name: 'rpcutil ping through gRPC', nodes: options.nodes, fleetIn, runsMs, medianMs: median(runsMs), minMs: Math.min(...runsMs), maxMs: Math.max(...runsMs), replies };
}

/**
 * The same action on 30 real mcollectived daemons, two ways, alternating in one run:
 *  - ours: POST a job to the ui-extension API -> gRPC -> the real proxy-plugin with the mcollective
 *    transport -> RabbitMQ -> daemons, until the long poll returns the job final with every host
 *    result stored (MariaDB);
 *  - `mco rpc` run as a whole process (Ruby start, discovery, request, replies, exit), as an
 *    operator runs it: with its default mc discovery, and directed (`-I` for each host, no discovery).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { JobStatus } from '@common/jobs';
import { silentLogger } from '@server/logger';
import { createProxyClients } from '@server/proxies/proxy-client';
import { startMcollectiveFleet } from '@test/fleet/mcollective/mcollective-fleet';
import { startMcollectiveProxy, waitBrokerConnected } from '@test/fleet/mcollective/mcollective-proxy';
import { openTestDataSource, type TestDatabaseKind } from '@test/support/databases';
import { AUTH, seedInventory, startJobApp } from '@test/ui-extension/jobs/support/job-stack';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

export interface McollectiveJobBenchOptions {
  nodes: number;
  runs?: number;
  warmupRuns?: number;
  database?: TestDatabaseKind;
}

export interface McollectiveJobBenchResult {
  name: string;
  nodes: number;
  database: TestDatabaseKind;
  action: string;
  oursMs: number[];
  mcoRpcMs: number[];
  mcoRpcDirectedMs: number[];
  medianOursMs: number;
  medianMcoRpcMs: number;
  medianMcoRpcDirectedMs: number;
  /** ours / mco rpc (default discovery); the target is <= 0.25. */
  ratio: number;
  /** ours / mco rpc with -I for every host (no discovery). */
  ratioDirected: number;
  /** The proxy's part of ours: execution start -> last reply, from its audit log (duration_ms). */
  proxyExecutionMs: number[];
  /** POST round trip (job and its pending host rows stored). */
  postMs: number[];
  /** Server clock: created_at -> finished_at. */
  serverMs: number[];
  fleetStartMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function runMcollectiveJobBench(options: McollectiveJobBenchOptions): Promise<McollectiveJobBenchResult> {
  const database = options.database ?? 'mysql';
  const fleet = await startMcollectiveFleet({ count: options.nodes });
  const auditFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rex-mco-bench-')), 'audit.log');
  const proxy = await startMcollectiveProxy(fleet, { name: 'bench-mco-proxy', auditFile });
  const url = `127.0.0.1:${proxy.port}`;
  const clients = createProxyClients({ deadlineMs: 10_000, logger: silentLogger(), plaintextLoopback: true, callerSecret: TEST_PROXY_SECRET });
  const db = await openTestDataSource(database);
  let proxyStopped = false;
  try {
    await waitBrokerConnected(clients, url);
    const seeded = await seedInventory(db.dataSource, {
      hostgroups: ['mco-bench'],
      proxies: [{ name: 'bench-mco-proxy', url, capabilities: ['remote_execution', 'mcollective'] }],
      hosts: fleet.nodes.map((n) => ({ name: n.identity, hostgroup: 'mco-bench', proxy: 'bench-mco-proxy' })),
    });
    const hostgroupId = seeded.hostgroupIds.get('mco-bench')!;
    const app = await startJobApp({ dataSource: db.dataSource, proxies: clients });
    const ours: number[] = [];
    const mcoRpc: number[] = [];
    const mcoRpcDirected: number[] = [];
    const posts: number[] = [];
    const servers: number[] = [];
    try {
      const total = (options.warmupRuns ?? 1) + (options.runs ?? 5);
      for (let run = 0; run < total; run++) {
        const started = performance.now();
        const res = await fetch(`${app.url}/api/v2/remote_execution/jobs`, {
          method: 'POST',
          headers: { Authorization: AUTH, 'Content-Type': 'application/json' },
          body: JSON.stringify({ job: { namespace: 'rpcutil', action: 'ping', arguments: {}, targeting: { hostgroup_id: hostgroupId }, timeout: 20 } }),
        });
        if (res.status !== 201) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
        let job = (await res.json()) as JobStatus;
        const postMs = performance.now() - started;
        while (!['succeeded', 'failed', 'cancelled'].includes(job.state)) {
          const poll = await fetch(`${app.url}/api/v2/remote_execution/jobs/${job.id}?wait=30&since=${job.version}`, { headers: { Authorization: AUTH } });
          job = (await poll.json()) as JobStatus;
        }
        const oursMs = performance.now() - started;
        if (job.counts.succeeded !== options.nodes) throw new Error(`bench run ${run}: ${JSON.stringify(job.counts)}`);

        const mco = await fleet.mco(['rpc', 'rpcutil', 'ping', '--json', '--np']);
        const mcoReplies = (JSON.parse(mco.stdout) as unknown[]).length;
        const directed = await fleet.mco(['rpc', 'rpcutil', 'ping', ...fleet.identities.flatMap((id) => ['-I', id]), '--json', '--np']);
        const directedReplies = (JSON.parse(directed.stdout) as unknown[]).length;
        if (mcoReplies !== options.nodes || directedReplies !== options.nodes) throw new Error(`bench run ${run}: mco rpc got ${mcoReplies} and ${directedReplies} replies`);
        if (run >= (options.warmupRuns ?? 1)) {
          ours.push(Math.round(oursMs));
          posts.push(Math.round(postMs));
          servers.push(Date.parse(job.finished_at!) - Date.parse(job.created_at));
          mcoRpc.push(mco.elapsedMs);
          mcoRpcDirected.push(directed.elapsedMs);
        }
      }
    } finally {
      await app.close();
    }
    // Stopping the proxy closes its audit log, so every line is on disk.
    await proxy.stop();
    proxyStopped = true;
    // One audit line per execution, warm-up first; duration_ms is the proxy's own start -> summary.
    const audited = fs
      .readFileSync(auditFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { duration_ms: number })
      .map((entry) => entry.duration_ms)
      .slice(options.warmupRuns ?? 1);
    const medianOursMs = median(ours);
    const medianMcoRpcMs = median(mcoRpc);
    const medianMcoRpcDirectedMs = median(mcoRpcDirected);
    return {
      name: `rpcutil ping on ${options.nodes} mcollectived: job POST -> all results stored (${database}) vs mco rpc as a process`,
      nodes: options.nodes,
      database,
      action: 'rpcutil ping',
      oursMs: ours,
      mcoRpcMs: mcoRpc,
      mcoRpcDirectedMs: mcoRpcDirected,
      medianOursMs,
      medianMcoRpcMs,
      medianMcoRpcDirectedMs,
      ratio: Math.round((medianOursMs / medianMcoRpcMs) * 1000) / 1000,
      ratioDirected: Math.round((medianOursMs / medianMcoRpcDirectedMs) * 1000) / 1000,
      proxyExecutionMs: audited,
      postMs: posts,
      serverMs: servers,
      fleetStartMs: fleet.startMs.total,
    };
  } finally {
    clients.close();
    if (!proxyStopped) await proxy.stop();
    await db.close();
    await fleet.stop();
    fs.rmSync(path.dirname(auditFile), { recursive: true, force: true });
  }
}

if (require.main === module) {
  runMcollectiveJobBench({ nodes: Number(process.argv[2] ?? 30) })
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = 1;
    });
}

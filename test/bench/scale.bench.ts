/**
 * Issue 20's scale series: for each size, the product's job (POST -> every host result stored, as
 * job.bench.ts measures it) and the floor script (floor.bench.ts) at the same size, in the same run,
 * alternating, on the same virtual fleet (worker threads of this process), NATS and MariaDB. Unlike
 * job.bench.ts, the ui-extension and each proxy-plugin run in processes of their own (production
 * entry points, Node's default heap), so that their peak RSS is measured apart from the fleet.
 * Stage timestamps come from what the product already records (job and host rows) and the client's
 * long poll; nothing in the product is changed for them.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { JobStatus } from '@common/jobs';
import { newRequestId } from '@proxy/broker/choria/protocol';
import { startFleetInWorker, type WorkerFleet } from '@test/fleet/fleet-worker';
import { openTestDataSource } from '@test/support/databases';
import { AUTH, seedInventory, type SeedHost } from '@test/ui-extension/jobs/support/job-stack';
import { startUiProcess, type UiProcess } from '@test/ui-extension/scheduler/support/multi-instance';
import type { DataSource } from 'typeorm';
import { cpuSnapshot, cpuSpent, startProxyProcess, watchMemory, type MemoryPeak, type ProxyProcess } from './bench-processes';
import { openFloor, type FloorRun } from './floor.bench';

export interface ScaleSize {
  hosts: number;
  proxies: number;
}

/** Milliseconds after the POST was sent (wall clock of this machine; the DB stores milliseconds). */
export interface ProductStages {
  /** POST answered: job, targeting and every pending host row stored. */
  postMs: number;
  /** job.started_at: the dispatcher moved the job to running and calls the proxies. */
  dispatchedMs: number | null;
  /** Earliest host started_at: a proxy published the first request. */
  firstRequestMs: number | null;
  /** Latest host finished_at: a proxy received the last reply. */
  lastReplyMs: number | null;
  /** The long poll first showed no host pending or running: the last result stored. */
  allStoredSeenMs: number | null;
  /** job.finished_at: the job final (counts and state). */
  jobFinishedMs: number | null;
  /** The long poll returned the job final: the benchmark's figure. */
  finalSeenMs: number;
}

export interface ScaleSizeResult {
  hosts: number;
  proxies: number;
  runs: number;
  product: ProductStages[];
  floor: FloorRun[];
  productMedianMs: number;
  floorMedianMs: number;
  ratio: number;
  productUsPerHost: number;
  floorUsPerHost: number;
  /** Medians of the product's stages. */
  productStages: Record<keyof ProductStages, number | null>;
  floorStages: Record<Exclude<keyof FloorRun, 'replies' | 'batches' | 'stored'>, number>;
  /**
   * Median CPU milliseconds per job of every process that took part (ui-extension, each proxy, `bench`:
   * the fleet threads and the client or the floor, `nats`, `mariadb`), for our job and for the floor's.
   */
  cpuMs: { product: Record<string, number>; floor: Record<string, number> };
  /** Peak RSS over the measured product runs (the kernel's VmHWM, reset before each run when allowed). */
  memory: { uiMb: number | null; proxyMb: Array<number | null>; detail: Record<string, MemoryPeak> };
  /** Lifetime peak of this process: the fleet threads, the floor and the orchestration. */
  benchProcessPeakMb: number | null;
  setupMs: { fleet: number; proxies: number; seed: number; ui: number };
  /** 1-minute load average when the size's runs ended (the machine is shared). */
  loadAverage: number;
}

/** A size whose runs did not complete (a process died, a job did not end with every host succeeded). */
export interface ScaleSizeFailure {
  hosts: number;
  proxies: number;
  error: string;
}

export interface ScaleBenchResult {
  sizes: Array<ScaleSizeResult | ScaleSizeFailure>;
  /** Time per host at the largest size / at 10k (null without both). */
  linearity: { from: number; to: number; factor: number; floorFactor: number } | null;
  nodeFlags: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

function medianOrNull(values: Array<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === values.length && known.length > 0 ? median(known) : null;
}

/** Per label, the median over the runs (NaN, e.g. a server not found, stays out: JSON writes it as null). */
function medianPerLabel(runs: Array<Record<string, number>>): Record<string, number> {
  const labels = runs.length > 0 ? Object.keys(runs[0]) : [];
  return Object.fromEntries(labels.map((label) => [label, median(runs.map((r) => r[label]).filter((v) => Number.isFinite(v)))]));
}

/** BENCH_SCALE_SIZES (default 1000,10000,50000,100000), proxies from BENCH_SCALE_PROXIES or 2 up to 10k, 5 up to 50k, 10 above. */
export function scaleSizesFromEnv(env: NodeJS.ProcessEnv = process.env): ScaleSize[] {
  const hosts = (env.BENCH_SCALE_SIZES ?? '1000,10000,50000,100000').split(',').map(Number);
  const proxies = env.BENCH_SCALE_PROXIES?.split(',').map(Number);
  hosts.forEach((h, i) => {
    if (!Number.isInteger(h) || h < 1) throw new Error(`BENCH_SCALE_SIZES: entry ${i + 1} must be a positive whole number`);
  });
  return hosts.map((h, i) => ({ hosts: h, proxies: proxies?.[i] ?? (h <= 10_000 ? 2 : h <= 50_000 ? 5 : 10) }));
}

async function runProductJob(url: string, dataSource: DataSource, hostgroupId: number, hosts: number): Promise<ProductStages> {
  const t0 = Date.now();
  const started = performance.now();
  const res = await fetch(`${url}/api/v2/remote_execution/jobs`, {
    method: 'POST',
    headers: { Authorization: AUTH, 'Content-Type': 'application/json' },
    body: JSON.stringify({ job: { namespace: 'rpcutil', action: 'ping', arguments: {}, targeting: { hostgroup_id: hostgroupId }, timeout: 600 } }),
  });
  const postMs = performance.now() - started;
  if (res.status !== 201) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
  let job = (await res.json()) as JobStatus;
  let allStoredSeenMs: number | null = null;
  while (!['succeeded', 'failed', 'cancelled'].includes(job.state)) {
    const poll = await fetch(`${url}/api/v2/remote_execution/jobs/${job.id}?wait=30&since=${job.version}`, { headers: { Authorization: AUTH } });
    job = (await poll.json()) as JobStatus;
    if (allStoredSeenMs === null && (job.counts.pending ?? 0) + (job.counts.running ?? 0) === 0) allStoredSeenMs = performance.now() - started;
  }
  const finalSeenMs = performance.now() - started;
  if (job.counts.succeeded !== hosts) throw new Error(`job ${job.id}: ${JSON.stringify(job.counts)}`);
  const [span] = (await dataSource.query('SELECT MIN(started_at) AS first_sent, MAX(finished_at) AS last_reply FROM job_invocation_hosts WHERE job_invocation_id = ?', [job.id])) as Array<{ first_sent: Date | null; last_reply: Date | null }>;
  const since = (at: Date | string | null | undefined): number | null => (at ? new Date(at).getTime() - t0 : null);
  return {
    postMs: Math.round(postMs),
    dispatchedMs: since(job.started_at),
    firstRequestMs: since(span.first_sent),
    lastReplyMs: since(span.last_reply),
    allStoredSeenMs: allStoredSeenMs === null ? null : Math.round(allStoredSeenMs),
    jobFinishedMs: since(job.finished_at),
    finalSeenMs: Math.round(finalSeenMs),
  };
}

function runsFor(hosts: number, env: NodeJS.ProcessEnv): { runs: number; warmup: number } {
  return { runs: Number(env.BENCH_SCALE_RUNS ?? (hosts >= 50_000 ? 2 : 3)), warmup: Number(env.BENCH_SCALE_WARMUP ?? 1) };
}

function procPeakMb(): number | null {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
}

export async function runScaleSize(size: ScaleSize, options: { natsUrl?: string; log?: (line: string) => void } = {}): Promise<ScaleSizeResult> {
  const natsUrl = options.natsUrl ?? 'nats://127.0.0.1:4222';
  const log = options.log ?? (() => undefined);
  const { runs, warmup } = runsFor(size.hosts, process.env);
  const collective = `rexscale${newRequestId().slice(0, 8)}`;
  const per = Math.ceil(size.hosts / size.proxies);
  const fleets: WorkerFleet[] = [];
  const proxies: ProxyProcess[] = [];
  let ui: UiProcess | undefined;
  const db = await openTestDataSource('mysql');
  const setupMs = { fleet: 0, proxies: 0, seed: 0, ui: 0 };
  try {
    let t = performance.now();
    for (let p = 1; p <= size.proxies; p++) {
      const count = Math.min(per, size.hosts - (p - 1) * per);
      // One subscription per node subject, as every real Choria server has its own: with a
      // `<collective>.node.>` wildcard per worker, each of the P workers would receive and decode every
      // directed request of the job (P x hosts deliveries: 10x at 100k over 10 proxies, 2x at 10k),
      // a cost of the harness that grew with the size and weighed on both the product and the floor.
      fleets.push(await startFleetInWorker({ natsUrl, count, collective, identityPrefix: `scale-p${p}-`, subscription: 'each' }));
    }
    setupMs.fleet = Math.round(performance.now() - t);
    t = performance.now();
    proxies.push(...(await Promise.all(fleets.map((_, i) => startProxyProcess({ name: `scale-proxy-${i + 1}`, natsUrl, collective })))));
    setupMs.proxies = Math.round(performance.now() - t);
    t = performance.now();
    const hosts: SeedHost[] = fleets.flatMap((f, i) => f.identities.map((name) => ({ name, proxy: proxies[i].name, hostgroup: 'scale' })));
    const seeded = await seedInventory(db.dataSource, { hostgroups: ['scale'], proxies: proxies.map((p) => ({ name: p.name, url: p.url, capabilities: ['remote_execution'] })), hosts });
    setupMs.seed = Math.round(performance.now() - t);
    t = performance.now();
    // The product's default refuses jobs above 50,000 hosts (jobs.max_hosts_per_job); the series raises it to the size.
    ui = await startUiProcess({ database: db.database, instanceId: `scale-${size.hosts}`, env: { UI_EXTENSION_JOBS_MAX_HOSTS_PER_JOB: String(Math.max(50_000, size.hosts)) } });
    setupMs.ui = Math.round(performance.now() - t);
    const floor = await openFloor({ natsUrl, collective, shares: fleets.map((f) => f.identities), mysqlUrl: db.database.url! });
    const pids: Record<string, number> = { 'ui-extension': ui.child.pid! };
    proxies.forEach((p) => (pids[p.name] = p.child.pid!));
    const memory = watchMemory(pids);
    const product: ProductStages[] = [];
    const floorRuns: FloorRun[] = [];
    const peaks: Array<Record<string, MemoryPeak>> = [];
    const productCpu: Array<Record<string, number>> = [];
    const floorCpuRuns: Array<Record<string, number>> = [];
    try {
      for (let run = 0; run < warmup + runs; run++) {
        const measured = run >= warmup;
        memory.reset();
        // CPU each process spent on the job (ms at 100 Hz ticks): where the time of a CPU-bound run went.
        const cpuBefore = cpuSnapshot(pids);
        const p = await runProductJob(ui.url, db.dataSource, seeded.hostgroupIds.get('scale')!, size.hosts);
        const cpu = cpuSpent(cpuBefore, cpuSnapshot(pids));
        const peak = memory.peaks();
        const floorBefore = cpuSnapshot({});
        const f = await floor.run(run + 1);
        const floorCpu = cpuSpent(floorBefore, cpuSnapshot({}));
        log(`scale ${size.hosts} run ${run + 1}${measured ? '' : ' (warm-up)'}: product ${p.finalSeenMs} ms, floor ${f.totalMs} ms, ui ${peak['ui-extension'].hwmMb} MB, cpu ms ${JSON.stringify(cpu)} floor cpu ms ${JSON.stringify(floorCpu)}`);
        if (measured) {
          product.push(p);
          floorRuns.push(f);
          peaks.push(peak);
          productCpu.push(cpu);
          floorCpuRuns.push(floorCpu);
        }
      }
    } catch (error) {
      const tail = (lines: string[]): string => lines.slice(-3).join(' | ');
      const exits = [`ui-extension exit ${ui.child.exitCode ?? ui.child.signalCode ?? 'running'}: ${tail(ui.stderr)}`, ...proxies.map((p) => `${p.name} exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'}: ${tail(p.stderr)}`)];
      throw new Error(`${(error as Error).message}; peaks so far ${JSON.stringify(memory.peaks())}; ${exits.join('; ')}`, { cause: error });
    } finally {
      memory.stop();
      await floor.close();
    }
    const productMedianMs = median(product.map((r) => r.finalSeenMs));
    const floorMedianMs = median(floorRuns.map((r) => r.totalMs));
    const peakOf = (label: string): number | null => (peaks.every((p) => p[label].hwmMb !== null) ? Math.max(...peaks.map((p) => p[label].hwmMb!)) : null);
    const stageKeys = Object.keys(product[0]) as Array<keyof ProductStages>;
    return {
      hosts: size.hosts,
      proxies: size.proxies,
      runs,
      product,
      floor: floorRuns,
      productMedianMs,
      floorMedianMs,
      ratio: Math.round((productMedianMs / floorMedianMs) * 100) / 100,
      productUsPerHost: Math.round((productMedianMs * 1000) / size.hosts),
      floorUsPerHost: Math.round((floorMedianMs * 1000) / size.hosts),
      productStages: Object.fromEntries(stageKeys.map((k) => [k, medianOrNull(product.map((r) => r[k]))])) as ScaleSizeResult['productStages'],
      floorStages: {
        totalMs: floorMedianMs,
        pendingStoredMs: median(floorRuns.map((r) => r.pendingStoredMs)),
        firstPublishMs: median(floorRuns.map((r) => r.firstPublishMs)),
        lastPublishMs: median(floorRuns.map((r) => r.lastPublishMs)),
        lastReplyMs: median(floorRuns.map((r) => r.lastReplyMs)),
        lastCommitMs: median(floorRuns.map((r) => r.lastCommitMs)),
      },
      cpuMs: { product: medianPerLabel(productCpu), floor: medianPerLabel(floorCpuRuns) },
      memory: { uiMb: peakOf('ui-extension'), proxyMb: proxies.map((p) => peakOf(p.name)), detail: peaks[peaks.length - 1] },
      benchProcessPeakMb: procPeakMb(),
      setupMs,
      loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
    };
  } finally {
    if (ui) await ui.kill('SIGTERM');
    for (const p of proxies) await p.stop();
    for (const f of fleets) await f.stop();
    await db.close();
  }
}

export async function runScaleBench(sizes: ScaleSize[], log?: (line: string) => void): Promise<ScaleBenchResult> {
  const results: Array<ScaleSizeResult | ScaleSizeFailure> = [];
  for (const size of sizes) {
    try {
      results.push(await runScaleSize(size, { log }));
    } catch (error) {
      // One size that cannot finish (e.g. a process out of memory) is a result too; the series goes on.
      log?.(`scale ${size.hosts} failed: ${(error as Error).message}`);
      results.push({ hosts: size.hosts, proxies: size.proxies, error: (error as Error).message });
    }
  }
  const done = results.filter((r): r is ScaleSizeResult => !('error' in r));
  const at10k = done.find((r) => r.hosts === 10_000);
  const largest = done.reduce<ScaleSizeResult | undefined>((a, b) => (!a || b.hosts > a.hosts ? b : a), undefined);
  const linearity = at10k && largest && largest.hosts > at10k.hosts ? { from: at10k.hosts, to: largest.hosts, factor: Math.round((largest.productUsPerHost / at10k.productUsPerHost) * 100) / 100, floorFactor: Math.round((largest.floorUsPerHost / at10k.floorUsPerHost) * 100) / 100 } : null;
  return { sizes: results, linearity, nodeFlags: process.execArgv.join(' ') || '(none)' };
}

if (require.main === module) {
  runScaleBench(scaleSizesFromEnv(), (line) => process.stderr.write(`${line}\n`))
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = 1;
    });
}

/**
 * Real ui-extension PROCESSES on one database, for the exactly-once tests and the benchmark: each is
 * `node` running the server entry point (ui-extension/src/server/main.ts through the swc register,
 * or dist/.../main.js when compiled) on an ephemeral port, configured only by its environment.
 * Jobs run on a real proxy-plugin gRPC server with the demo transport, started in this process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { DataSource } from 'typeorm';
import { loadConfig as loadProxyConfig } from '@proxy/config';
import { createLogger as createProxyLogger } from '@proxy/logger';
import { runProxy, type RunningProxy } from '@proxy/main';
import type { Config } from '@server/config';
import { loadConfig } from '@server/config';
import { validateJobArguments } from '@server/jobs/ddl-arguments';
import { silentLogger } from '@server/logger';
import { createProxyClients, type ProxyClients } from '@server/proxies/proxy-client';
import { buildServices, type Services } from '@server/services';
import { uiProcessEnv } from '@test/support/ui-process-env';
import { ADMIN_PASSWORD, seedInventory } from '@test/ui-extension/jobs/support/job-stack';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

const ROOT = [path.resolve(__dirname, '../../../..'), path.resolve(__dirname, '../../../../..')].find((dir) => fs.existsSync(path.join(dir, 'package.json')))!;
const COMPILED = __filename.endsWith('.js');

export interface UiProcess {
  instanceId: string;
  url: string;
  child: ChildProcess;
  /** Lines the process wrote to stderr (a failed start says why there). */
  stderr: string[];
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<number | string | null>;
  kill(signal: NodeJS.Signals): Promise<number | string | null>;
}

/** Starts `node main` with the given database; resolves once it logged that it listens. */
export function startUiProcess(options: { database: Config['database']; instanceId: string; env?: Record<string, string> }): Promise<UiProcess> {
  // BENCH_CPU_PROF_DIR (benchmarks only): write a V8 CPU profile of the process there when it exits.
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  // BENCH_UI_NODE_ARGS (benchmarks only): more Node flags, e.g. "--heapsnapshot-signal=SIGUSR2 --trace-gc".
  profile.push(...(process.env.BENCH_UI_NODE_ARGS ?? '').split(' ').filter(Boolean));
  const args = COMPILED
    // Compiled: the build this file is part of (<build>/test/ui-extension/scheduler/support), so a scratch build of an A/B runs its own main.js, not dist's.
    ? [...profile, path.join(path.resolve(__dirname, '../../../..'), 'ui-extension', 'src', 'server', 'main.js')]
    : ['-r', path.join(ROOT, 'test', 'support', 'ts-register.cjs'), path.join(ROOT, 'ui-extension', 'src', 'server', 'main.ts')];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...uiProcessEnv(options) },
  });
  const stderr: string[] = [];
  readline.createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ui-extension ${options.instanceId} did not start within 60 s: ${stderr.join('\n')}`)), 60_000);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`ui-extension ${options.instanceId} exited (${how}) before listening: ${stderr.join('\n')}`));
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('ui-extension listening')) return;
      const { url } = JSON.parse(line) as { url: string };
      clearTimeout(timer);
      resolve({
        instanceId: options.instanceId,
        url,
        child,
        stderr,
        exited,
        kill(signal) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}

export interface DemoProxy {
  url: string;
  identities: string[];
  proxy: RunningProxy;
  clients: ProxyClients;
  stop(): Promise<void>;
}

/** A proxy-plugin gRPC server (runProxy, as main.ts wires it) with `nodes` demo nodes, on an ephemeral port. */
export async function startDemoProxy(nodes: number, name = 'sched-demo', prefix = 'sched-'): Promise<DemoProxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-proxy-'));
  const config = loadProxyConfig({
    env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_HOST: '127.0.0.1', PROXY_PLUGIN_GRPC_PORT: '0', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET, PROXY_PLUGIN_NAME: name, PROXY_PLUGIN_DEMO_NODE_COUNT: String(nodes), PROXY_PLUGIN_DEMO_NAME_PREFIX: prefix, PROXY_PLUGIN_AUDIT_FILE: path.join(dir, 'audit.log'), PROXY_PLUGIN_LOG_LEVEL: 'warn' },
  });
  const proxy = await runProxy(config, createProxyLogger({ level: 'warn', destination: { write: () => undefined } }));
  const url = `127.0.0.1:${proxy.port}`;
  const clients = createProxyClients({ deadlineMs: 10_000, logger: silentLogger(), plaintextLoopback: true, callerSecret: TEST_PROXY_SECRET });
  let identities: string[] = [];
  for (let attempt = 0; attempt < 50 && identities.length < nodes; attempt++) {
    identities = (await clients.listNodes(url)).map((n) => n.identity).sort();
    if (identities.length < nodes) await new Promise((r) => setTimeout(r, 100));
  }
  if (identities.length < nodes) throw new Error(`demo proxy lists ${identities.length} of ${nodes} nodes`);
  return {
    url,
    identities,
    proxy,
    clients,
    async stop() {
      clients.close();
      await proxy.stop();
    },
  };
}

export interface Seeded {
  services: Services;
  admin: { id: number; login: string; admin: boolean };
  hostIds: Map<string, number>;
}

/** The inventory (the demo proxy and its nodes) and the admin, written by this process's own services. */
export async function seedForProxy(dataSource: DataSource, proxy: DemoProxy): Promise<Seeded> {
  const ids = await seedInventory(dataSource, {
    hostgroups: ['sched'],
    proxies: [{ name: 'sched-demo', url: proxy.url, capabilities: ['remote_execution'] }],
    hosts: proxy.identities.map((name) => ({ name, hostgroup: 'sched', proxy: 'sched-demo' })),
  });
  const config = loadConfig({ env: {}, overrides: { 'admin.password': ADMIN_PASSWORD, 'admin.password_file': '/dev/null' } });
  const services = buildServices({ config, dataSource, logger: silentLogger(), clock: () => new Date(), proxyClient: proxy.clients, validateArguments: validateJobArguments, instanceId: 'seeder' });
  // Created here, once: two processes starting together would race to create it.
  await services.auth.ensureAdmin({ password: ADMIN_PASSWORD, passwordFile: '/dev/null' });
  const admin = (await services.auth.verifyPassword('admin', ADMIN_PASSWORD))!;
  return { services, admin, hostIds: ids.hostIds };
}

/**
 * `count` one-time schedules, each on one host: half by a search resolved when they fire (dynamic),
 * half by the host resolved now (static). Made through the schedule service, a few at a time, for an
 * hour from now; `dueAt` then moves them all to one instant.
 */
export async function createSchedules(seeded: Seeded, identities: string[], count: number): Promise<number[]> {
  const at = new Date(Date.now() + 3_600_000);
  const ids: number[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const name = identities[i % identities.length];
      const job = await seeded.services.schedules.createFromJobRequest(seeded.admin, {
        namespace: 'rpcutil',
        action: 'ping',
        targeting: i % 2 === 0 ? { search: `name = ${name}` } : { host_ids: [seeded.hostIds.get(name)!] },
        targeting_type: i % 2 === 0 ? 'dynamic_query' : 'static_query',
        description: `due ${i}`,
        // rpcutil ping's own 2 s timeout gives a deadline 12 s after the job starts (rollout-deadline.ts),
        // and that span includes this side's own dispatch: with 1,000 jobs starting at once on a loaded
        // machine, Executes reached the proxy 6-13 s after their job started, and the proxy rightly did not
        // send them (hosts cancelled, "the job's deadline passed before batch 1 left", jobs failed).
        // 30 s (a deadline 60 s after the start) keeps that record out of a test about firing; a demo
        // node replies at once, so it costs nothing when the machine is idle.
        timeout: 30,
        scheduling: { start_at: at.toISOString() },
      });
      ids[i] = job.schedule_id!;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return ids;
}

/**
 * Test setup: moves every one-time schedule (and its pending job) to `at` in two statements, so
 * that however long making them took on a busy machine, they all fall due at the same instant.
 */
export async function dueAt(dataSource: DataSource, at: Date, scheduleIds?: number[]): Promise<void> {
  const when = at.toISOString().replace('T', ' ').replace('Z', '');
  const only = scheduleIds ? ` AND id IN (${scheduleIds.join(',')})` : '';
  await dataSource.query(`UPDATE schedules SET start_at = ?, next_run_at = ? WHERE cron_line IS NULL AND next_run_at IS NOT NULL${only}`, [when, when]);
  await dataSource.query(`UPDATE job_invocations SET scheduled_at = ? WHERE state = 'scheduled' AND schedule_id IS NOT NULL${scheduleIds ? ` AND schedule_id IN (${scheduleIds.join(',')})` : ''}`, [when]);
}

export interface RunRow {
  schedule_id: number;
  state: string;
  job_id: number | null;
  instance_id: string | null;
  occurrence_at: Date;
  recorded_at: Date;
}

const toDate = (v: unknown) => (v instanceof Date ? v : new Date(`${String(v).replace(' ', 'T')}Z`));

export async function runRows(dataSource: DataSource): Promise<RunRow[]> {
  const rows = (await dataSource.query('SELECT schedule_id, state, job_id, instance_id, occurrence_at, recorded_at FROM schedule_runs')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    schedule_id: Number(r.schedule_id),
    state: String(r.state),
    job_id: r.job_id === null ? null : Number(r.job_id),
    instance_id: r.instance_id === null ? null : String(r.instance_id),
    occurrence_at: toDate(r.occurrence_at),
    recorded_at: toDate(r.recorded_at),
  }));
}

export async function countRuns(dataSource: DataSource): Promise<number> {
  return Number(((await dataSource.query('SELECT COUNT(*) AS n FROM schedule_runs')) as Array<{ n: number | string }>)[0].n);
}

/** Polls until `count` runs are recorded (or the time runs out); resolves with the count seen. */
export async function waitForRuns(dataSource: DataSource, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = await countRuns(dataSource);
  while (n < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    n = await countRuns(dataSource);
  }
  return n;
}

/** Polls until no job of a schedule is queued or running any more. */
export async function waitForJobsFinal(dataSource: DataSource, timeoutMs: number): Promise<Array<{ state: string; n: number }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = ((await dataSource.query('SELECT state, COUNT(*) AS n FROM job_invocations WHERE schedule_id IS NOT NULL GROUP BY state')) as Array<{ state: string; n: number | string }>).map((r) => ({ state: r.state, n: Number(r.n) }));
    if (!rows.some((r) => r.state === 'queued' || r.state === 'running') || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface Spread { min: number; median: number; p99: number; max: number }

export interface FiringFigures {
  runs: number;
  fired: number;
  perInstance: Record<string, number>;
  /** Fired: the run's recorded_at (its job queued with its hosts, in the claim transaction) minus the occurrence time. */
  latencyMs: Spread;
  /** Started: the job's started_at (the dispatcher sent it to its proxy) minus the occurrence time; null until every job started. */
  startedMs: Spread | null;
}

function spread(values: number[]): Spread {
  const v = [...values].sort((a, b) => a - b);
  const pick = (q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))];
  return { min: v[0], median: pick(0.5), p99: pick(0.99), max: v[v.length - 1] };
}

/** Figures of the runs given (of one burst); jobs are matched to them by their occurrence time. */
export async function firingFigures(dataSource: DataSource, runs: RunRow[]): Promise<FiringFigures> {
  const perInstance: Record<string, number> = {};
  for (const r of runs) perInstance[r.instance_id ?? '?'] = (perInstance[r.instance_id ?? '?'] ?? 0) + 1;
  const times = new Set(runs.map((r) => r.occurrence_at.getTime()));
  const jobs = (await dataSource.query('SELECT id, started_at, scheduled_at FROM job_invocations WHERE schedule_id IS NOT NULL AND started_at IS NOT NULL')) as Array<Record<string, unknown>>;
  const started = jobs.filter((j) => times.has(toDate(j.scheduled_at).getTime())).map((j) => toDate(j.started_at).getTime() - toDate(j.scheduled_at).getTime());
  return {
    runs: runs.length,
    fired: runs.filter((r) => r.state === 'fired').length,
    perInstance,
    latencyMs: spread(runs.map((r) => r.recorded_at.getTime() - r.occurrence_at.getTime())),
    startedMs: started.length === runs.length ? spread(started) : null,
  };
}

/**
 * Real processes for the fault suite: proxy-plugins (proxy-plugin/src/main.ts), ui-extensions
 * (ui-extension/src/server/main.ts), the Choria test fleet (test/fleet/run-fleet.ts), a private
 * nats-server and a private mariadbd. TypeScript entry points run through test/support/ts-register.cjs.
 * Every process started here is remembered, so `killAll` (in afterAll) ends whatever a failing test
 * left behind; nothing here touches the system-wide services.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@server/config';
import { silentLogger } from '@server/logger';
import { createProxyClients } from '@server/proxies/proxy-client';
import { buildServices } from '@server/services';
import type { Config } from '@server/config';
import { uiProcessEnv } from '@test/support/ui-process-env';
import { ADMIN_PASSWORD } from '@test/ui-extension/jobs/support/job-stack';
import { TEST_PROXY_SECRET, testProxyEnv } from '@test/support/proxy-secret';
import { portForLaterListen } from '@test/support/ports';

export { ADMIN_PASSWORD };

const ROOT = path.resolve(__dirname, '../../..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.cjs');
const DDL_DIRECTORY = path.join(ROOT, 'proxy-plugin', 'ddl');
/** Lines kept per process for a failure message; the rest is dropped so a long test stays small. */
const KEPT_LINES = 400;

export interface Proc {
  name: string;
  child: ChildProcess;
  /** The last stdout and stderr lines, for diagnostics. */
  lines: string[];
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<number | string | null>;
  /** Sends the signal (if still running) and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<number | string | null>;
  /** Resolves with the first line (from now on, or already seen) that `match` accepts. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
}

const started = new Set<Proc>();

/** Starts `command` and keeps its output; the returned handle is registered for `killAll`. */
export function startProcess(name: string, command: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', ...env } });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > KEPT_LINES) lines.shift();
    for (const l of listeners) l(line);
  };
  readline.createInterface({ input: child.stdout! }).on('line', onLine);
  readline.createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const proc: Proc = {
    name,
    child,
    lines,
    exited,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    waitForLine(match, timeoutMs) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const done = (error?: Error, line?: string) => {
          clearTimeout(timer);
          listeners.delete(listener);
          if (error) reject(error);
          else resolve(line!);
        };
        const listener = (line: string) => {
          if (match(line)) done(undefined, line);
        };
        const timer = setTimeout(() => done(new Error(`${name}: no expected line within ${timeoutMs} ms:\n${lines.slice(-40).join('\n')}`)), timeoutMs);
        listeners.add(listener);
        void exited.then((how) => done(new Error(`${name} exited (${how}):\n${lines.slice(-40).join('\n')}`)));
      });
    },
  };
  started.add(proc);
  void exited.then(() => started.delete(proc));
  return proc;
}

/** SIGKILLs every process this file started that is still running (afterAll, also after a failure). */
export async function killAll(): Promise<void> {
  await Promise.all([...started].map((p) => p.kill('SIGKILL')));
}

const hasMsg = (msg: string) => (line: string) => line.includes(`"msg":"${msg}"`);

/** A proxy-plugin process on the Choria transport, plain text on loopback, on a fixed port. */
export async function startProxyProcess(options: { name: string; natsUrl: string; port: number; collective: string; env?: Record<string, string> }): Promise<Proc> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-fault-proxy-'));
  const proc = startProcess(`proxy ${options.name}`, process.execPath, ['-r', REGISTER, path.join(ROOT, 'proxy-plugin', 'src', 'main.ts')], {
    ...testProxyEnv({ name: options.name, natsUrl: options.natsUrl, collective: options.collective, port: options.port, ddlDirectory: DDL_DIRECTORY, auditFile: path.join(dir, 'audit.log'), logLevel: 'info' }),
    ...options.env,
  });
  await proc.waitForLine(hasMsg('broker connected'), 60_000);
  return proc;
}

/** The Choria test fleet as its own process: `count` virtual nodes named `<prefix>00001`... */
export async function startFleetProcess(options: { natsUrl: string; count: number; prefix: string; collective: string; latencyMs: number }): Promise<Proc> {
  const proc = startProcess('fleet', process.execPath, ['-r', REGISTER, path.join(ROOT, 'test', 'fleet', 'run-fleet.ts'),
    '--nats-url', options.natsUrl, '--count', String(options.count), '--identity-prefix', options.prefix,
    '--collective', options.collective, '--latency-ms', String(options.latencyMs)], {});
  await proc.waitForLine(hasMsg('fleet ready'), 60_000);
  return proc;
}

export const fleetIdentities = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(5, '0')}`);

export interface UiProc extends Proc {
  url: string;
  instanceId: string;
}

/** A ui-extension process on the given database, on an ephemeral port; resolves once it listens. */
export async function startUiProcess(options: { database: Config['database']; instanceId: string; env?: Record<string, string> }): Promise<UiProc> {
  const proc = startProcess(`ui ${options.instanceId}`, process.execPath, ['-r', REGISTER, path.join(ROOT, 'ui-extension', 'src', 'server', 'main.ts')], uiProcessEnv(options));
  const line = await proc.waitForLine(hasMsg('ui-extension listening'), 90_000);
  const { url } = JSON.parse(line) as { url: string };
  return Object.assign(proc, { url, instanceId: options.instanceId });
}

/** Creates the admin once, before any ui-extension process starts (two starting together would race). */
export async function seedAdmin(dataSource: DataSource): Promise<void> {
  const config = loadConfig({ env: {}, overrides: { 'admin.password': ADMIN_PASSWORD, 'admin.password_file': '/dev/null' } });
  const proxyClient = createProxyClients({ deadlineMs: 10_000, logger: silentLogger(), plaintextLoopback: true, callerSecret: TEST_PROXY_SECRET });
  try {
    const services = buildServices({ config, dataSource, logger: silentLogger(), clock: () => new Date(), proxyClient, instanceId: 'fault-seeder' });
    await services.auth.ensureAdmin({ password: ADMIN_PASSWORD, passwordFile: '/dev/null' });
  } finally {
    proxyClient.close();
  }
}

export const AUTH_HEADER = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

/** One HTTP call as admin; resolves status and parsed body (or the raw text when it is not JSON). */
export async function api(base: string, method: string, pathAndQuery: string, body?: unknown, options: { auth?: string; timeoutMs?: number } = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${pathAndQuery}`, {
    method,
    headers: { authorization: options.auth ?? AUTH_HEADER, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, body: text };
  }
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A private nats-server on a fixed port (so it can be restarted on the same one) with its own store dir. */
export async function startPrivateNats(port: number, storeDir: string): Promise<Proc> {
  const proc = startProcess(`nats ${port}`, '/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {});
  await proc.waitForLine((line) => line.includes('Server is ready'), 20_000);
  return proc;
}

export interface PrivateMariaDb {
  port: number;
  /** `mysql://root@127.0.0.1:<port>/mysql`, for openTestDataSource (which makes its own database). */
  url: string;
  /** (Re)starts mariadbd on the same data dir and port; resolves once it accepts connections. */
  start(): Promise<Proc>;
  /** Stops the running mariadbd (SIGTERM, a normal shutdown) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops it and removes the data dir. */
  destroy(): Promise<void>;
}

/**
 * A private MariaDB server: mariadb-install-db into a temp data dir, then mariadbd on its own port
 * and socket (never the system one). Grants are skipped: it listens on loopback only and lives for one
 * test file. `characterSet: 'latin1'` starts it as a server whose default character set is latin1
 * (what an older or differently packaged MariaDB gives every database created without one).
 */
export function createPrivateMariaDb(port: number, options: { characterSet?: 'latin1' } = {}): PrivateMariaDb {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-fault-mariadb-'));
  const datadir = path.join(dir, 'data');
  const install = spawnSync('/usr/bin/mariadb-install-db', ['--no-defaults', `--datadir=${datadir}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { encoding: 'utf8', timeout: 120_000 });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed (${install.status}): ${install.stderr}${install.stdout}`);
  let current: Proc | undefined;
  const db: PrivateMariaDb = {
    port,
    url: `mysql://root@127.0.0.1:${port}/mysql`,
    async start() {
      current = startProcess(`mariadbd ${port}`, '/usr/sbin/mariadbd', [
        '--no-defaults', `--datadir=${datadir}`, '--user=root', `--port=${port}`, '--bind-address=127.0.0.1',
        `--socket=${path.join(dir, 'mysqld.sock')}`, `--pid-file=${path.join(dir, 'mysqld.pid')}`, '--skip-grant-tables',
        '--innodb-buffer-pool-size=64M', '--innodb-log-file-size=48M', '--skip-log-bin', '--max-connections=200',
        ...(options.characterSet === 'latin1' ? ['--character-set-server=latin1', '--collation-server=latin1_swedish_ci'] : []),
      ], {});
      await current.waitForLine((line) => line.includes('ready for connections'), 60_000);
      return current;
    },
    async stop() {
      await current?.kill('SIGTERM');
      current = undefined;
    },
    async destroy() {
      await current?.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return db;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Host rows of a job by state. */
export async function hostStates(dataSource: DataSource, jobId: number): Promise<Record<string, number>> {
  const rows = (await dataSource.query('SELECT state, COUNT(*) AS n FROM job_invocation_hosts WHERE job_invocation_id = ? GROUP BY state', [jobId])) as Array<{ state: string; n: number | string }>;
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

export async function jobState(dataSource: DataSource, jobId: number): Promise<string> {
  const [row] = (await dataSource.query('SELECT state FROM job_invocations WHERE id = ?', [jobId])) as Array<{ state: string }>;
  return row.state;
}

/** Polls until the job is final (succeeded, failed, cancelled); resolves the state. */
export async function waitForJobFinal(dataSource: DataSource, jobId: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await jobState(dataSource, jobId);
    if (['succeeded', 'failed', 'cancelled'].includes(state)) return state;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state} after ${timeoutMs} ms: ${JSON.stringify(await hostStates(dataSource, jobId))}`);
    await sleep(200);
  }
}

/** One node of a private NATS cluster on loopback: its client port and its route port. */
export interface NatsClusterNode {
  name: string;
  port: number;
  clusterPort: number;
  url: string;
}

/** Ports for a private NATS cluster of `count` nodes; start each with startNatsClusterNode. */
export async function natsClusterNodes(count: number): Promise<NatsClusterNode[]> {
  const nodes: NatsClusterNode[] = [];
  for (let i = 0; i < count; i++) {
    const port = await portForLaterListen();
    nodes.push({ name: `n${i + 1}`, port, clusterPort: await portForLaterListen(), url: `nats://127.0.0.1:${port}` });
  }
  return nodes;
}

/** Starts one node of the cluster with routes to every other node (those not up yet are retried). */
export async function startNatsClusterNode(node: NatsClusterNode, all: readonly NatsClusterNode[]): Promise<Proc> {
  const routes = all.filter((n) => n !== node).map((n) => `nats://127.0.0.1:${n.clusterPort}`).join(',');
  const proc = startProcess(`nats ${node.name}`, '/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(node.port), '-n', node.name, '--cluster_name', 'rexfaults',
    '--cluster', `nats://127.0.0.1:${node.clusterPort}`, '--routes', routes], {});
  await proc.waitForLine((line) => line.includes('Server is ready'), 20_000);
  return proc;
}

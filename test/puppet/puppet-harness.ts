/**
 * A real Puppet Server (and PuppetDB with a private PostgreSQL) on loopback for the Puppet Tasks
 * suites, from Debian's packages. The scripts beside this file install the packages when missing
 * (root needed), keep all state in a temp directory, bind only 127.0.0.1 on free ports, and stop
 * exactly what they started. Starting takes 15-50 s per service on this machine, so one suite file
 * (puppet.int.test.ts) starts both once and runs every Puppet test against them.
 *
 * REX_TEST_PUPPET_DIR names a state directory to reuse while developing: a server already running
 * from it is used and left running; otherwise it is started there and stopped at the end.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { portForLaterListen } from '@test/support/ports';

const HERE = __dirname;
export const TEST_MODULES_DIR = path.join(HERE, 'modules');
const START_TIMEOUT_MS = 300_000;

export interface PuppetServerHandle {
  url: string;
  dir: string;
  caFile: string;
  /** Where the server reads the production environment's modules. */
  modulesDir: string;
  /** Jetty's access log: one line per request, for tests to count downloads. */
  accessLog: string;
  /** A client certificate of the server's CA (made on first use; the server must be running). */
  cert(name: string): Promise<{ certFile: string; keyFile: string }>;
  stop(): Promise<void>;
}

export interface PuppetDbHandle {
  /** Plain HTTP on loopback (no authentication): what tests use to submit commands. */
  httpUrl: string;
  /** HTTPS with client certificates of the Puppet CA: what the ui-extension uses. */
  httpsUrl: string;
  dir: string;
  stop(): Promise<void>;
}

/** A port nothing listens on now and no outgoing connection will take while the JVM starts. */
export const freePort = portForLaterListen;

function run(script: string, args: string[], env: Record<string, string>): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(HERE, script), ...args], { env: { ...process.env, ...env }, timeout: START_TIMEOUT_MS, maxBuffer: 10 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${script} failed (${error.message.split('\n')[0]}):\n${stderr.split('\n').slice(-30).join('\n')}`));
        return;
      }
      const vars: Record<string, string> = {};
      for (const line of stdout.split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0 && /^[A-Z_]+$/.test(line.slice(0, eq))) vars[line.slice(0, eq)] = line.slice(eq + 1);
      }
      resolve(vars);
    });
  });
}

/** A start that fails half-way (PostgreSQL up, PuppetDB not) must not leave what it started behind. */
async function runOrCleanUp(script: string, args: string[], env: Record<string, string>, stop: string[] | undefined): Promise<Record<string, string>> {
  try {
    return await run(script, args, env);
  } catch (error) {
    if (stop) {
      try {
        execFileSync('bash', [path.join(HERE, stop[0]), ...stop.slice(1)], { stdio: 'ignore' });
      } catch {
        // The start error below says what went wrong; a failing clean-up must not hide it.
      }
    }
    throw error;
  }
}

function running(pidFile: string, dir: string): boolean {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.join(dir, 'conf.d'));
  } catch {
    return false;
  }
}

/** Stops what was started even when jest exits without running afterAll (a crash, a timeout). */
function stopOnExit(stop: () => void): () => void {
  const handler = (): void => stop();
  process.once('exit', handler);
  return () => process.off('exit', handler);
}

export async function startPuppetServer(options: { certnames?: string[] } = {}): Promise<PuppetServerHandle> {
  const reuse = process.env.REX_TEST_PUPPET_DIR;
  const dir = reuse ? path.resolve(reuse) : fs.mkdtempSync(path.join(os.tmpdir(), 'rex-puppetserver-'));
  fs.mkdirSync(dir, { recursive: true });
  const alreadyRunning = running(path.join(dir, 'run', 'puppetserver.pid'), dir);
  // A running server keeps its port; the script then only makes the missing certificates.
  const portFile = path.join(dir, 'rex-test-port');
  const port = alreadyRunning && fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8').trim() : String(await freePort());
  const env = { PS_PORT: port, PS_MODULES: fs.readdirSync(TEST_MODULES_DIR).map((m) => path.join(TEST_MODULES_DIR, m)).join(' ') };
  const certnames = options.certnames ?? [];
  const vars = await runOrCleanUp('start-puppetserver.sh', [dir, ...(certnames.length ? certnames : ['rex-proxy.example.com'])], env, alreadyRunning ? undefined : ['stop-puppetserver.sh', dir, ...(reuse ? [] : ['--clean'])]);
  fs.writeFileSync(portFile, port);
  const ownsServer = !alreadyRunning;
  const stopScript = (): void => {
    if (ownsServer) execFileSync('bash', [path.join(HERE, 'stop-puppetserver.sh'), dir, ...(reuse ? [] : ['--clean'])], { stdio: 'ignore' });
  };
  const forget = stopOnExit(stopScript);
  const ssl = path.join(dir, 'puppet', 'ssl');
  return {
    url: vars.PUPPETSERVER_URL,
    dir,
    caFile: vars.PUPPETSERVER_CA_CERT,
    modulesDir: vars.PUPPETSERVER_MODULES,
    accessLog: path.join(dir, 'log', 'access.log'),
    async cert(name) {
      const certFile = path.join(ssl, 'certs', `${name}.pem`);
      const keyFile = path.join(ssl, 'private_keys', `${name}.pem`);
      if (!fs.existsSync(certFile)) await run('start-puppetserver.sh', [dir, name], env);
      return { certFile, keyFile };
    },
    async stop() {
      forget();
      stopScript();
    },
  };
}

export async function startPuppetDb(server: PuppetServerHandle): Promise<PuppetDbHandle> {
  const reuse = process.env.REX_TEST_PUPPET_DIR;
  const dir = reuse ? path.resolve(reuse, 'puppetdb') : fs.mkdtempSync(path.join(os.tmpdir(), 'rex-puppetdb-'));
  fs.mkdirSync(dir, { recursive: true });
  // PostgreSQL runs as user postgres, which must be able to traverse to its data directory.
  if (reuse) fs.chmodSync(path.dirname(dir), fs.statSync(path.dirname(dir)).mode | 0o001);
  const alreadyRunning = running(path.join(dir, 'run', 'puppetdb.pid'), dir);
  const portsFile = path.join(dir, 'rex-test-ports');
  const [httpPort, sslPort, pgPort] = alreadyRunning && fs.existsSync(portsFile)
    ? fs.readFileSync(portsFile, 'utf8').trim().split(',')
    : [String(await freePort()), String(await freePort()), String(await freePort())];
  const env = { PDB_PORT: httpPort, PDB_SSL_PORT: sslPort, PDB_PG_PORT: pgPort, PS_PORT: fs.readFileSync(path.join(server.dir, 'rex-test-port'), 'utf8').trim() };
  const vars = await runOrCleanUp('start-puppetdb.sh', [dir, server.dir], env, alreadyRunning ? undefined : ['stop-puppetdb.sh', dir, ...(reuse ? [] : ['--clean'])]);
  fs.writeFileSync(portsFile, [httpPort, sslPort, pgPort].join(','));
  const owns = !alreadyRunning;
  const stopScript = (): void => {
    if (owns) execFileSync('bash', [path.join(HERE, 'stop-puppetdb.sh'), dir, ...(reuse ? [] : ['--clean'])], { stdio: 'ignore' });
  };
  const forget = stopOnExit(stopScript);
  return {
    httpUrl: vars.PUPPETDB_URL,
    httpsUrl: vars.PUPPETDB_SSL_URL,
    dir,
    async stop() {
      forget();
      stopScript();
    },
  };
}

/** Submits a node's facts through PuppetDB's command API and waits until they are stored. */
export async function submitFacts(puppetdb: PuppetDbHandle, certname: string, values: Record<string, unknown>, producer = 'puppet'): Promise<void> {
  const timestamp = new Date().toISOString();
  const url = new URL('/pdb/cmd/v1', puppetdb.httpUrl);
  url.searchParams.set('command', 'replace_facts');
  url.searchParams.set('version', '5');
  url.searchParams.set('certname', certname);
  url.searchParams.set('producer-timestamp', timestamp);
  url.searchParams.set('secondsToWaitForCompletion', '30');
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ certname, environment: 'production', producer_timestamp: timestamp, producer, values }),
  });
  const body = (await response.json()) as { processed?: boolean };
  if (response.status !== 200 || body.processed !== true) throw new Error(`PuppetDB did not process the facts of ${certname}: HTTP ${response.status} ${JSON.stringify(body)}`);
}

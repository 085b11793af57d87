/**
 * A real MCollective 2.x fleet on loopback for integration tests and benchmarks: one private
 * broker and N mcollectived daemons with distinct identities, facts and classes, the psk security
 * plugin, running rpcutil, the rexcheck test agent and a simulated puppet agent (plugins/mcollective/agent). The broker is a
 * RabbitMQ node with the STOMP plugin (its own epmd, distribution and STOMP ports, all picked free
 * at start; the daemons use the rabbitmq connector) or an ActiveMQ broker with a STOMP connector
 * (the activemq connector). Everything lives under one temporary folder; `stop()` signals only
 * the processes this harness spawned, by the pids it holds.
 *
 * Debian's packages are used as they are (mcollective 2.12 on Ruby 3.1, rabbitmq-server 3.10,
 * activemq 5.17), with one workaround: facts come from the rexyaml facts source in plugins/,
 * because the stock yaml source breaks on Psych 4 (see that file).
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makePki, type TestPki } from '@test/support/pki';
import { portForLaterListen } from '@test/support/ports';

export const MCOLLECTIVE_PACKAGES = ['mcollective', 'mcollective-client', 'ruby-stomp', 'rabbitmq-server', 'activemq'] as const;
/** Where Debian's mcollective-common installs rpcutil.ddl and the other core agent DDLs. */
export const DEBIAN_AGENT_DDL_DIRECTORY = '/usr/lib/ruby/vendor_ruby/mcollective/agent';
/**
 * The fleet's libdir: the rexcheck agent (Ruby + DDL) and the rexyaml facts source. From the
 * sources, or from the checkout npm runs in when compiled (tsc copies no .rb or .ddl to dist/).
 */
export const FLEET_PLUGIN_DIRECTORY =
  [path.resolve(__dirname, 'plugins'), path.resolve(process.cwd(), 'test', 'fleet', 'mcollective', 'plugins')].find((dir) => fs.existsSync(dir)) ?? path.resolve(__dirname, 'plugins');
export const FLEET_AGENT_DIRECTORY = path.join(FLEET_PLUGIN_DIRECTORY, 'mcollective', 'agent');

const RABBIT_BIN = '/usr/lib/rabbitmq/bin';
const ACTIVEMQ_HOME = '/usr/share/activemq';
const ROLES = ['web', 'db', 'app', 'cache', 'lb', 'mail'] as const;
const VHOST = '/mcollective';
const MQ_USER = 'mcollective';

function missingPackages(): string[] {
  return MCOLLECTIVE_PACKAGES.filter((name) => {
    const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return result.status !== 0 || !result.stdout.includes('ok installed');
  });
}

/**
 * Installs the Debian packages the fleet needs when any is missing (as root: apt-get update, then
 * install without recommends). A temporary policy-rc.d keeps the packages' scripts from starting
 * the system-wide rabbitmq-server and mcollective services. Throws when they cannot be had.
 */
export function requireMcollectivePackages(): void {
  let missing = missingPackages();
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`the MCollective test fleet needs the Debian packages ${missing.join(' ')}; install them as root (apt-get install --no-install-recommends ${missing.join(' ')})`);
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } finally {
    if (ownPolicy) fs.rmSync(policy, { force: true });
  }
  missing = missingPackages();
  if (missing.length > 0) throw new Error(`installing ${missing.join(' ')} did not succeed`);
}

/** The broker binds its ports seconds later: pick them where no outgoing connection lands meanwhile. */
const freePort = portForLaterListen;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for the pids to exit; SIGKILLs what is left after `timeoutMs`. */
async function waitGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
}

/** Resolves when a STOMP CONNECT with the fleet's credentials is answered CONNECTED. */
function stompAnswers(port: number, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('connect', () => socket.write(`CONNECT\naccept-version:1.0,1.1,1.2\nhost:${VHOST}\nlogin:${MQ_USER}\npasscode:${password}\n\n\0`));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (data.includes('\0')) done(data.startsWith('CONNECTED'));
    });
  });
}

export interface FleetNode {
  identity: string;
  role: string;
  facts: Record<string, string>;
  classes: string[];
}

/** Identities cycle through six roles: web-01.mco.test, db-01.mco.test, ..., web-02.mco.test, ... */
export function fleetNodes(count: number): FleetNode[] {
  return Array.from({ length: count }, (_, index) => {
    const role = ROLES[index % ROLES.length];
    const number = Math.floor(index / ROLES.length) + 1;
    const hostname = `${role}-${String(number).padStart(2, '0')}`;
    const identity = `${hostname}.mco.test`;
    const dc = `dc${((number - 1) % 2) + 1}`;
    return {
      identity,
      role,
      facts: {
        fqdn: identity,
        hostname,
        hostgroup: role,
        osfamily: index % 2 === 0 ? 'Debian' : 'RedHat',
        datacenter: dc,
        puppet_master: `puppet-${dc}.mco.test`,
      },
      classes: [`role::${role}`, 'profile::base'],
    };
  });
}

export type FleetBroker = 'rabbitmq' | 'activemq';

export interface McollectiveFleetOptions {
  count: number;
  /** The broker, and so the daemons' connector; rabbitmq by default. */
  broker?: FleetBroker;
  /**
   * Brokers of that kind, each its own private instance (not clustered); the daemons list them all
   * as their pool (plugin.<connector>.pool.N, tried in order, failing over to the next). Default 1.
   */
  brokers?: number;
  /**
   * STOMP over TLS: each broker also listens with TLS (a certificate of a throwaway CA, for
   * 127.0.0.1), and the daemons and `mco` connect only there, in verified mode (ssl.ca, .cert, .key).
   * The plain listener stays for the harness's own readiness probe.
   */
  tls?: boolean;
  /** Seconds to wait for every daemon to answer `mco ping`; default 60 + count. */
  readyTimeoutS?: number;
  /** Keep the folder (logs, configs) after stop, for debugging. */
  keepDirectory?: boolean;
  /** Seconds a simulated Puppet run of the fleet's puppet agent (plugins/mcollective/agent/puppet.rb) applies; default 2. */
  puppetRunSeconds?: number;
}

export interface McollectiveFleet {
  dir: string;
  /** The broker, which is also the connector name the daemons use. */
  connector: FleetBroker;
  host: string;
  /** STOMP port of the first broker. */
  stompPort: number;
  /** STOMP port of each broker, in pool order. */
  stompPorts: number[];
  /** With options.tls: the TLS port of each broker (the one the daemons use), the CA, and a client certificate (EC). */
  tls?: { ports: number[]; ca: string; cert: string; key: string };
  vhost: string;
  user: string;
  password: string;
  psk: string;
  collective: string;
  nodes: FleetNode[];
  identities: string[];
  /** client.cfg for the real `mco` client, pointing at this fleet. */
  clientConfig: string;
  /** Runs the real `mco` with this fleet's client.cfg; resolves with stdout. */
  mco(args: string[], options?: { timeoutMs?: number }): Promise<{ stdout: string; stderr: string; code: number | null; elapsedMs: number }>;
  /** SIGTERMs one daemon and waits until it has exited. */
  stopNode(identity: string): Promise<void>;
  /** SIGKILLs a broker (RabbitMQ's Erlang VM and its wrapper, or ActiveMQ's JVM), as a crash would; the first by default. */
  killBroker(index?: number): Promise<void>;
  /** Starts a broker again on the same port and data, and waits until it answers STOMP; the first by default. */
  startBroker(index?: number): Promise<void>;
  /** Ms the start took: broker, daemons, first full ping. */
  startMs: { broker: number; daemons: number; total: number };
  stop(): Promise<void>;
}

interface DaemonTls {
  ca: string;
  /** RSA: the stomp gem reads its client key as RSA only (connection/netio.rb). */
  cert: string;
  key: string;
}

function commonConfig(connector: FleetBroker, ports: readonly number[], password: string, psk: string, tls?: DaemonTls): string {
  return [
    'main_collective = mcollective',
    'collectives = mcollective',
    `libdir = ${FLEET_PLUGIN_DIRECTORY}`,
    'securityprovider = psk',
    `plugin.psk = ${psk}`,
    `connector = ${connector}`,
    ...(connector === 'rabbitmq' ? [`plugin.rabbitmq.vhost = ${VHOST}`] : []),
    `plugin.${connector}.pool.size = ${ports.length}`,
    ...ports.flatMap((port, i) => [
      `plugin.${connector}.pool.${i + 1}.host = 127.0.0.1`,
      `plugin.${connector}.pool.${i + 1}.port = ${port}`,
      `plugin.${connector}.pool.${i + 1}.user = ${MQ_USER}`,
      `plugin.${connector}.pool.${i + 1}.password = ${password}`,
      ...(tls
        ? [
            `plugin.${connector}.pool.${i + 1}.ssl = 1`,
            `plugin.${connector}.pool.${i + 1}.ssl.ca = ${tls.ca}`,
            `plugin.${connector}.pool.${i + 1}.ssl.cert = ${tls.cert}`,
            `plugin.${connector}.pool.${i + 1}.ssl.key = ${tls.key}`,
            `plugin.${connector}.pool.${i + 1}.ssl.fallback = 0`,
          ]
        : []),
    ]),
    // Fail fast instead of retrying a broker that is gone for good (the harness stopped it).
    `plugin.${connector}.initial_reconnect_delay = 0.1`,
    '',
  ].join('\n');
}

/** A broker process tree this harness started, and how to stop exactly that. */
interface StartedBroker {
  exited(): number | null;
  stop(): Promise<void>;
  /** SIGKILLs the broker itself (not the private epmd) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts the broker again with the same configuration and data. */
  restart(): void;
  /** Pids to SIGKILL if the test process exits without stop(). */
  pids(): number[];
}

/** A broker's TLS listener: its port and server certificate. */
interface BrokerTls {
  port: number;
  ca: string;
  cert: string;
  key: string;
}

async function startRabbitmq(dir: string, stompPort: number, password: string, tls?: BrokerTls): Promise<StartedBroker> {
  const [epmdPort, distPort] = [await freePort(), await freePort()];
  const rabbitDir = path.join(dir, 'rabbitmq');
  fs.mkdirSync(path.join(rabbitDir, 'mnesia'), { recursive: true });
  fs.mkdirSync(path.join(rabbitDir, 'log'), { recursive: true });
  const rabbitPidFile = path.join(rabbitDir, 'rabbit.pid');
  fs.writeFileSync(
    path.join(rabbitDir, 'rabbitmq.conf'),
    [
      '# STOMP on loopback only; no AMQP listener (the system broker owns 5672)',
      'listeners.tcp = none',
      `stomp.listeners.tcp.1 = 127.0.0.1:${stompPort}`,
      ...(tls
        ? [
            `stomp.listeners.ssl.1 = 127.0.0.1:${tls.port}`,
            `ssl_options.cacertfile = ${tls.ca}`,
            `ssl_options.certfile = ${tls.cert}`,
            `ssl_options.keyfile = ${tls.key}`,
            'ssl_options.verify = verify_peer',
            'ssl_options.fail_if_no_peer_cert = false',
          ]
        : []),
      `load_definitions = ${path.join(rabbitDir, 'definitions.json')}`,
      'log.console = false',
      'log.file.level = warning',
      '',
    ].join('\n'),
  );
  // What the rabbitmq connector expects: a vhost, a user, the broadcast (topic) and directed
  // (direct) exchanges of the collective.
  const exchange = (name: string, type: string) => ({ name, vhost: VHOST, type, durable: true, auto_delete: false, internal: false, arguments: {} });
  fs.writeFileSync(
    path.join(rabbitDir, 'definitions.json'),
    JSON.stringify({
      users: [{ name: MQ_USER, password, tags: '' }],
      vhosts: [{ name: VHOST }],
      permissions: [{ user: MQ_USER, vhost: VHOST, configure: '.*', write: '.*', read: '.*' }],
      exchanges: [exchange('mcollective_broadcast', 'topic'), exchange('mcollective_directed', 'direct')],
    }),
  );
  // Written directly: `rabbitmq-plugins --offline enable` would boot an Erlang VM just for this.
  fs.writeFileSync(path.join(rabbitDir, 'enabled_plugins'), '[rabbitmq_stomp].\n');
  const rabbitEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: rabbitDir,
    RABBITMQ_CONF_ENV_FILE: path.join(rabbitDir, 'no-such-file'),
    RABBITMQ_NODENAME: `rexmco${randomBytes(4).toString('hex')}@localhost`,
    RABBITMQ_CONFIG_FILE: path.join(rabbitDir, 'rabbitmq.conf'),
    RABBITMQ_MNESIA_BASE: path.join(rabbitDir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(rabbitDir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(rabbitDir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: rabbitPidFile,
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  // Our own epmd on a private port, so stopping it never touches anyone else's Erlang nodes.
  const epmd = spawn('epmd', ['-address', '127.0.0.1', '-port', String(epmdPort)], { stdio: 'ignore', detached: true });
  epmd.unref();
  const spawnServer = (): ChildProcess => {
    const rabbitLog = fs.openSync(path.join(rabbitDir, 'log', 'startup.log'), 'a');
    const child = spawn(path.join(RABBIT_BIN, 'rabbitmq-server'), [], { env: rabbitEnv, stdio: ['ignore', rabbitLog, rabbitLog], detached: true });
    fs.closeSync(rabbitLog);
    child.unref();
    return child;
  };
  const beamPid = () => (fs.existsSync(rabbitPidFile) ? Number(fs.readFileSync(rabbitPidFile, 'utf8').trim()) || undefined : undefined);
  let wrapper = spawnServer();
  return {
    exited: () => wrapper.exitCode,
    async kill() {
      const pids = [beamPid(), wrapper.pid].filter((pid): pid is number => alive(pid));
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      await waitGone(pids, 10_000);
      fs.rmSync(rabbitPidFile, { force: true });
    },
    restart() {
      wrapper = spawnServer();
    },
    pids: () => [wrapper.pid, epmd.pid, fs.existsSync(rabbitPidFile) ? Number(fs.readFileSync(rabbitPidFile, 'utf8').trim()) : undefined].filter((pid): pid is number => Boolean(pid)),
    async stop() {
      const beamPid = fs.existsSync(rabbitPidFile) ? Number(fs.readFileSync(rabbitPidFile, 'utf8').trim()) || undefined : undefined;
      // The wrapper script traps TERM and stops the Erlang VM gracefully (rabbitmq-server, "Signal handlers").
      if (wrapper.pid && alive(wrapper.pid)) {
        process.kill(wrapper.pid, 'SIGTERM');
        await waitGone([wrapper.pid], 30_000);
      }
      if (beamPid && alive(beamPid)) {
        process.kill(beamPid, 'SIGTERM');
        await waitGone([beamPid], 15_000);
      }
      if (epmd.pid && alive(epmd.pid)) {
        process.kill(epmd.pid, 'SIGTERM');
        await waitGone([epmd.pid], 5000);
      }
    },
  };
}

async function startActivemq(dir: string, stompPort: number, password: string, tls?: BrokerTls): Promise<StartedBroker> {
  const amqDir = path.join(dir, 'activemq');
  fs.mkdirSync(path.join(amqDir, 'data'), { recursive: true });
  // Java reads PKCS#12 stores: the server key and certificate, and the CA as a trusted entry.
  const storePassword = randomBytes(8).toString('hex');
  if (tls) {
    execFileSync('openssl', ['pkcs12', '-export', '-in', tls.cert, '-inkey', tls.key, '-out', path.join(amqDir, 'broker.p12'), '-passout', `pass:${storePassword}`], { stdio: 'pipe' });
    execFileSync('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', tls.ca, '-keystore', path.join(amqDir, 'trust.p12'), '-storetype', 'pkcs12', '-storepass', storePassword], { stdio: 'pipe' });
  }
  const sslContext = tls
    ? `<sslContext><sslContext keyStore="file:${amqDir}/broker.p12" keyStorePassword="${storePassword}" keyStoreType="pkcs12" trustStore="file:${amqDir}/trust.p12" trustStorePassword="${storePassword}" trustStoreType="pkcs12"/></sslContext>`
    : '';
  // In memory, no JMX and no web console: only the STOMP connector, on loopback, with one user.
  fs.writeFileSync(
    path.join(amqDir, 'activemq.xml'),
    `<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="rexmco" persistent="false" useJmx="false" dataDirectory="${amqDir}/data">
    <plugins>
      <simpleAuthenticationPlugin>
        <users><authenticationUser username="${MQ_USER}" password="${password}" groups="mcollective"/></users>
      </simpleAuthenticationPlugin>
    </plugins>
    ${sslContext}
    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:${stompPort}"/>
      ${tls ? `<transportConnector name="stomp+ssl" uri="stomp+ssl://127.0.0.1:${tls.port}"/>` : ''}
    </transportConnectors>
  </broker>
</beans>
`,
  );
  const spawnJava = (): ChildProcess => {
    const log = fs.openSync(path.join(amqDir, 'activemq.log'), 'a');
    const child = spawn(
      'java',
      [
        '-Xms64M',
        '-Xmx256M',
        `-Dactivemq.home=${ACTIVEMQ_HOME}`,
        `-Dactivemq.base=${amqDir}`,
        `-Dactivemq.conf=${amqDir}`,
        `-Dactivemq.data=${amqDir}/data`,
        '-jar',
        path.join(ACTIVEMQ_HOME, 'bin', 'activemq.jar'),
        'start',
        `xbean:file:${path.join(amqDir, 'activemq.xml')}`,
      ],
      { stdio: ['ignore', log, log], detached: true },
    );
    fs.closeSync(log);
    child.unref();
    return child;
  };
  let java = spawnJava();
  return {
    exited: () => java.exitCode,
    async kill() {
      if (java.pid && alive(java.pid)) {
        process.kill(java.pid, 'SIGKILL');
        await waitGone([java.pid], 10_000);
      }
    },
    restart() {
      java = spawnJava();
    },
    pids: () => (java.pid ? [java.pid] : []),
    async stop() {
      // The JVM's shutdown hook stops the broker on TERM.
      if (java.pid && alive(java.pid)) {
        process.kill(java.pid, 'SIGTERM');
        await waitGone([java.pid], 30_000);
      }
    },
  };
}

/** Starts the broker, then every daemon, and waits until `mco ping` sees all of them. */
export async function startMcollectiveFleet(options: McollectiveFleetOptions): Promise<McollectiveFleet> {
  requireMcollectivePackages();
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-mco-fleet-'));
  const password = randomBytes(12).toString('hex');
  const psk = randomBytes(12).toString('hex');
  const connector: FleetBroker = options.broker ?? 'rabbitmq';
  const stompPorts: number[] = [];
  for (let i = 0; i < (options.brokers ?? 1); i++) stompPorts.push(await freePort());
  const stompPort = stompPorts[0];
  const tlsPorts: number[] = [];
  if (options.tls) for (let i = 0; i < stompPorts.length; i++) tlsPorts.push(await freePort());
  let pki: TestPki | undefined;
  const daemons = new Map<string, ChildProcess>();
  const brokers: StartedBroker[] = [];
  let stopped = false;

  // A test process that exits without stop() (a crash, jest --forceExit after a timeout) must not
  // leave daemons and a broker behind: kill exactly ours, synchronously, as the process ends.
  const killOnExit = (): void => {
    const pids = [...[...daemons.values()].map((d) => d.pid), ...brokers.flatMap((b) => b.pids())].filter((pid): pid is number => alive(pid));
    for (const pid of pids) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    const daemonPids = [...daemons.values()].map((d) => d.pid).filter((pid): pid is number => alive(pid));
    for (const pid of daemonPids) process.kill(pid, 'SIGTERM');
    await waitGone(daemonPids, 15_000);
    await Promise.all(brokers.map((b) => b.stop()));
    if (!options.keepDirectory) fs.rmSync(dir, { recursive: true, force: true });
    pki?.cleanup();
  };

  try {
    // The first broker in `dir` as before; the others each in a folder of their own.
    pki = options.tls ? makePki('rex-mco-pki-') : undefined;
    const server = pki?.issue('broker', { dns: ['localhost'], ip: ['127.0.0.1'], usage: 'server' });
    const daemonTls = pki ? { ca: pki.ca, ...pki.issue('mcollectived', { usage: 'client', keyType: 'rsa' }) } : undefined;
    const proxyCert = pki?.issue('rex-proxy', { usage: 'client' });
    const brokerTls = (i: number): BrokerTls | undefined => (pki && server ? { port: tlsPorts[i], ca: pki.ca, ...server } : undefined);
    const brokerDirs = stompPorts.map((_, i) => (i === 0 ? dir : path.join(dir, `broker${i + 1}`)));
    for (const [i, port] of stompPorts.entries()) {
      fs.mkdirSync(brokerDirs[i], { recursive: true });
      brokers.push(connector === 'rabbitmq' ? await startRabbitmq(brokerDirs[i], port, password, brokerTls(i)) : await startActivemq(brokerDirs[i], port, password, brokerTls(i)));
    }
    const brokerDeadline = Date.now() + 120_000;
    for (const [i, port] of stompPorts.entries()) {
      while (!(await stompAnswers(port, password))) {
        if (brokers[i].exited() !== null) throw new Error(`the ${connector} broker exited with ${brokers[i].exited()}; see ${brokerDirs[i]}/${connector}`);
        if (Date.now() > brokerDeadline) throw new Error(`${connector} did not accept STOMP on 127.0.0.1:${port} within 120 s; see ${brokerDirs[i]}/${connector}`);
        await sleep(250);
      }
    }
    const brokerMs = Date.now() - t0;

    const nodes = fleetNodes(options.count);
    const common = commonConfig(connector, options.tls ? tlsPorts : stompPorts, password, psk, daemonTls);
    for (const node of nodes) {
      const nodeDir = path.join(dir, 'nodes', node.identity);
      fs.mkdirSync(nodeDir, { recursive: true });
      fs.writeFileSync(path.join(nodeDir, 'facts.yaml'), `---\n${Object.entries(node.facts).map(([k, v]) => `${k}: "${v}"`).join('\n')}\n`);
      fs.writeFileSync(path.join(nodeDir, 'classes.txt'), `${node.classes.join('\n')}\n`);
      fs.writeFileSync(
        path.join(nodeDir, 'server.cfg'),
        common +
          [
            `identity = ${node.identity}`,
            `logfile = ${path.join(nodeDir, 'mcollectived.log')}`,
            'loglevel = info',
            'daemonize = 0',
            'factsource = rexyaml',
            `plugin.rexyaml = ${path.join(nodeDir, 'facts.yaml')}`,
            `classesfile = ${path.join(nodeDir, 'classes.txt')}`,
            'registerinterval = 0',
            ...(options.puppetRunSeconds !== undefined ? [`plugin.puppet.run_seconds = ${options.puppetRunSeconds}`] : []),
            '',
          ].join('\n'),
      );
      const daemon = spawn('mcollectived', ['--config', path.join(nodeDir, 'server.cfg'), '--pidfile', path.join(nodeDir, 'mcollectived.pid'), '--no-daemonize'], {
        stdio: 'ignore',
        detached: true,
      });
      daemon.unref();
      daemons.set(node.identity, daemon);
    }
    const daemonsMs = Date.now() - t0;
    const clientConfig = path.join(dir, 'client.cfg');
    fs.writeFileSync(clientConfig, `${common}identity = rex-test-client\nlogger_type = console\nloglevel = warn\n`);

    const mco: McollectiveFleet['mco'] = (args, mcoOptions = {}) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const child = spawn('mco', [...args, '--config', clientConfig], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
        const timer = setTimeout(() => child.kill('SIGKILL'), mcoOptions.timeoutMs ?? 60_000);
        child.once('error', reject);
        child.once('close', (code) => {
          clearTimeout(timer);
          resolve({ stdout, stderr, code, elapsedMs: Date.now() - started });
        });
      });

    const readyDeadline = Date.now() + (options.readyTimeoutS ?? 60 + options.count) * 1000;
    for (;;) {
      const exited = [...daemons].filter(([, d]) => d.exitCode !== null).map(([id]) => id);
      if (exited.length > 0) throw new Error(`mcollectived exited at start for ${exited.join(', ')}; logs under ${dir}/nodes`);
      const ping = await mco(['ping', '-t', '1']);
      const seen = ping.stdout.split('\n').filter((line) => line.includes(' time=')).length;
      if (seen >= options.count) break;
      if (Date.now() > readyDeadline) throw new Error(`only ${seen} of ${options.count} mcollectived answer mco ping; logs under ${dir}/nodes`);
    }

    return {
      dir,
      connector,
      host: '127.0.0.1',
      stompPort,
      stompPorts,
      ...(pki && proxyCert ? { tls: { ports: tlsPorts, ca: pki.ca, cert: proxyCert.cert, key: proxyCert.key } } : {}),
      vhost: VHOST,
      user: MQ_USER,
      password,
      psk,
      collective: 'mcollective',
      nodes,
      identities: nodes.map((n) => n.identity),
      clientConfig,
      mco,
      async stopNode(identity) {
        const daemon = daemons.get(identity);
        if (!daemon?.pid) throw new Error(`no daemon ${identity} in this fleet`);
        if (alive(daemon.pid)) process.kill(daemon.pid, 'SIGTERM');
        await waitGone([daemon.pid], 15_000);
      },
      startMs: { broker: brokerMs, daemons: daemonsMs, total: Date.now() - t0 },
      async killBroker(index = 0) {
        await brokers[index].kill();
      },
      async startBroker(index = 0) {
        brokers[index].restart();
        const deadline = Date.now() + 120_000;
        while (!(await stompAnswers(stompPorts[index], password))) {
          if (Date.now() > deadline) throw new Error(`${connector} did not accept STOMP again within 120 s; see ${dir}/${connector}`);
          await sleep(250);
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

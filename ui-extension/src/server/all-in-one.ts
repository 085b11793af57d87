/**
 * `npm start`: the whole system on embedded defaults. A demo proxy ("Puppet master" with an
 * in-process demo fleet) runs as a child process for each demo smart proxy of the demo inventory —
 * the ui-extension never imports the proxy-plugin (STYLE.md §2) — and the ui-extension migrates an
 * SQLite file under var/, seeds the demo inventory on first start, syncs the demo nodes and serves
 * the API on http://127.0.0.1:3000.
 *
 * The children are supervised: each tells this process over an IPC channel that it listens (so a
 * port held by someone else, such as an orphan of an earlier start, is a failure and not a
 * "running"), and each ends when this process ends, however it ends: a SIGKILL closes the channel
 * and the proxy shuts down on that. The proxies and this process share a throwaway caller secret,
 * made at every start and never written anywhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readInventoryText, validateInventory } from './inventory/inventory-file';
import { demoInventoryFile } from './inventory/inventory.service';
import { createLogger, type Logger } from './logger';
import { exitOnSignal, loadConfigOrExit } from './process-lifecycle';
import { isLoopbackHost, proxyHost } from './proxies/proxy-client';
import { startServer } from './server';
import { builtWebRoot } from './web-root';

const DEMO_NODES_PER_PROXY = 30;
const START_TIMEOUT_MS = 30_000;

interface DemoProxy {
  name: string;
  port: number;
  /** Identity prefix of its demo nodes: node-a, node-b, ... in the order of the inventory. */
  prefix: string;
}

/** What a proxy-plugin started with an IPC channel reports (proxy-plugin main.ts ParentMessage). */
type ProxyMessage = { type: 'listening'; port: number } | { type: 'failed'; message: string };

const INVENTORY_SETTING = 'demo.inventory_file, env UI_EXTENSION_DEMO_INVENTORY_FILE';
const PORTS_SETTING = 'demo.proxy_ports: auto, env UI_EXTENSION_DEMO_PROXY_PORTS=auto';

/** The demo smart proxies of the demo inventory; their URLs say which loopback port each one gets. */
function demoProxies(file: string): DemoProxy[] {
  const doc = validateInventory(readInventoryText(fs.readFileSync(file, 'utf8')), { hostgroups: [], smartProxies: [], organizations: [], locations: [] });
  return doc.smart_proxies.filter((p) => p.demo).map((p, i) => {
    const host = proxyHost(p.url);
    if (!isLoopbackHost(host)) throw new Error(`demo smart proxy ${p.name} in ${file} (${INVENTORY_SETTING}): url ${p.url} must be on 127.0.0.1, where the demo proxies run`);
    return { name: p.name, port: Number(p.url.slice(p.url.lastIndexOf(':') + 1)), prefix: `node-${String.fromCharCode(97 + (i % 26))}` };
  });
}

/** The proxy-plugin entry point beside this file's tree: main.js in the build, main.ts from the sources (tests). */
function proxyMain(): string {
  return path.resolve(__dirname, '..', '..', '..', 'proxy-plugin', 'src', `main${path.extname(__filename)}`);
}

interface DemoChild {
  proxy: DemoProxy;
  child: ChildProcess;
  /** Resolves with the port once the child itself listens; rejects with a message naming the port and the settings. */
  ready: Promise<number>;
}

function startDemoProxy(proxy: DemoProxy, secret: string, logLevel: string, inventoryFile: string): DemoChild {
  // The same node flags as this process, so a start from the TypeScript sources runs the proxy's
  // sources too; but not a debugger's, whose port the child could not have as well.
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--inspect'));
  const child = spawn(process.execPath, [...execArgv, proxyMain()], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      PROXY_PLUGIN_NAME: proxy.name,
      PROXY_PLUGIN_GRPC_HOST: '127.0.0.1',
      // Plain text on loopback only, and only with the secret: other local processes reach the port too.
      PROXY_PLUGIN_GRPC_PLAINTEXT: 'true',
      PROXY_PLUGIN_GRPC_CALLER_SECRET: secret,
      PROXY_PLUGIN_GRPC_PORT: String(proxy.port),
      PROXY_PLUGIN_TRANSPORT: 'demo',
      PROXY_PLUGIN_DEMO_NODE_COUNT: String(DEMO_NODES_PER_PROXY),
      PROXY_PLUGIN_DEMO_NAME_PREFIX: proxy.prefix,
      PROXY_PLUGIN_LOG_LEVEL: logLevel,
    },
  });
  const ready = new Promise<number>((resolve, reject) => {
    let reason: string | undefined;
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`demo proxy ${proxy.name} did not start on 127.0.0.1:${proxy.port}: ${why}. If another process holds the port (a demo proxy left over from an earlier start, or another checkout's: \`ss -ltnp 'sport = :${proxy.port}'\` shows it), stop it, or let the demo proxies take free ports (${PORTS_SETTING}), or give ${proxy.name} another port: its url in ${inventoryFile} (${INVENTORY_SETTING})`));
    };
    const timer = setTimeout(() => fail(`no answer within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.on('message', (message: ProxyMessage) => {
      if (message.type === 'failed') reason = message.message;
      if (message.type === 'listening') {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.once('exit', (code, signal) => fail(reason ?? `it exited (${signal ?? `code ${code}`})`));
    child.once('error', (error) => fail(error.message));
  });
  return { proxy, child, ready };
}

function stopAll(children: DemoChild[]): void {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

/** A demo proxy that dies later leaves its hosts unreachable: say so where the operator looks. */
function watchChildren(children: DemoChild[], logger: Logger, stopping: () => boolean): void {
  for (const { proxy, child } of children) {
    child.once('exit', (code, signal) => {
      if (!stopping()) logger.error({ proxy: proxy.name, port: proxy.port, code, signal }, 'demo proxy exited; its hosts cannot be reached until mco-rex is started again');
    });
  }
}

async function main(): Promise<void> {
  const secret = randomBytes(32).toString('base64url');
  const config = loadConfigOrExit({ overrides: { 'demo.seed': true, 'proxies.plaintext': true, 'proxies.caller_secret': secret } });
  const logger = createLogger({ level: config.log.level });
  const inventoryFile = path.resolve(config.demo.inventory_file || demoInventoryFile());
  // auto: port 0, so the system picks a free one; each proxy reports which, and the demo smart
  // proxies are pointed at them below (a second checkout on one machine starts beside the first).
  const auto = config.demo.proxy_ports === 'auto';
  const children = demoProxies(inventoryFile).map((p) => startDemoProxy(auto ? { ...p, port: 0 } : p, secret, config.log.level, inventoryFile));
  let stopping = false;
  // 'exit' covers process.exit and an uncaught error; a SIGKILL skips it, and then the closed IPC
  // channel ends the children.
  process.once('exit', () => {
    stopping = true;
    stopAll(children);
  });
  const ports = await Promise.all(children.map((c) => c.ready));
  children.forEach((c, i) => {
    c.proxy.port = ports[i];
    logger.info({ proxy: c.proxy.name, port: c.proxy.port, pid: c.child.pid }, 'demo proxy started');
  });
  watchChildren(children, logger, () => stopping);

  let server;
  try {
    server = await startServer({ config, logger, migrate: true, webRoot: builtWebRoot() });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`${(error as Error).message}: another process holds port ${config.http.port}; stop it, or choose another port with http.port (env UI_EXTENSION_PORT; 0 takes a free one)`, { cause: error });
    throw error;
  }
  if (auto) await server.services.inventory.pointDemoProxies(children.map(({ proxy }) => ({ name: proxy.name, url: `127.0.0.1:${proxy.port}` })));
  const synced = await server.services.proxySync.syncAll();
  logger.info({ synced }, 'demo proxies synced');
  const proxyPorts = children.map(({ proxy }) => `${proxy.name} on 127.0.0.1:${proxy.port}`).join(', ');
  process.stdout.write(`\n  mco-rex is running: ${server.url}  (API: ${server.url}/api/v2/status)\n  Demo proxies: ${proxyPorts}\n  Log in as admin (password above on first start, or in ${config.admin.password_file}).\n\n`);

  const running = server;
  exitOnSignal(logger, async () => {
    stopping = true;
    await running.close();
    stopAll(children);
  });
}

main().catch((error: Error) => {
  process.stderr.write(`mco-rex failed to start: ${error.message}\n`);
  process.exit(1);
});

/**
 * `npm start`: the whole system on embedded defaults. Two demo proxies ("Puppet masters" with an
 * in-process demo fleet each) run as child processes — the ui-extension never imports the
 * proxy-plugin (STYLE.md §2) — and the ui-extension migrates an SQLite file under var/, seeds the
 * demo inventory on first start, syncs the demo nodes and serves the API on http://127.0.0.1:3000.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createLogger } from './logger';
import { exitOnSignal, loadConfigOrExit } from './process-lifecycle';
import { startServer } from './server';
import { builtWebRoot } from './web-root';

/** Must match the URLs of the demo smart proxies in ui-extension/demo/inventory.yaml. */
const DEMO_PROXIES = [
  { name: 'puppet-a.demo', port: 50051, prefix: 'node-a' },
  { name: 'puppet-b.demo', port: 50052, prefix: 'node-b' },
];
const DEMO_NODES_PER_PROXY = 30;

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`demo proxy did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}

function startDemoProxy(proxy: (typeof DEMO_PROXIES)[number], logLevel: string): ChildProcess {
  const main = path.resolve(__dirname, '..', '..', '..', 'proxy-plugin', 'src', 'main.js');
  return spawn(process.execPath, [main], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      PROXY_PLUGIN_NAME: proxy.name,
      PROXY_PLUGIN_GRPC_HOST: '127.0.0.1',
      // Plain text on loopback only: the demo proxies and the ui-extension share this machine.
      PROXY_PLUGIN_GRPC_PLAINTEXT: 'true',
      PROXY_PLUGIN_GRPC_PORT: String(proxy.port),
      PROXY_PLUGIN_TRANSPORT: 'demo',
      PROXY_PLUGIN_DEMO_NODE_COUNT: String(DEMO_NODES_PER_PROXY),
      PROXY_PLUGIN_DEMO_NAME_PREFIX: proxy.prefix,
      PROXY_PLUGIN_LOG_LEVEL: logLevel,
    },
  });
}

async function main(): Promise<void> {
  const config = loadConfigOrExit({ overrides: { 'demo.seed': true, 'proxies.plaintext': true } });
  const logger = createLogger({ level: config.log.level });
  const children = DEMO_PROXIES.map((p) => startDemoProxy(p, config.log.level));
  const stopChildren = () => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
  process.once('exit', stopChildren);
  await Promise.all(DEMO_PROXIES.map((p) => waitForPort(p.port, 30_000)));

  const server = await startServer({ config, logger, migrate: true, webRoot: builtWebRoot() });
  const synced = await server.services.proxySync.syncAll();
  logger.info({ synced }, 'demo proxies synced');
  process.stdout.write(`\n  mco-rex is running: ${server.url}  (API: ${server.url}/api/v2/status)\n  Log in as admin (password above on first start, or in ${config.admin.password_file}).\n\n`);

  exitOnSignal(logger, async () => {
    await server.close();
    stopChildren();
  });
}

main().catch((error: Error) => {
  process.stderr.write(`mco-rex failed to start: ${error.message}\n`);
  process.exit(1);
});

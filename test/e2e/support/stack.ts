/**
 * The real system for browser tests: demo proxies (the proxy-plugin's gRPC server over its demo
 * fleet) and the ui-extension with the built web UI, on a scratch database, all on ephemeral
 * loopback ports. Nothing here is faked: the browser talks to the ui-extension over HTTP, the
 * ui-extension to the proxies over gRPC.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig as loadProxyConfig } from '@proxy/config';
import { silentLogger as proxySilentLogger } from '@proxy/logger';
import { runProxy, type RunningProxy } from '@proxy/main';
import { loadConfig } from '@server/config';
import { silentLogger } from '@server/logger';
import { startServer, type RunningServer } from '@server/server';
import { openTestDataSource, type OpenTestDataSource, type TestDatabaseKind } from '@test/support/databases';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

export const ADMIN_PASSWORD = 'browser-test-password';
/** Where `npm run build` (vite) writes the web UI; the browser project's global setup builds it. */
export const WEB_ROOT = path.resolve(__dirname, '../../../dist/web');

export interface DemoProxySpec {
  name: string;
  nodes: number;
  prefix: string;
}

export interface Stack {
  url: string;
  server: RunningServer;
  proxies: Array<DemoProxySpec & { id: number; port: number }>;
  stop(): Promise<void>;
}

export async function startStack(options: { proxies: DemoProxySpec[]; database?: TestDatabaseKind }): Promise<Stack> {
  if (!fs.existsSync(path.join(WEB_ROOT, 'index.html'))) throw new Error(`the web UI is not built in ${WEB_ROOT}: run npm run build`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-e2e-'));
  const running: RunningProxy[] = [];
  let db: OpenTestDataSource | undefined;
  let server: RunningServer | undefined;
  try {
    const ports: number[] = [];
    for (const p of options.proxies) {
      const config = loadProxyConfig({
        env: {},
        overrides: {
          name: p.name,
          'grpc.host': '127.0.0.1',
          'grpc.port': 0,
          // Plain text on loopback, as the all-in-one start; mutual TLS has its own tests.
          'grpc.plaintext': true,
          'grpc.caller_secret': TEST_PROXY_SECRET,
          transport: 'demo',
          'demo.node_count': p.nodes,
          'demo.name_prefix': p.prefix,
          'audit.file': path.join(dir, `${p.name}.audit.log`),
        },
      });
      const proxy = await runProxy(config, proxySilentLogger());
      running.push(proxy);
      ports.push(proxy.port);
    }
    db = await openTestDataSource(options.database ?? 'sqlite', { migrate: false });
    const config = loadConfig({
      env: {},
      overrides: {
        'http.port': 0,
        'database.type': db.database.type,
        'database.url': db.database.url,
        'database.sqlite_path': db.database.sqlite_path,
        'admin.password': ADMIN_PASSWORD,
        'admin.password_file': path.join(dir, 'initial-admin-password'),
        'proxies.sync_interval_s': 0,
        'proxies.plaintext': true,
        'proxies.caller_secret': TEST_PROXY_SECRET,
      },
    });
    server = await startServer({ config, logger: silentLogger(), migrate: true, webRoot: WEB_ROOT });
    const admin = { id: 1, login: 'admin', admin: true, rules: [] };
    await server.services.inventory.importInventory(admin, {
      organizations: ['Demo Org'],
      locations: ['Amsterdam'],
      hostgroups: ['base', 'base/web', 'base/db', 'base/app', 'base/cache'],
      smart_proxies: options.proxies.map((p, i) => ({ name: p.name, url: `127.0.0.1:${ports[i]}`, features: ['Remote Execution'], capabilities: ['remote_execution'], transport: 'demo', demo: true })),
      hosts: [],
    });
    await server.services.proxySync.syncAll();
    const registered = await Promise.all(options.proxies.map((p) => server!.services.inventory.getSmartProxy(admin, p.name)));
    const s = server;
    const d = db;
    return {
      url: s.url,
      server: s,
      proxies: options.proxies.map((p, i) => ({ ...p, id: registered[i].id, port: ports[i] })),
      async stop() {
        await s.close();
        await Promise.all(running.map((r) => r.stop()));
        await d.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.close().catch(() => undefined);
    await Promise.all(running.map((r) => r.stop().catch(() => undefined)));
    await db?.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The demo data on the real system, API only: the demo inventory (ui-extension/demo/inventory.yaml)
 * and its two demo smart proxies (the proxy-plugin's gRPC server over its in-process demo fleet,
 * as `npm start` runs them) on ephemeral loopback ports, the ui-extension on a scratch database,
 * and the proxies' nodes synced into the inventory. Nothing is faked; tests talk HTTP.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import YAML from 'yaml';
import { loadConfig as loadProxyConfig } from '@proxy/config';
import { silentLogger as proxySilentLogger } from '@proxy/logger';
import { runProxy, type RunningProxy } from '@proxy/main';
import { loadConfig } from '@server/config';
import { demoInventoryFile } from '@server/inventory/inventory.service';
import { silentLogger } from '@server/logger';
import { startServer, type RunningServer } from '@server/server';
import { openTestDataSource, type OpenTestDataSource, type TestDatabase } from '@test/support/databases';

export const DEMO_PASSWORD = 'demo-stack-password';
/** The demo inventory's proxies and the node prefixes `npm start` gives them. */
/** The secret the ui-extension proves itself with to proxies over plain text on loopback (32+ characters). */
const CALLER_SECRET = 'demo-stack-caller-secret-0123456789abcdef';
const DEMO_PROXIES = [
  { name: 'puppet-a.demo', prefix: 'node-a' },
  { name: 'puppet-b.demo', prefix: 'node-b' },
];

export interface DemoStack {
  url: string;
  server: RunningServer;
  /** Requests as the administrator. */
  get(path: string): request.Test;
  post(path: string, body?: unknown): request.Test;
  put(path: string, body?: unknown): request.Test;
  stop(): Promise<void>;
}

export interface DemoStackOptions {
  /** Nodes per demo proxy (the all-in-one start has 30). */
  nodes?: number;
  /** More ui-extension config by dotted path. */
  config?: Record<string, unknown>;
  /** Hosts imported after the sync, in the inventory file's shape. */
  extraHosts?: Array<Record<string, unknown>>;
}

export async function startDemoStack(database: TestDatabase, options: DemoStackOptions = {}): Promise<DemoStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-demo-stack-'));
  const proxies: RunningProxy[] = [];
  let db: OpenTestDataSource | undefined;
  let server: RunningServer | undefined;
  try {
    for (const p of DEMO_PROXIES) {
      proxies.push(await runProxy(loadProxyConfig({
        env: {},
        overrides: {
          name: p.name,
          'grpc.host': '127.0.0.1',
          'grpc.port': 0,
          'grpc.plaintext': true,
          'grpc.caller_secret': CALLER_SECRET,
          transport: 'demo',
          'demo.node_count': options.nodes ?? 12,
          'demo.name_prefix': p.prefix,
          'audit.file': path.join(dir, `${p.name}.audit.log`),
        },
      }), proxySilentLogger()));
    }
    db = await openTestDataSource(database, { migrate: false });
    server = await startServer({
      config: loadConfig({
        env: {},
        overrides: {
          'http.port': 0,
          'database.type': db.database.type,
          'database.url': db.database.url,
          'database.sqlite_path': db.database.sqlite_path,
          'admin.password': DEMO_PASSWORD,
          'admin.password_file': path.join(dir, 'initial-admin-password'),
          'proxies.sync_interval_s': 0,
          'proxies.plaintext': true,
          'proxies.caller_secret': CALLER_SECRET,
          ...options.config,
        },
      }),
      logger: silentLogger(),
      migrate: true,
    });
    // The demo inventory as shipped, its proxy URLs pointed at this run's ports.
    const inventory = YAML.parse(fs.readFileSync(demoInventoryFile(), 'utf8')) as { smart_proxies: Array<{ name: string; url: string }> };
    for (const proxy of inventory.smart_proxies) proxy.url = `127.0.0.1:${proxies[DEMO_PROXIES.findIndex((p) => p.name === proxy.name)].port}`;
    const admin = { id: 1, login: 'admin', admin: true, rules: [] };
    await server.services.inventory.importInventory(admin, inventory);
    const synced = await server.services.proxySync.syncAll();
    const failed = synced.filter((s) => 'error' in s);
    if (failed.length > 0) throw new Error(`demo proxy sync failed: ${JSON.stringify(failed)}`);
    if (options.extraHosts) await server.services.inventory.importInventory(admin, { hosts: options.extraHosts });
    const s = server;
    const d = db;
    const as = (test: request.Test) => test.auth('admin', DEMO_PASSWORD);
    return {
      url: s.url,
      server: s,
      get: (p) => as(request(s.url).get(p)),
      post: (p, body) => as(request(s.url).post(p)).send(body as object),
      put: (p, body) => as(request(s.url).put(p)).send(body as object),
      async stop() {
        await s.close();
        await Promise.all(proxies.map((r) => r.stop()));
        await d.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.close().catch(() => undefined);
    await Promise.all(proxies.map((r) => r.stop().catch(() => undefined)));
    await db?.close().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Follows a job to its end with long polls (bounded), and returns its final status. */
export async function waitForJob(stack: DemoStack, id: number, timeoutMs = 30_000): Promise<{ id: number; state: string; counts: Record<string, number> }> {
  const until = Date.now() + timeoutMs;
  let since = 0;
  for (;;) {
    const job = (await stack.get(`/api/v2/remote_execution/jobs/${id}?wait=5&since=${since}`).expect(200)).body as { id: number; state: string; version: number; counts: Record<string, number> };
    if (['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.state} after ${timeoutMs} ms`);
    since = job.version;
  }
}

/**
 * What an operator's tooling sees of a proxy (issue #25 part 6): the standard gRPC health service
 * follows the broker connection (a real nats-server started, killed and started again), and SIGHUP
 * makes a running proxy process reopen its audit file after logrotate moved it away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';

import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import { loadProxyProto } from '@protos/load';
import { loadConfig } from '@proxy/config';
import { silentLogger } from '@proxy/logger';
import { runProxy, type RunningProxy } from '@proxy/main';
import { waitForAuditLines, readAuditLines } from '@test/support/audit-log';
import { portForLaterListen } from '@test/support/ports';
import { TEST_PROXY_SECRET, withCallerSecret } from '@test/support/proxy-secret';

const ROOT = path.resolve(__dirname, '../..');

type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
interface HealthClient extends grpc.Client {
  Check(request: { service: string }, callback: (error: grpc.ServiceError | null, reply?: { status: HealthStatus }) => void): void;
  Watch(request: { service: string }): grpc.ClientReadableStream<{ status: HealthStatus }>;
}

/** A client of grpc.health.v1.Health as any probe builds it: from the official proto. */
function healthClient(port: number): HealthClient {
  const definition = loadSync(protoPath, { keepCase: true, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: new (address: string, creds: grpc.ChannelCredentials, options: grpc.ClientOptions) => HealthClient } } } };
  return new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { interceptors: [withCallerSecret()] });
}

function check(client: HealthClient, service: string): Promise<HealthStatus> {
  return new Promise((resolve, reject) => client.Check({ service }, (error, reply) => (error ? reject(error) : resolve(reply!.status))));
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function startNats(port: number): Promise<ChildProcess> {
  const child = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('nats-server did not start')), 20_000);
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.includes('Server is ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

describe('grpc.health.v1 on the proxy', () => {
  let natsPort: number;
  let nats: ChildProcess | undefined;
  let proxy: RunningProxy | undefined;
  let client: HealthClient | undefined;

  beforeAll(async () => {
    natsPort = await portForLaterListen();
    const config = loadConfig({
      env: {
        PROXY_PLUGIN_TRANSPORT: 'choria', PROXY_PLUGIN_NATS_URL: `nats://127.0.0.1:${natsPort}`, PROXY_PLUGIN_SECURITY_MODE: 'insecure',
        PROXY_PLUGIN_GRPC_PORT: '0', PROXY_PLUGIN_NAME: 'health-test', PROXY_PLUGIN_AUDIT_FILE: '', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET,
      },
    });
    // The broker is not there yet: the proxy starts and keeps trying it in the background.
    proxy = await runProxy(config, silentLogger());
    client = healthClient(proxy.port);
  });

  afterAll(async () => {
    client?.close();
    await proxy?.stop();
    await stopProcess(nats);
  });

  it('answers NOT_SERVING without its broker, SERVING once connected, NOT_SERVING when the broker dies, and tells a Watch caller each change', async () => {
    expect(await check(client!, '')).toBe('NOT_SERVING');
    expect(await check(client!, 'rex.proxy.v1.ProxyService')).toBe('NOT_SERVING');
    await expect(check(client!, 'no.such.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });

    const watched: HealthStatus[] = [];
    const watch = client!.Watch({ service: '' });
    watch.on('data', (reply: { status: HealthStatus }) => watched.push(reply.status));
    watch.on('error', () => undefined);

    nats = await startNats(natsPort);
    // The proxy retries its first connect with a back-off of 1 s, doubling.
    await until('health once the broker runs', () => check(client!, ''), (s) => s === 'SERVING');
    expect(await check(client!, 'rex.proxy.v1.ProxyService')).toBe('SERVING');

    await stopProcess(nats);
    await until('health once the broker is gone', () => check(client!, 'rex.proxy.v1.ProxyService'), (s) => s === 'NOT_SERVING');
    await until('the watch stream', async () => watched, (w) => w.length >= 3);
    watch.cancel();
    expect(watched.slice(0, 3)).toEqual(['NOT_SERVING', 'SERVING', 'NOT_SERVING']);
  });

  it('refuses a health check without the caller secret, as every other call', async () => {
    const definition = loadSync(protoPath, { keepCase: true, enums: String });
    const Health = (grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: new (a: string, c: grpc.ChannelCredentials) => HealthClient } } } }).grpc.health.v1.Health;
    const anonymous = new Health(`127.0.0.1:${proxy!.port}`, grpc.credentials.createInsecure());
    await expect(check(anonymous, '')).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    anonymous.close();
  });
});

describe('SIGHUP on a running proxy process', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-sighup-'));
  const auditFile = path.join(dir, 'audit.log');
  let child: ChildProcess | undefined;
  const lines: string[] = [];

  afterAll(async () => {
    await stopProcess(child, 'SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function waitForLine(match: (line: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    return until('proxy log', async () => lines.find(match), (found) => found !== undefined || Date.now() > end, timeoutMs + 1000).then((found) => {
      if (!found) throw new Error(`no such line in:\n${lines.join('\n')}`);
      return found;
    });
  }

  it('reopens the audit file logrotate moved away: old lines stay in the old file, new ones go to a new 0600 file', async () => {
    child = spawn(process.execPath, ['-r', path.join(ROOT, 'test', 'support', 'ts-register.cjs'), path.join(ROOT, 'proxy-plugin', 'src', 'main.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '', PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_PORT: '0', PROXY_PLUGIN_NAME: 'sighup-demo', PROXY_PLUGIN_DEMO_NODE_COUNT: '3',
        PROXY_PLUGIN_AUDIT_FILE: auditFile, PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET, PROXY_PLUGIN_LOG_LEVEL: 'info',
      },
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    readline.createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
    const listening = JSON.parse(await waitForLine((l) => l.includes('"msg":"proxy listening"'))) as { port: number; level: string; time: string };
    expect(listening.level).toBe('info');
    expect(listening.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const proxyClient = new (loadProxyProto().rex.proxy.v1.ProxyService)(`127.0.0.1:${listening.port}`, grpc.credentials.createInsecure(), { interceptors: [withCallerSecret()] });
    const ping = (executionId: string) => new Promise<ExecuteEvent__Output[]>((resolve, reject) => {
      const seen: ExecuteEvent__Output[] = [];
      const stream = proxyClient.Execute({ execution_id: executionId, agent: 'rpcutil', action: 'ping', arguments_json: '{}', identities: ['demo-node00001'], caller: 'admin' });
      stream.on('data', (event: ExecuteEvent__Output) => seen.push(event));
      stream.on('end', () => resolve(seen));
      stream.on('error', reject);
    });
    try {
      await ping('before-rotate');
      await waitForAuditLines<{ execution_id?: string }>(auditFile, (found) => found.some((l) => l.execution_id === 'before-rotate'));
      // logrotate without copytruncate: rename, then the postrotate signal.
      fs.renameSync(auditFile, `${auditFile}.1`);
      child.kill('SIGHUP');
      await waitForLine((l) => l.includes('"msg":"audit file reopened"'));
      await ping('after-rotate');
      const fresh = await waitForAuditLines<{ execution_id?: string }>(auditFile, (found) => found.some((l) => l.execution_id === 'after-rotate'));
      expect(fresh.map((l) => l.execution_id)).toEqual(['after-rotate']);
      expect(readAuditLines<{ execution_id?: string }>(`${auditFile}.1`).map((l) => l.execution_id)).toEqual(['before-rotate']);
      expect(fs.statSync(auditFile).mode & 0o777).toBe(0o600);
      // The signal did not stop the proxy.
      expect(child.exitCode).toBeNull();
    } finally {
      proxyClient.close();
    }
  });
});

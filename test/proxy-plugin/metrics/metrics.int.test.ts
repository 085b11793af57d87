/**
 * The proxy's metrics listener against a private nats-server that the test stops and starts again
 * on the same port: the broker gauge drops to 0 during the outage and the reconnect counter moves
 * by one when the client is back. The shared NATS is never touched. The same for STOMP: a private
 * RabbitMQ of the MCollective test fleet, reached through a TCP relay that drops the connection.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@proxy/config';
import { silentLogger } from '@proxy/logger';
import { runProxy, type RunningProxy } from '@proxy/main';
import { startNatsServer, type TestNatsServer } from '@test/support/nats-server';
import { DEBIAN_AGENT_DDL_DIRECTORY, FLEET_AGENT_DIRECTORY, startMcollectiveFleet, type McollectiveFleet } from '@test/fleet/mcollective/mcollective-fleet';
import { DDL_DIRECTORY } from '@test/ui-extension/jobs/support/grpc-proxies';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

jest.setTimeout(60_000);

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

async function until(port: number, name: string, labels: string, value: number, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < end) {
    text = await scrape(port);
    if (sample(text, name, labels) === value) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name}${labels} did not reach ${value}:\n${text.split('\n').filter((l) => l.startsWith('rex_proxy_broker')).join('\n')}`);
}

describe('proxy metrics listener', () => {
  let nats: TestNatsServer | undefined;
  let proxy: RunningProxy | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-proxy-metrics-'));
  const auditFile = path.join(dir, 'audit.log');

  afterEach(async () => {
    await proxy?.stop();
    await nats?.stop();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('counts a NATS disconnect and the reconnect after the broker came back on its port', async () => {
    nats = await startNatsServer([]);
    const port = nats.port;
    proxy = await runProxy(loadConfig({
      env: {},
      overrides: {
        name: 'metrics-proxy',
        transport: 'choria',
        'nats.url': nats.url,
        'security.mode': 'insecure',
        'grpc.host': '127.0.0.1',
        'grpc.port': 0,
        'grpc.plaintext': true,
          'grpc.caller_secret': TEST_PROXY_SECRET,
        'ddl.directory': DDL_DIRECTORY,
        'audit.file': auditFile,
        'metrics.enabled': true,
        'metrics.port': 0,
      },
    }), silentLogger());
    const metricsPort = proxy.metricsPort!;
    expect(metricsPort).toBeGreaterThan(0);
    await until(metricsPort, 'rex_proxy_broker_connected', '{transport="choria"}', 1);
    expect(sample(await scrape(metricsPort), 'rex_proxy_broker_reconnects_total', '{transport="choria"}')).toBe(0);

    await nats.stop();
    await until(metricsPort, 'rex_proxy_broker_connected', '{transport="choria"}', 0);
    expect(sample(await scrape(metricsPort), 'rex_proxy_broker_disconnects_total', '{transport="choria"}')).toBe(1);

    // A later -p overrides the helper's "-p -1": the same port, as a restarted broker would have.
    nats = await startNatsServer(['-p', String(port)]);
    const text = await until(metricsPort, 'rex_proxy_broker_reconnects_total', '{transport="choria"}', 1);
    expect(sample(text, 'rex_proxy_broker_connected', '{transport="choria"}')).toBe(1);
  });

  it('is off by default: no listener, no port', async () => {
    nats = await startNatsServer([]);
    proxy = await runProxy(loadConfig({ env: {}, overrides: { transport: 'choria', 'nats.url': nats.url, 'security.mode': 'insecure', 'grpc.port': 0, 'grpc.plaintext': true, 'grpc.caller_secret': TEST_PROXY_SECRET, 'ddl.directory': DDL_DIRECTORY, 'audit.file': auditFile } }), silentLogger());
    expect(proxy.metricsPort).toBeUndefined();
  });
});

/** Forwards loopback connections to a port; `drop()` cuts every open one, as a network failure would. */
async function startRelay(targetPort: number): Promise<{ port: number; drop(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(targetPort, '127.0.0.1');
    for (const [a, b] of [[inbound, outbound], [outbound, inbound]] as const) {
      sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    drop: () => sockets.forEach((s) => s.destroy()),
    close: () => new Promise<void>((resolve) => {
      sockets.forEach((s) => s.destroy());
      server.close(() => resolve());
    }),
  };
}

describe('proxy metrics listener on the mcollective transport', () => {
  let fleet: McollectiveFleet | undefined;
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  let proxy: RunningProxy | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-proxy-metrics-mco-'));

  afterAll(async () => {
    await proxy?.stop();
    await relay?.close();
    await fleet?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts a lost STOMP connection and the reconnect to the broker', async () => {
    fleet = await startMcollectiveFleet({ count: 1 });
    relay = await startRelay(fleet.stompPort);
    proxy = await runProxy(loadConfig({
      env: {},
      overrides: {
        name: 'metrics-mco-proxy',
        transport: 'mcollective',
        'grpc.port': 0,
        'grpc.plaintext': true,
          'grpc.caller_secret': TEST_PROXY_SECRET,
        'mcollective.host': '127.0.0.1',
        'mcollective.port': relay.port,
        'mcollective.connector': fleet.connector,
        'mcollective.vhost': fleet.vhost,
        'mcollective.user': fleet.user,
        'mcollective.password': fleet.password,
        'mcollective.psk': fleet.psk,
        'mcollective.ddl_directories': [DEBIAN_AGENT_DDL_DIRECTORY, FLEET_AGENT_DIRECTORY],
        'identity.callerid': 'uid=rex',
        'audit.file': path.join(dir, 'audit.log'),
        'metrics.enabled': true,
        'metrics.port': 0,
      },
    }), silentLogger());
    const metricsPort = proxy.metricsPort!;
    await until(metricsPort, 'rex_proxy_broker_connected', '{transport="mcollective"}', 1, 30_000);
    relay.drop();
    // The client reconnects a second after the loss (reconnectDelayMs); the relay forwards again.
    const text = await until(metricsPort, 'rex_proxy_broker_reconnects_total', '{transport="mcollective"}', 1, 30_000);
    expect(sample(text, 'rex_proxy_broker_disconnects_total', '{transport="mcollective"}')).toBe(1);
    expect(sample(text, 'rex_proxy_broker_connected', '{transport="mcollective"}')).toBe(1);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

import type { BrokerClient } from '@proxy/broker/broker-client';
import { createChoriaClient } from '@proxy/broker/choria.client';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';

/** A private nats-server, so restarting it does not disturb anyone else using 127.0.0.1:4222. */
const NATS_SERVER = process.env.PROXY_PLUGIN_TEST_NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function startNats(port: number): Promise<ChildProcess> {
  if (!existsSync(NATS_SERVER)) throw new Error(`nats-server binary not found at ${NATS_SERVER}; install the nats-server package`);
  const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('nats-server did not start within 5 s')), 5000);
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Server is ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}`));
    });
  });
  return child;
}

function stopNats(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('choria client reconnect', () => {
  let port: number;
  let nats: ChildProcess | undefined;
  let fleet: ChoriaFleet | undefined;
  let client: BrokerClient | undefined;

  beforeAll(async () => {
    port = await freePort();
    nats = await startNats(port);
  });

  afterAll(async () => {
    await client?.close();
    await fleet?.stop();
    if (nats) await stopNats(nats);
  });

  it('answers again by itself when the NATS server restarts', async () => {
    const url = `nats://127.0.0.1:${port}`;
    fleet = await startChoriaFleet({ natsUrl: url, count: 3, collective: 'mcollective', identityPrefix: 'rc-' });
    client = createChoriaClient({
      natsUrl: url,
      collectives: ['mcollective'],
      mainCollective: 'mcollective',
      callerid: 'choria=rex.mcollective',
      senderid: 'proxy.example.net',
      security: { mode: 'insecure' },
    });
    await client.connect();
    const ping = async (): Promise<string[]> => {
      const result = await client!.callDirected({
        request: { agent: 'rpcutil', action: 'ping', data: {}, collective: 'mcollective', callerid: 'choria=rex.mcollective', ttlSeconds: 60 },
        identities: fleet!.identities,
        onReply: () => {},
        signal: new AbortController().signal,
        timeoutMs: 1000,
      });
      return result.silent;
    };
    expect(await ping()).toEqual([]);

    await stopNats(nats!);
    await eventually(() => !client!.isConnected(), 5000);
    nats = await startNats(port);
    await eventually(() => client!.isConnected(), 10_000);
    // The fleet reconnects on its own schedule; give its subscriptions a moment to be replayed.
    let silent = await ping();
    for (let attempt = 0; silent.length > 0 && attempt < 10; attempt++) silent = await ping();
    expect(silent).toEqual([]);
  });

  it('fails clearly when the broker cannot be reached at connect', async () => {
    const unreachable = createChoriaClient({
      natsUrl: `nats://127.0.0.1:${await freePort()}`,
      collectives: ['mcollective'],
      mainCollective: 'mcollective',
      callerid: 'choria=rex.mcollective',
      senderid: 'proxy.example.net',
      security: { mode: 'insecure' },
    });
    await expect(unreachable.connect()).rejects.toThrow(/^broker unreachable: nats:\/\/127\.0\.0\.1:\d+/);
    expect(unreachable.isConnected()).toBe(false);
  });
});

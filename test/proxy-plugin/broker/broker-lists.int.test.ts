/**
 * Broker lists at connect (#26 item 5), against real listeners on loopback: a NATS server list whose
 * first members are down connects to the one that is up and names it; an MCollective pool whose
 * every broker is down tries each in order and names each one's reason. Failover with real brokers
 * and daemons: test/faults/nats-cluster.faults.test.ts, test/faults/mcollective-pool.faults.test.ts,
 * mcollective.tls.int.test.ts.
 */
import net from 'node:net';

import { createChoriaClient } from '@proxy/broker/choria.client';
import { createMcollectiveClient } from '@proxy/broker/mcollective.client';

const NATS_URL = process.env.PROXY_PLUGIN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A loopback port nobody listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('broker lists at connect', () => {
  it('connects to the NATS server of the list that is up, whatever its place, and names it', async () => {
    const [down1, down2] = [await closedPort(), await closedPort()];
    const live = new URL(NATS_URL);
    const client = createChoriaClient({
      natsUrl: [`nats://127.0.0.1:${down1}`, `nats://127.0.0.1:${down2}`, NATS_URL],
      collectives: ['mcollective'],
      mainCollective: 'mcollective',
      callerid: 'choria=rex.mcollective',
      senderid: 'lists.example.net',
      security: { mode: 'insecure' },
    });
    try {
      expect(client.currentServer?.()).toBeUndefined();
      await client.connect();
      expect(client.isConnected()).toBe(true);
      expect(client.currentServer?.()).toBe(`${live.hostname}:${live.port || '4222'}`);
      expect(client.displayUrl).toBe(`nats://127.0.0.1:${down1},nats://127.0.0.1:${down2},${NATS_URL.replace(/\/$/, '')}`);
    } finally {
      await client.close();
    }
    expect(client.currentServer?.()).toBeUndefined();
  });

  it('fails only when every NATS server of the list is down', async () => {
    const ports = [await closedPort(), await closedPort()];
    const client = createChoriaClient({ natsUrl: ports.map((p) => `nats://127.0.0.1:${p}`), collectives: ['mcollective'], mainCollective: 'mcollective', callerid: 'choria=rex.mcollective', senderid: 'lists.example.net', security: { mode: 'insecure' } });
    await expect(client.connect()).rejects.toThrow(`broker unreachable: nats://127.0.0.1:${ports[0]},nats://127.0.0.1:${ports[1]}`);
    expect(client.isConnected()).toBe(false);
  });

  it('tries every broker of an MCollective pool in order before it fails, naming each one', async () => {
    const ports = [await closedPort(), await closedPort(), await closedPort()];
    const client = createMcollectiveClient({
      host: 'unused.example.net',
      port: 1,
      pool: ports.map((port) => ({ host: '127.0.0.1', port })),
      user: 'mcollective',
      password: 'x',
      vhost: '/mcollective',
      flavour: 'rabbitmq',
      psk: 'psk',
      collectives: ['mcollective'],
      mainCollective: 'mcollective',
      callerid: 'uid=rex',
      senderid: 'lists.example.net',
    });
    const startedAt = Date.now();
    const failure = await client.connect().then(() => undefined, (error: Error) => error.message);
    expect(failure).toBe(
      `broker unreachable: stomp://${ports.map((p) => `127.0.0.1:${p}`).join(',')}/mcollective (rabbitmq): ${ports.map((p) => `127.0.0.1:${p}: connect ECONNREFUSED 127.0.0.1:${p}`).join('; ')}`,
    );
    // One attempt per broker, a second apart (the reconnect delay): not one, and not for ever.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1900);
    expect(client.isConnected()).toBe(false);
    expect(client.currentServer?.()).toBeUndefined();
    await client.close();
  });
});

/**
 * The Choria client against a nats-server that requires TLS with client certificates (as Choria
 * brokers do), started for this test on loopback and an ephemeral port, with a throwaway PKI.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProxyProto } from '@protos/load';
import { createChoriaClient } from '@proxy/broker/choria.client';
import { loadConfig } from '@proxy/config';
import { createLogger } from '@proxy/logger';
import { runProxy } from '@proxy/main';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { startNatsServer, type TestNatsServer } from '@test/support/nats-server';
import { makePki, type TestPki } from '@test/support/pki';
import { TEST_PROXY_SECRET, withCallerSecret } from '@test/support/proxy-secret';

jest.setTimeout(60_000);

describe('Choria client over NATS with TLS', () => {
  let pki: TestPki;
  let nats: TestNatsServer;
  let fleet: ChoriaFleet;
  let client: { cert: string; key: string };

  beforeAll(async () => {
    pki = makePki();
    const server = pki.issue('localhost', { dns: ['localhost'], ip: ['127.0.0.1'], usage: 'server' });
    client = pki.issue('rex.mcollective', { usage: 'client' });
    nats = await startNatsServer(['--tls', '--tlscert', server.cert, '--tlskey', server.key, '--tlscacert', pki.ca, '--tlsverify'], { scheme: 'tls' });
    const node = pki.issue('fleet.mcollective', { usage: 'client' });
    fleet = await startChoriaFleet({ natsUrl: nats.url, count: 5, collective: 'tlstest', identityPrefix: 'tls-node-', tls: { caFile: pki.ca, certFile: node.cert, keyFile: node.key } });
  });

  afterAll(async () => {
    await fleet?.stop();
    await nats?.stop();
    pki?.cleanup();
  });

  const choria = (tls?: { caFile?: string; certFile?: string; keyFile?: string }) =>
    createChoriaClient({ natsUrl: nats.url, collectives: ['tlstest'], mainCollective: 'tlstest', callerid: 'choria=rex.mcollective', senderid: 'tls-proxy', security: { mode: 'insecure' }, tls, connectTimeoutMs: 3000 });

  it('discovers the fleet through a TLS broker with a client certificate', async () => {
    const broker = choria({ caFile: pki.ca, certFile: client.cert, keyFile: client.key });
    await broker.connect();
    try {
      const nodes = await broker.inventory('tlstest', 1000);
      expect(nodes.map((n) => n.identity).sort()).toEqual(fleet.identities.slice().sort());
    } finally {
      await broker.close();
    }
  });

  it('cannot connect without a client certificate when the broker verifies them', async () => {
    await expect(choria({ caFile: pki.ca }).connect()).rejects.toThrow(/broker unreachable: tls:\/\/127\.0\.0\.1/);
  });

  it('refuses a broker whose certificate the configured CA did not sign', async () => {
    const other = makePki('rex-pki-other-');
    try {
      await expect(choria({ caFile: other.ca, certFile: client.cert, keyFile: client.key }).connect()).rejects.toThrow(/broker unreachable/);
    } finally {
      other.cleanup();
    }
  });

  it('cannot talk plain text to a broker that requires TLS', async () => {
    const plain = createChoriaClient({ natsUrl: `nats://127.0.0.1:${nats.port}`, collectives: ['tlstest'], mainCollective: 'tlstest', callerid: 'choria=rex.mcollective', senderid: 'plain', security: { mode: 'insecure' } });
    await expect(plain.connect()).rejects.toThrow(/broker unreachable/);
  });

  it('connects a whole proxy to the TLS broker from its nats.tls configuration', async () => {
    const proxy = await runProxy(loadConfig({
      env: {
        PROXY_PLUGIN_GRPC_PORT: '0', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET, PROXY_PLUGIN_TRANSPORT: 'choria', PROXY_PLUGIN_SECURITY_MODE: 'insecure', PROXY_PLUGIN_AUDIT_FILE: '/dev/null',
        PROXY_PLUGIN_COLLECTIVES: 'tlstest', PROXY_PLUGIN_MAIN_COLLECTIVE: 'tlstest', PROXY_PLUGIN_NATS_URL: nats.url,
        PROXY_PLUGIN_NATS_TLS_CA_FILE: pki.ca, PROXY_PLUGIN_NATS_TLS_CERT_FILE: client.cert, PROXY_PLUGIN_NATS_TLS_KEY_FILE: client.key,
      },
    }), createLogger({ level: 'silent' }));
    const rpc = new (loadProxyProto().rex.proxy.v1.ProxyService)(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure(), { interceptors: [withCallerSecret()] });
    try {
      // The proxy connects to its broker in the background; wait until GetInfo says it has.
      for (let i = 0; ; i++) {
        const info = await new Promise<{ broker_connected: boolean }>((resolve, reject) => rpc.GetInfo({}, (e, v) => (e ? reject(e) : resolve(v as { broker_connected: boolean }))));
        if (info.broker_connected) break;
        if (i > 100) throw new Error('proxy never connected to the TLS broker');
        await new Promise((r) => setTimeout(r, 100));
      }
      const nodes = await new Promise<string[]>((resolve, reject) => {
        const found: string[] = [];
        const stream = rpc.ListNodes({ discovery_timeout_ms: 1000 });
        stream.on('data', (n: { identity: string }) => found.push(n.identity));
        stream.on('end', () => resolve(found));
        stream.on('error', reject);
      });
      expect(nodes.sort()).toEqual(fleet.identities.slice().sort());
    } finally {
      rpc.close();
      await proxy.stop();
    }
  });
});

/**
 * Mutual TLS of the proxy's gRPC server, with real TLS handshakes against a throwaway PKI: only a
 * client certificate signed by the configured CA and named in grpc.tls.trusted_clients may call.
 * And the caller secret: plain text only with one, and then every call must carry it.
 */
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';

import { loadProxyProto } from '@protos/load';
import { createDdlRegistry } from '@proxy/actions/ddl-registry';
import { createExecutionRegistry } from '@proxy/actions/executions';
import { createNodeInventory } from '@proxy/actions/nodes';
import type { Config } from '@proxy/config';
import { startProxyServer, type ProxyServer } from '@proxy/grpc/server';
import { silentLogger } from '@proxy/logger';
import { createFakeBroker } from '@test/fakes/fake-broker.client';
import { makePki, type TestPki } from '@test/support/pki';

jest.setTimeout(30_000);

function startServer(grpcConfig: Partial<Config['grpc']> & { tls: Config['grpc']['tls'] }): Promise<ProxyServer> {
  const broker = createFakeBroker();
  const ddls = createDdlRegistry([]);
  const logger = silentLogger();
  const collectives = ['mcollective'];
  return startProxyServer(
    { grpc: { host: '127.0.0.1', port: 0, plaintext: false, ...grpcConfig } },
    {
      manifest: { name: 'mco-rex-proxy', version: '0.0.0-test', capabilities: ['remote_execution'] },
      name: 'tls-proxy',
      transport: 'choria',
      collectives,
      broker,
      ddls,
      executions: createExecutionRegistry({
        broker,
        ddls,
        audit: { record: () => undefined, reopen: async () => undefined, close: async () => undefined },
        logger,
        callerid: 'choria=rex.mcollective',
        collectives,
        mainCollective: 'mcollective',
        defaultDiscoveryTimeoutMs: 100,
        retentionMs: 1000,
        maxRetained: 1,
      }),
      nodes: createNodeInventory({ broker, ddls, collectives, mainCollective: 'mcollective', defaultDiscoveryTimeoutMs: 100 }),
      logger,
    },
  );
}

const SECRET = 'a-caller-secret-of-at-least-32-characters';

function getInfo(port: number, credentials: grpc.ChannelCredentials, authorization?: string): Promise<{ name: string }> {
  const client = new (loadProxyProto().rex.proxy.v1.ProxyService)(`localhost:${port}`, credentials);
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return new Promise<{ name: string }>((resolve, reject) =>
    client.GetInfo({}, metadata, { deadline: Date.now() + 5000 }, (error, value) => (error ? reject(error) : resolve(value as { name: string }))),
  ).finally(() => client.close());
}

describe(startProxyServer.name, () => {
  let pki: TestPki;
  let server: ProxyServer;
  const read = (file: string): Buffer => fs.readFileSync(file);
  const client = (cert: { cert: string; key: string }) => grpc.credentials.createSsl(read(pki.ca), read(cert.key), read(cert.cert));

  beforeAll(async () => {
    pki = makePki();
    const serverCert = pki.issue('localhost', { dns: ['localhost'], ip: ['127.0.0.1'], usage: 'server' });
    server = await startServer({ tls: { cert_file: serverCert.cert, key_file: serverCert.key, client_ca_file: pki.ca, trusted_clients: ['foreman.example.com', 'rex-ui.example.com'] } });
  });

  afterAll(async () => {
    await server?.close(500);
    pki?.cleanup();
  });

  it('answers a client whose certificate the CA signed and whose CN is trusted', async () => {
    await expect(getInfo(server.port, client(pki.issue('foreman.example.com', { usage: 'client' })))).resolves.toMatchObject({ name: 'tls-proxy' });
  });

  it('answers a client whose DNS subject alternative name is trusted when its CN is not', async () => {
    await expect(getInfo(server.port, client(pki.issue('ui-instance-7', { dns: ['rex-ui.example.com'], usage: 'client' })))).resolves.toMatchObject({ name: 'tls-proxy' });
  });

  it('refuses in the TLS handshake a client without a certificate', async () => {
    await expect(getInfo(server.port, grpc.credentials.createSsl(read(pki.ca)))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('refuses in the TLS handshake a client whose certificate another CA signed, even with a trusted name', async () => {
    await expect(getInfo(server.port, client(pki.issue('foreman.example.com', { usage: 'client', signer: 'other' })))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('refuses with PERMISSION_DENIED a client the CA signed whose name is not trusted', async () => {
    await expect(getInfo(server.port, client(pki.issue('intruder.example.com', { usage: 'client' })))).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringContaining('intruder.example.com is not in this proxy'),
    });
  });

  it('refuses to start with TLS but no client CA or trusted clients', async () => {
    const serverCert = pki.issue('localhost', { dns: ['localhost'], usage: 'server' });
    await expect(startServer({ tls: { cert_file: serverCert.cert, key_file: serverCert.key, trusted_clients: ['foreman.example.com'] } })).rejects.toThrow(/mutual TLS/);
    await expect(startServer({ tls: { cert_file: serverCert.cert, key_file: serverCert.key, client_ca_file: pki.ca, trusted_clients: [] } })).rejects.toThrow(/mutual TLS/);
  });

  it('refuses to serve plain text on an address beyond loopback', async () => {
    await expect(startServer({ host: '0.0.0.0', plaintext: true, tls: { trusted_clients: [] } })).rejects.toThrow(/only allowed on a loopback address/);
  });

  it('refuses to serve plain text without a caller secret, even on loopback', async () => {
    await expect(startServer({ plaintext: true, tls: { trusted_clients: [] } })).rejects.toThrow(/plain-text gRPC needs grpc.caller_secret/);
  });

  it('serves plain text on loopback, on a free port, to a caller that sends the secret', async () => {
    const plain = await startServer({ plaintext: true, caller_secret: SECRET, tls: { trusted_clients: [] } });
    try {
      expect(plain.port).toBeGreaterThan(0);
      await expect(getInfo(plain.port, grpc.credentials.createInsecure(), `Bearer ${SECRET}`)).resolves.toMatchObject({ name: 'tls-proxy' });
    } finally {
      await plain.close(500);
    }
  });

  it.each([
    ['no authorization header', undefined],
    ['a wrong secret', 'Bearer a-caller-secret-of-at-least-32-characterz'],
    ['a prefix of the secret', `Bearer ${SECRET.slice(0, -1)}`],
    ['the secret without Bearer', SECRET],
    ['an empty bearer', 'Bearer '],
  ])('refuses a plain-text call with UNAUTHENTICATED when it carries %s', async (_what, authorization) => {
    const plain = await startServer({ plaintext: true, caller_secret: SECRET, tls: { trusted_clients: [] } });
    try {
      await expect(getInfo(plain.port, grpc.credentials.createInsecure(), authorization)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: expect.stringContaining('grpc.caller_secret') });
    } finally {
      await plain.close(500);
    }
  });

  it('asks a trusted client certificate for the secret too when mutual TLS has one', async () => {
    const serverCert = pki.issue('localhost', { dns: ['localhost'], ip: ['127.0.0.1'], usage: 'server' });
    const both = await startServer({ caller_secret: SECRET, tls: { cert_file: serverCert.cert, key_file: serverCert.key, client_ca_file: pki.ca, trusted_clients: ['foreman.example.com'] } });
    try {
      const trusted = () => client(pki.issue('foreman.example.com', { usage: 'client' }));
      await expect(getInfo(both.port, trusted())).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      await expect(getInfo(both.port, trusted(), `Bearer ${SECRET}`)).resolves.toMatchObject({ name: 'tls-proxy' });
    } finally {
      await both.close(500);
    }
  });
});

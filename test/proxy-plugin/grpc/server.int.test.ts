/**
 * TLS and mTLS of the proxy's gRPC server, with a throwaway CA made by openssl for each run.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';

import { loadProxyProto } from '@protos/load';
import { createDdlRegistry } from '@proxy/actions/ddl-registry';
import { createExecutionRegistry } from '@proxy/actions/executions';
import { createNodeInventory } from '@proxy/actions/nodes';
import { startProxyServer, type ProxyServer } from '@proxy/grpc/server';
import { silentLogger } from '@proxy/logger';
import { createFakeBroker } from '@test/fakes/fake-broker.client';

interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makePki(): Pki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-tls-'));
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=rex test CA');
  const issue = (name: string, extensions: string): void => {
    openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  };
  issue('localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('ui-extension', 'extendedKeyUsage=clientAuth\n');
  const at = (file: string): string => path.join(dir, file);
  return { dir, ca: at('ca.pem'), serverCert: at('localhost.pem'), serverKey: at('localhost.key'), clientCert: at('ui-extension.pem'), clientKey: at('ui-extension.key') };
}

async function startTlsServer(tls: { cert_file?: string; key_file?: string; client_ca_file?: string }): Promise<ProxyServer> {
  const broker = createFakeBroker();
  const ddls = createDdlRegistry([]);
  const logger = silentLogger();
  const collectives = ['mcollective'];
  return startProxyServer(
    { grpc: { host: '127.0.0.1', port: 0, tls } },
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
        audit: { record: () => undefined, close: async () => undefined },
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

function getInfo(port: number, credentials: grpc.ChannelCredentials): Promise<{ name: string }> {
  const client = new (loadProxyProto().rex.proxy.v1.ProxyService)(`localhost:${port}`, credentials);
  return new Promise<{ name: string }>((resolve, reject) =>
    client.GetInfo({}, { deadline: Date.now() + 5000 }, (error, value) => (error ? reject(error) : resolve(value as { name: string }))),
  ).finally(() => client.close());
}

describe(startProxyServer.name, () => {
  const pki = makePki();
  const read = (file: string): Buffer => fs.readFileSync(file);

  it('serves TLS when a server certificate and key are configured', async () => {
    const server = await startTlsServer({ cert_file: pki.serverCert, key_file: pki.serverKey });
    try {
      await expect(getInfo(server.port, grpc.credentials.createSsl(read(pki.ca)))).resolves.toMatchObject({ name: 'tls-proxy' });
    } finally {
      await server.close(500);
    }
  });

  it('accepts a client certificate signed by the client CA when mTLS is configured', async () => {
    const server = await startTlsServer({ cert_file: pki.serverCert, key_file: pki.serverKey, client_ca_file: pki.ca });
    try {
      const credentials = grpc.credentials.createSsl(read(pki.ca), read(pki.clientKey), read(pki.clientCert));
      await expect(getInfo(server.port, credentials)).resolves.toMatchObject({ name: 'tls-proxy' });
    } finally {
      await server.close(500);
    }
  });

  it('refuses a client without a certificate when mTLS is configured', async () => {
    const server = await startTlsServer({ cert_file: pki.serverCert, key_file: pki.serverKey, client_ca_file: pki.ca });
    try {
      await expect(getInfo(server.port, grpc.credentials.createSsl(read(pki.ca)))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      await server.close(500);
    }
  });

  it('binds a free port when port 0 is configured', async () => {
    const server = await startTlsServer({});
    try {
      expect(server.port).toBeGreaterThan(0);
      await expect(getInfo(server.port, grpc.credentials.createInsecure())).resolves.toMatchObject({ name: 'tls-proxy' });
    } finally {
      await server.close(500);
    }
  });
});

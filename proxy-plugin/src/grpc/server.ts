import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';

import { loadProxyProto } from '@protos/load';
import type { Config } from '@proxy/config';

import { createProxyHandlers, type ProxyHandlerDeps } from './proxy.handlers';

export interface ProxyServer {
  port: number;
  /** Stops accepting calls, lets running ones finish for up to `graceMs`, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

const DEFAULT_GRACE_MS = 5000;

function credentials(tls: Config['grpc']['tls']): grpc.ServerCredentials {
  if (!tls.cert_file || !tls.key_file) return grpc.ServerCredentials.createInsecure();
  const keyCert = { cert_chain: fs.readFileSync(tls.cert_file), private_key: fs.readFileSync(tls.key_file) };
  const clientCa = tls.client_ca_file ? fs.readFileSync(tls.client_ca_file) : null;
  // With a client CA, a client without a certificate it signed is refused during the handshake.
  return grpc.ServerCredentials.createSsl(clientCa, [keyCert], clientCa !== null);
}

/** Serves rex.proxy.v1.ProxyService on config.grpc.host:port (port 0 picks a free one). */
export async function startProxyServer(config: Pick<Config, 'grpc'>, deps: ProxyHandlerDeps): Promise<ProxyServer> {
  const server = new grpc.Server();
  server.addService(loadProxyProto().rex.proxy.v1.ProxyService.service, createProxyHandlers(deps));
  const address = `${config.grpc.host}:${config.grpc.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials(config.grpc.tls), (error, bound) => (error ? reject(new Error(`cannot listen on ${address}: ${error.message}`, { cause: error })) : resolve(bound)));
  });
  return {
    port,
    close(graceMs = DEFAULT_GRACE_MS) {
      return new Promise((resolve) => {
        // A followed GetResults stream would hold tryShutdown open until its execution ends.
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

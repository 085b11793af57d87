import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';

import { loadProxyProto } from '@protos/load';
import { isLoopbackHost, type Config } from '@proxy/config';
import type { Logger } from '@proxy/logger';

import { addBrokerHealth } from './health';
import { createProxyHandlers, type ProxyHandlerDeps } from './proxy.handlers';
import { withResultBatchEncoder } from './result-batch-encoder';

export interface ProxyServer {
  port: number;
  /** Stops accepting calls, lets running ones finish for up to `graceMs`, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

type GrpcConfig = Pick<Config, 'grpc'>['grpc'];

const DEFAULT_GRACE_MS = 5000;

/**
 * Mutual TLS, or plain text on loopback with a caller secret; anything else refuses to start.
 * main.ts validates the same through config.ts; this guards callers that build the config by hand.
 */
function credentials(config: GrpcConfig): grpc.ServerCredentials {
  const { tls } = config;
  if (config.plaintext) {
    if (!isLoopbackHost(config.host)) throw new Error(`plain-text gRPC is only allowed on a loopback address, not ${config.host}`);
    if (!config.caller_secret) throw new Error('plain-text gRPC needs grpc.caller_secret: without it any local process could run actions through this proxy');
    return grpc.ServerCredentials.createInsecure();
  }
  if (!tls.cert_file || !tls.key_file || !tls.client_ca_file || tls.trusted_clients.length === 0) {
    throw new Error('gRPC needs mutual TLS: grpc.tls.cert_file, key_file, client_ca_file and trusted_clients (or grpc.plaintext on loopback)');
  }
  const keyCert = { cert_chain: fs.readFileSync(tls.cert_file), private_key: fs.readFileSync(tls.key_file) };
  // With checkClientCertificate, a client without a certificate the CA signed fails the handshake.
  return grpc.ServerCredentials.createSsl(fs.readFileSync(tls.client_ca_file), [keyCert], true);
}

/** The names a client certificate carries: its CN and every DNS subject alternative name. */
export function certificateNames(cert: PeerCertificate | undefined): string[] {
  if (!cert) return [];
  const names = new Set<string>();
  const cn = cert.subject?.CN;
  for (const value of Array.isArray(cn) ? cn : cn ? [cn] : []) names.add(String(value).toLowerCase());
  for (const entry of (cert.subjectaltname ?? '').split(',')) {
    const m = /^\s*DNS:(.+)$/.exec(entry);
    if (m) names.add(m[1].trim().toLowerCase());
  }
  return [...names];
}

/**
 * Refuses every call whose client certificate names no trusted client, before the handler runs.
 * The CA proves who the client is; this list says who may use this proxy (as the smart proxy's
 * `trusted_hosts`, theforeman/smart-proxy `lib/proxy/helpers.rb`).
 */
function trustedClientsInterceptor(trusted: readonly string[], logger: Logger): grpc.ServerInterceptor {
  const allowed = new Set(trusted.map((t) => t.toLowerCase()));
  const log = logger.child({ component: 'grpc-auth' });
  return (method, call) => {
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const names = certificateNames(call.getAuthContext().sslPeerCertificate);
        if (names.some((n) => allowed.has(n))) {
          next(metadata);
          return;
        }
        log.warn({ method: method.path, client: names, peer: call.getPeer() }, 'call refused: client certificate not trusted');
        call.sendStatus({ code: grpc.status.PERMISSION_DENIED, details: `client certificate ${names.length > 0 ? names.join(', ') : '(none)'} is not in this proxy's grpc.tls.trusted_clients`, metadata: new grpc.Metadata() });
      })
      .build();
    return new grpc.ServerInterceptingCall(call, new grpc.ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

/** The metadata key of the caller secret; `Bearer` as in HTTP (RFC 6750), so grpcurl -H works. */
export const CALLER_SECRET_METADATA = 'authorization';

/**
 * Refuses every call that does not carry `authorization: Bearer <grpc.caller_secret>`, before the
 * handler runs, and takes the header off so nothing downstream can log it. The comparison is on
 * SHA-256 digests with timingSafeEqual: constant time whatever the length of the guess.
 */
function callerSecretInterceptor(secret: string, logger: Logger): grpc.ServerInterceptor {
  const expected = createHash('sha256').update(secret).digest();
  const log = logger.child({ component: 'grpc-auth' });
  return (method, call) => {
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const given = metadata.get(CALLER_SECRET_METADATA)[0];
        const token = typeof given === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(given)?.[1] : undefined;
        metadata.remove(CALLER_SECRET_METADATA);
        if (token !== undefined && timingSafeEqual(createHash('sha256').update(token).digest(), expected)) {
          next(metadata);
          return;
        }
        log.warn({ method: method.path, peer: call.getPeer(), reason: token === undefined ? 'no caller secret' : 'wrong caller secret' }, 'call refused: caller not authenticated');
        call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: 'this proxy requires its caller secret: send "authorization: Bearer <secret>" with the value of its grpc.caller_secret (the ui-extension\'s proxies.caller_secret)', metadata: new grpc.Metadata() });
      })
      .build();
    return new grpc.ServerInterceptingCall(call, new grpc.ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

/** ProxyService with result batches of Execute and GetResults encoded by result-batch-encoder.ts. */
function proxyService(): grpc.ServiceDefinition {
  const service = loadProxyProto().rex.proxy.v1.ProxyService.service;
  return {
    ...service,
    Execute: { ...service.Execute, responseSerialize: withResultBatchEncoder(service.Execute.responseSerialize) },
    GetResults: { ...service.GetResults, responseSerialize: withResultBatchEncoder(service.GetResults.responseSerialize) },
  };
}

/**
 * Serves rex.proxy.v1.ProxyService and grpc.health.v1.Health (health.ts) on config.grpc.host:port
 * (port 0 picks a free one).
 */
export async function startProxyServer(config: Pick<Config, 'grpc'>, deps: ProxyHandlerDeps): Promise<ProxyServer> {
  const creds = credentials(config.grpc);
  const interceptors: grpc.ServerInterceptor[] = [];
  if (!config.grpc.plaintext) interceptors.push(trustedClientsInterceptor(config.grpc.tls.trusted_clients, deps.logger));
  if (config.grpc.caller_secret) interceptors.push(callerSecretInterceptor(config.grpc.caller_secret, deps.logger));
  const server = new grpc.Server({ interceptors });
  server.addService(proxyService(), createProxyHandlers(deps));
  const health = addBrokerHealth(server, deps.broker, deps.logger);
  const address = `${config.grpc.host}:${config.grpc.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, creds, (error, bound) => (error ? reject(new Error(`cannot listen on ${address}: ${error.message}`, { cause: error })) : resolve(bound)));
  }).catch((error: unknown) => {
    health.stop();
    throw error;
  });
  return {
    port,
    close(graceMs = DEFAULT_GRACE_MS) {
      // Watch callers learn first that this proxy is going away.
      health.stop();
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

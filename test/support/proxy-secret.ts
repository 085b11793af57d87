import * as grpc from '@grpc/grpc-js';

/**
 * The caller secret the tests' proxies and proxy clients share (the proxy's grpc.caller_secret, the
 * ui-extension's proxies.caller_secret): a plain-text proxy refuses every call without it.
 */
export const TEST_PROXY_SECRET = 'test-only-proxy-caller-secret-0123456789';

/** For a raw gRPC client: adds `authorization: Bearer <secret>` to every call, as proxy-client.ts does. */
export function withCallerSecret(secret: string = TEST_PROXY_SECRET): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${secret}`);
        next(metadata, listener);
      },
    });
}

/**
 * The environment of a proxy-plugin process as the tests start one (faults, the scale bench): the
 * Choria transport on `natsUrl`, unsigned requests (the test fleet accepts them; x509 signing has its
 * own tests), plain-text gRPC on loopback behind the test caller secret.
 */
export function testProxyEnv(options: { name: string; natsUrl: string; collective: string; port: number; ddlDirectory: string; auditFile: string; logLevel: string }): Record<string, string> {
  return {
    PROXY_PLUGIN_NAME: options.name,
    PROXY_PLUGIN_TRANSPORT: 'choria',
    PROXY_PLUGIN_NATS_URL: options.natsUrl,
    PROXY_PLUGIN_COLLECTIVES: options.collective,
    PROXY_PLUGIN_MAIN_COLLECTIVE: options.collective,
    PROXY_PLUGIN_IDENTITY: options.name,
    PROXY_PLUGIN_SECURITY_MODE: 'insecure',
    PROXY_PLUGIN_GRPC_HOST: '127.0.0.1',
    PROXY_PLUGIN_GRPC_PORT: String(options.port),
    PROXY_PLUGIN_GRPC_PLAINTEXT: 'true',
    PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET,
    PROXY_PLUGIN_DDL_DIRECTORY: options.ddlDirectory,
    PROXY_PLUGIN_AUDIT_FILE: options.auditFile,
    PROXY_PLUGIN_LOG_LEVEL: options.logLevel,
  };
}

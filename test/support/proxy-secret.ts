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

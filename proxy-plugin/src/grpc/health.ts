import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';

import type { BrokerClient } from '@proxy/broker/broker-client';
import type { Logger } from '@proxy/logger';

/** The service name a health check may ask about besides '' (the whole server): same answer. */
export const PROXY_SERVICE_NAME = 'rex.proxy.v1.ProxyService';

/** How often the broker connection is looked at; a change reaches Watch callers within this. */
const DEFAULT_INTERVAL_MS = 500;

export interface BrokerHealth {
  /** What Check answers now. */
  status(): ServingStatus;
  /** Answers NOT_SERVING from now on (shutdown) and stops looking at the broker. */
  stop(): void;
}

/**
 * `grpc.health.v1.Health` (Check and Watch) on the proxy's gRPC server, from grpc-node's
 * grpc-health-check: SERVING while the broker is connected, NOT_SERVING while it is not (before the
 * first connect, during a reconnect, after a stop), for '' and for rex.proxy.v1.ProxyService alike:
 * without its broker the proxy can answer GetInfo but run nothing. Any other service name is
 * NOT_FOUND, as the protocol says. The calls pass the same interceptors as every other (mutual TLS
 * with a trusted client, the caller secret): a probe sends them too.
 */
export function addBrokerHealth(server: grpc.Server, broker: Pick<BrokerClient, 'isConnected'>, logger: Logger, intervalMs = DEFAULT_INTERVAL_MS): BrokerHealth {
  const log = logger.child({ component: 'grpc-health' });
  const current = (): ServingStatus => (broker.isConnected() ? 'SERVING' : 'NOT_SERVING');
  let status = current();
  const health = new HealthImplementation({ '': status, [PROXY_SERVICE_NAME]: status });
  health.addToServer(server);
  const set = (next: ServingStatus) => {
    // setStatus tells every Watch caller, changed or not: only changes are passed on.
    if (next === status) return;
    status = next;
    health.setStatus('', next);
    health.setStatus(PROXY_SERVICE_NAME, next);
    log.info({ status: next }, `health: ${next}`);
  };
  const timer = setInterval(() => set(current()), intervalMs);
  timer.unref();
  return {
    status: () => status,
    stop() {
      clearInterval(timer);
      set('NOT_SERVING');
    },
  };
}

import type { HostState } from '@common/jobs';
import type { CancelResponse__Output } from '@protos/generated/rex/proxy/v1/CancelResponse';
import type { ExecuteRequest } from '@protos/generated/rex/proxy/v1/ExecuteRequest';
import { AppError } from '../errors';
import type { EventSink } from './running-job';

/* What the job dispatcher (job-dispatcher.ts) needs of the world outside the jobs: the proxies' gRPC client, the smart proxy registry, /metrics. */

/** What the dispatcher needs of `proxies/proxy-client.ts` (the only gRPC client). */
export interface JobProxyClient {
  execute(url: string, request: ExecuteRequest, onEvent: EventSink, signal?: AbortSignal): Promise<void>;
  getResults(url: string, request: { execution_id: string; after_sequence: number; follow: boolean; accept_result_batches?: boolean }, onEvent: EventSink, signal?: AbortSignal): Promise<void>;
  cancel(url: string, executionId: string): Promise<CancelResponse__Output>;
}

/** A registered smart proxy as the job code needs it. */
export interface SmartProxyRef {
  id: number;
  name: string;
  url: string;
  capabilities: string[];
}

export interface SmartProxyLookup {
  findByIds(ids: number[]): Promise<SmartProxyRef[]>;
}

/** What the dispatcher reports to /metrics (metrics/metrics.ts); optional, as in unit tests. */
export interface JobMetrics {
  /** Final host states just committed. */
  hostResultsStored(states: readonly HostState[]): void;
  /** Time from the proxy receiving a reply to this instance receiving it, in seconds. */
  proxyStreamLatency(proxy: string, seconds: number): void;
  proxyStreamError(proxy: string, code: string): void;
}

/** Stands in until a proxy client is wired: every call fails UNAVAILABLE, so a job's hosts end failed saying so (no pretend run). */
export function unconfiguredProxyClient(): JobProxyClient & { listAgents(url: string): Promise<never>; getInfo(url: string): Promise<never> } {
  const fail = async (): Promise<never> => {
    throw new AppError('UNAVAILABLE', 'no proxy client is configured in this ui-extension');
  };
  return { execute: fail, getResults: fail, cancel: fail, listAgents: fail, getInfo: fail };
}

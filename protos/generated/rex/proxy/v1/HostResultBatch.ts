// Original file: protos/rex/proxy/v1/proxy.proto

import type { HostResult as _rex_proxy_v1_HostResult, HostResult__Output as _rex_proxy_v1_HostResult__Output } from '../../../rex/proxy/v1/HostResult';
import type { Long } from '@grpc/proto-loader';

/**
 * Host results of consecutive sequence numbers, sent as one event to a caller that set
 * accept_result_batches (a HostResult per message costs both ends more than the result itself).
 * results[i] has sequence first_sequence + i; the event's own sequence is the last one's, so a
 * caller that records it as its cursor and resumes after it gets every event exactly once.
 */
export interface HostResultBatch {
  'first_sequence'?: (number | string | Long);
  'results'?: (_rex_proxy_v1_HostResult)[];
}

/**
 * Host results of consecutive sequence numbers, sent as one event to a caller that set
 * accept_result_batches (a HostResult per message costs both ends more than the result itself).
 * results[i] has sequence first_sequence + i; the event's own sequence is the last one's, so a
 * caller that records it as its cursor and resumes after it gets every event exactly once.
 */
export interface HostResultBatch__Output {
  'first_sequence': (number);
  'results': (_rex_proxy_v1_HostResult__Output)[];
}

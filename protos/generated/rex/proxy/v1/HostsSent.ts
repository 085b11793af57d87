// Original file: protos/rex/proxy/v1/proxy.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The hosts of one batch, sent just before their requests are published to the broker.
 */
export interface HostsSent {
  /**
   * 1-based batch number within the execution.
   */
  'batch'?: (number);
  'identities'?: (string)[];
  'sent_at_ms'?: (number | string | Long);
}

/**
 * The hosts of one batch, sent just before their requests are published to the broker.
 */
export interface HostsSent__Output {
  /**
   * 1-based batch number within the execution.
   */
  'batch': (number);
  'identities': (string)[];
  'sent_at_ms': (number);
}

// Original file: protos/rex/proxy/v1/proxy.proto

import type { HostState as _rex_proxy_v1_HostState, HostState__Output as _rex_proxy_v1_HostState__Output } from '../../../rex/proxy/v1/HostState';
import type { HostCause as _rex_proxy_v1_HostCause, HostCause__Output as _rex_proxy_v1_HostCause__Output } from '../../../rex/proxy/v1/HostCause';
import type { Long } from '@grpc/proto-loader';

export interface HostResult {
  'identity'?: (string);
  'state'?: (_rex_proxy_v1_HostState);
  /**
   * mcorpc statuscode: 0 OK, 1 aborted, 2 unknown action, 3 missing data, 4 invalid data,
   * 5 unknown error; -1 when the host never replied.
   */
  'statuscode'?: (number);
  'statusmsg'?: (string);
  /**
   * JSON object of the reply data.
   */
  'data_json'?: (string);
  'sent_at_ms'?: (number | string | Long);
  'received_at_ms'?: (number | string | Long);
  /**
   * True when the host replied but was not among the expected identities.
   */
  'unexpected'?: (boolean);
  'cause'?: (_rex_proxy_v1_HostCause);
  /**
   * For a host without a reply: why, whole, in words an operator can act on.
   */
  'reason'?: (string);
}

export interface HostResult__Output {
  'identity': (string);
  'state': (_rex_proxy_v1_HostState__Output);
  /**
   * mcorpc statuscode: 0 OK, 1 aborted, 2 unknown action, 3 missing data, 4 invalid data,
   * 5 unknown error; -1 when the host never replied.
   */
  'statuscode': (number);
  'statusmsg': (string);
  /**
   * JSON object of the reply data.
   */
  'data_json': (string);
  'sent_at_ms': (number);
  'received_at_ms': (number);
  /**
   * True when the host replied but was not among the expected identities.
   */
  'unexpected': (boolean);
  'cause': (_rex_proxy_v1_HostCause__Output);
  /**
   * For a host without a reply: why, whole, in words an operator can act on.
   */
  'reason': (string);
}

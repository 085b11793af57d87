// Original file: protos/rex/proxy/v1/proxy.proto

import type { Filter as _rex_proxy_v1_Filter, Filter__Output as _rex_proxy_v1_Filter__Output } from '../../../rex/proxy/v1/Filter';
import type { Long } from '@grpc/proto-loader';

export interface ExecuteRequest {
  /**
   * The caller's id for this execution (the ui-extension's job id). Cancel and GetResults use it.
   */
  'execution_id'?: (string);
  'agent'?: (string);
  'action'?: (string);
  /**
   * JSON object of the action's inputs.
   */
  'arguments_json'?: (string);
  /**
   * Directed mode: exactly these identities. The execution ends as soon as all have replied.
   */
  'identities'?: (string)[];
  /**
   * Used when identities is empty: discover with this filter, then run on what was discovered.
   * With neither identities nor a filter the request is refused (INVALID_ARGUMENT) unless
   * all_nodes says it means every node of the collective.
   */
  'filter'?: (_rex_proxy_v1_Filter | null);
  /**
   * Seconds to wait for replies after the last batch was sent; 0 means the DDL's timeout.
   */
  'timeout_seconds'?: (number);
  /**
   * 0 means all at once.
   */
  'batch_size'?: (number);
  'batch_sleep_ms'?: (number);
  /**
   * Who asked, for the proxy's audit log (e.g. "admin").
   */
  'caller'?: (string);
  'collective'?: (string);
  'discovery_timeout_ms'?: (number);
  /**
   * True to run on every node the collective discovers. Required when identities and filter are
   * both empty, so that a forgotten targeting can never reach the whole fleet.
   */
  'all_nodes'?: (boolean);
  /**
   * Numbers 14-19 are free; the rollout fields start at 20.
   * The rollout's deadline (Unix milliseconds), computed once by the caller for the whole rollout
   * (every batch, sleep and chunk): no request leaves after it, a batch waits for replies at most
   * until it, and hosts whose batch did not leave in time end HOST_CAUSE_NOT_SENT. 0 means none.
   */
  'deadline_unix_ms'?: (number | string | Long);
  /**
   * True when the caller reads HostResultBatch events: the proxy may then send results that are
   * ready together as one event. Proxies older than this field, and callers that leave it false,
   * get one HostResult per event.
   */
  'accept_result_batches'?: (boolean);
}

export interface ExecuteRequest__Output {
  /**
   * The caller's id for this execution (the ui-extension's job id). Cancel and GetResults use it.
   */
  'execution_id': (string);
  'agent': (string);
  'action': (string);
  /**
   * JSON object of the action's inputs.
   */
  'arguments_json': (string);
  /**
   * Directed mode: exactly these identities. The execution ends as soon as all have replied.
   */
  'identities': (string)[];
  /**
   * Used when identities is empty: discover with this filter, then run on what was discovered.
   * With neither identities nor a filter the request is refused (INVALID_ARGUMENT) unless
   * all_nodes says it means every node of the collective.
   */
  'filter': (_rex_proxy_v1_Filter__Output | null);
  /**
   * Seconds to wait for replies after the last batch was sent; 0 means the DDL's timeout.
   */
  'timeout_seconds': (number);
  /**
   * 0 means all at once.
   */
  'batch_size': (number);
  'batch_sleep_ms': (number);
  /**
   * Who asked, for the proxy's audit log (e.g. "admin").
   */
  'caller': (string);
  'collective': (string);
  'discovery_timeout_ms': (number);
  /**
   * True to run on every node the collective discovers. Required when identities and filter are
   * both empty, so that a forgotten targeting can never reach the whole fleet.
   */
  'all_nodes': (boolean);
  /**
   * Numbers 14-19 are free; the rollout fields start at 20.
   * The rollout's deadline (Unix milliseconds), computed once by the caller for the whole rollout
   * (every batch, sleep and chunk): no request leaves after it, a batch waits for replies at most
   * until it, and hosts whose batch did not leave in time end HOST_CAUSE_NOT_SENT. 0 means none.
   */
  'deadline_unix_ms': (number);
  /**
   * True when the caller reads HostResultBatch events: the proxy may then send results that are
   * ready together as one event. Proxies older than this field, and callers that leave it false,
   * get one HostResult per event.
   */
  'accept_result_batches': (boolean);
}

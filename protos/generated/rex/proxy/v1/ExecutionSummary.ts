// Original file: protos/rex/proxy/v1/proxy.proto

import type { ExecutionState as _rex_proxy_v1_ExecutionState, ExecutionState__Output as _rex_proxy_v1_ExecutionState__Output } from '../../../rex/proxy/v1/ExecutionState';
import type { Long } from '@grpc/proto-loader';

export interface ExecutionSummary {
  'state'?: (_rex_proxy_v1_ExecutionState);
  'expected'?: (number);
  'responded'?: (number);
  'succeeded'?: (number);
  'failed'?: (number);
  'no_response'?: (number);
  'cancelled'?: (number);
  'unexpected'?: (number);
  'duration_ms'?: (number | string | Long);
  'message'?: (string);
}

export interface ExecutionSummary__Output {
  'state': (_rex_proxy_v1_ExecutionState__Output);
  'expected': (number);
  'responded': (number);
  'succeeded': (number);
  'failed': (number);
  'no_response': (number);
  'cancelled': (number);
  'unexpected': (number);
  'duration_ms': (number);
  'message': (string);
}

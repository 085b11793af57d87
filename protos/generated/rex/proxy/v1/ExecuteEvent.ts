// Original file: protos/rex/proxy/v1/proxy.proto

import type { ExecutionStarted as _rex_proxy_v1_ExecutionStarted, ExecutionStarted__Output as _rex_proxy_v1_ExecutionStarted__Output } from '../../../rex/proxy/v1/ExecutionStarted';
import type { HostResult as _rex_proxy_v1_HostResult, HostResult__Output as _rex_proxy_v1_HostResult__Output } from '../../../rex/proxy/v1/HostResult';
import type { ExecutionSummary as _rex_proxy_v1_ExecutionSummary, ExecutionSummary__Output as _rex_proxy_v1_ExecutionSummary__Output } from '../../../rex/proxy/v1/ExecutionSummary';
import type { HostsSent as _rex_proxy_v1_HostsSent, HostsSent__Output as _rex_proxy_v1_HostsSent__Output } from '../../../rex/proxy/v1/HostsSent';
import type { HostResultBatch as _rex_proxy_v1_HostResultBatch, HostResultBatch__Output as _rex_proxy_v1_HostResultBatch__Output } from '../../../rex/proxy/v1/HostResultBatch';
import type { Long } from '@grpc/proto-loader';

export interface ExecuteEvent {
  'sequence'?: (number | string | Long);
  'started'?: (_rex_proxy_v1_ExecutionStarted | null);
  'result'?: (_rex_proxy_v1_HostResult | null);
  'summary'?: (_rex_proxy_v1_ExecutionSummary | null);
  'sent'?: (_rex_proxy_v1_HostsSent | null);
  'results'?: (_rex_proxy_v1_HostResultBatch | null);
  'event'?: "started"|"result"|"summary"|"sent"|"results";
}

export interface ExecuteEvent__Output {
  'sequence': (number);
  'started'?: (_rex_proxy_v1_ExecutionStarted__Output | null);
  'result'?: (_rex_proxy_v1_HostResult__Output | null);
  'summary'?: (_rex_proxy_v1_ExecutionSummary__Output | null);
  'sent'?: (_rex_proxy_v1_HostsSent__Output | null);
  'results'?: (_rex_proxy_v1_HostResultBatch__Output | null);
  'event'?: "started"|"result"|"summary"|"sent"|"results";
}

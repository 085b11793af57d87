// Original file: protos/rex/proxy/v1/proxy.proto

import type { Long } from '@grpc/proto-loader';

export interface GetResultsRequest {
  'execution_id'?: (string);
  /**
   * Only events with a greater sequence number are sent.
   */
  'after_sequence'?: (number | string | Long);
  'follow'?: (boolean);
  /**
   * As ExecuteRequest.accept_result_batches.
   */
  'accept_result_batches'?: (boolean);
}

export interface GetResultsRequest__Output {
  'execution_id': (string);
  /**
   * Only events with a greater sequence number are sent.
   */
  'after_sequence': (number);
  'follow': (boolean);
  /**
   * As ExecuteRequest.accept_result_batches.
   */
  'accept_result_batches': (boolean);
}

// Original file: protos/rex/proxy/v1/proxy.proto


export interface CancelRequest {
  'execution_id'?: (string);
}

export interface CancelRequest__Output {
  'execution_id': (string);
}

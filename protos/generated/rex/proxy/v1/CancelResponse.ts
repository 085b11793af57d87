// Original file: protos/rex/proxy/v1/proxy.proto


export interface CancelResponse {
  'found'?: (boolean);
  'cancelled_hosts'?: (number);
}

export interface CancelResponse__Output {
  'found': (boolean);
  'cancelled_hosts': (number);
}

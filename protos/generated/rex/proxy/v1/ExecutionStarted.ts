// Original file: protos/rex/proxy/v1/proxy.proto


export interface ExecutionStarted {
  'execution_id'?: (string);
  /**
   * The broker request id (32 characters on Choria).
   */
  'request_id'?: (string);
  'expected_identities'?: (string)[];
}

export interface ExecutionStarted__Output {
  'execution_id': (string);
  /**
   * The broker request id (32 characters on Choria).
   */
  'request_id': (string);
  'expected_identities': (string)[];
}

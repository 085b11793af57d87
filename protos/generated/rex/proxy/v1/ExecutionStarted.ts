// Original file: protos/rex/proxy/v1/proxy.proto


export interface ExecutionStarted {
  'execution_id'?: (string);
  /**
   * The broker request id (32 characters on Choria).
   */
  'request_id'?: (string);
  'expected_identities'?: (string)[];
  /**
   * True when this proxy sends a HostsSent event before each batch leaves: a host not named by
   * one was never asked. Proxies older than this field leave it false, and then nothing is
   * known about a host without a result.
   */
  'reports_sent'?: (boolean);
}

export interface ExecutionStarted__Output {
  'execution_id': (string);
  /**
   * The broker request id (32 characters on Choria).
   */
  'request_id': (string);
  'expected_identities': (string)[];
  /**
   * True when this proxy sends a HostsSent event before each batch leaves: a host not named by
   * one was never asked. Proxies older than this field leave it false, and then nothing is
   * known about a host without a result.
   */
  'reports_sent': (boolean);
}

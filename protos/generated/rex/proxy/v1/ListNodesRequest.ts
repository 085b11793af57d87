// Original file: protos/rex/proxy/v1/proxy.proto


export interface ListNodesRequest {
  /**
   * How long to wait for discovery replies; 0 means the proxy's configured default.
   */
  'discovery_timeout_ms'?: (number);
  'collective'?: (string);
}

export interface ListNodesRequest__Output {
  /**
   * How long to wait for discovery replies; 0 means the proxy's configured default.
   */
  'discovery_timeout_ms': (number);
  'collective': (string);
}

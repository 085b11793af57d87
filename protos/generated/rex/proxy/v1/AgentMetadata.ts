// Original file: protos/rex/proxy/v1/ddl.proto


export interface AgentMetadata {
  'name'?: (string);
  'description'?: (string);
  'author'?: (string);
  'license'?: (string);
  'version'?: (string);
  'url'?: (string);
  /**
   * Default action timeout in seconds.
   */
  'timeout'?: (number);
  'provider'?: (string);
  'service'?: (boolean);
}

export interface AgentMetadata__Output {
  'name': (string);
  'description': (string);
  'author': (string);
  'license': (string);
  'version': (string);
  'url': (string);
  /**
   * Default action timeout in seconds.
   */
  'timeout': (number);
  'provider': (string);
  'service': (boolean);
}

// Original file: protos/rex/proxy/v1/proxy.proto


export interface Node {
  'identity'?: (string);
  /**
   * Flattened facts: nested structures use "::" between keys, as Foreman stores them.
   */
  'facts'?: ({[key: string]: string});
  'classes'?: (string)[];
  'agents'?: (string)[];
  'collectives'?: (string)[];
}

export interface Node__Output {
  'identity': (string);
  /**
   * Flattened facts: nested structures use "::" between keys, as Foreman stores them.
   */
  'facts': ({[key: string]: string});
  'classes': (string)[];
  'agents': (string)[];
  'collectives': (string)[];
}

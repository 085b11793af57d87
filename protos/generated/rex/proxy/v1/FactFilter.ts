// Original file: protos/rex/proxy/v1/proxy.proto


export interface FactFilter {
  'fact'?: (string);
  /**
   * One of ==, !=, =~, <=, >=, <, > (Choria's fact filter operators).
   */
  'operator'?: (string);
  'value'?: (string);
}

export interface FactFilter__Output {
  'fact': (string);
  /**
   * One of ==, !=, =~, <=, >=, <, > (Choria's fact filter operators).
   */
  'operator': (string);
  'value': (string);
}

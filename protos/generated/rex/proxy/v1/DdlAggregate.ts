// Original file: protos/rex/proxy/v1/ddl.proto


export interface DdlAggregate {
  /**
   * summary, sum, average, ...
   */
  'function'?: (string);
  /**
   * The first argument: the output it aggregates.
   */
  'output'?: (string);
  /**
   * JSON of the function's remaining arguments (format options).
   */
  'args_json'?: (string);
}

export interface DdlAggregate__Output {
  /**
   * summary, sum, average, ...
   */
  'function': (string);
  /**
   * The first argument: the output it aggregates.
   */
  'output': (string);
  /**
   * JSON of the function's remaining arguments (format options).
   */
  'args_json': (string);
}

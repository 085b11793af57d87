// Original file: protos/rex/proxy/v1/ddl.proto


export interface DdlInput {
  'name'?: (string);
  'prompt'?: (string);
  'description'?: (string);
  /**
   * string, integer, float, number, boolean, list, hash, array, any
   */
  'type'?: (string);
  'optional'?: (boolean);
  /**
   * For strings: a regex, or shellsafe, ipv4address, ipv6address, ipaddress, bool, ...
   */
  'validation'?: (string);
  'maxlength'?: (number);
  /**
   * Allowed values of a list input.
   */
  'list'?: (string)[];
  /**
   * JSON of the default value; empty when there is none.
   */
  'default_json'?: (string);
  /**
   * Sensitive inputs are masked in audits and logs.
   */
  'sensitive'?: (boolean);
  /**
   * Puppet type expression of a Puppet Task parameter (e.g. "Optional[String[1]]"); when set, it is
   * the rule values are checked against (protos/puppet-types.ts) and type/validation are only hints.
   */
  'puppet_type'?: (string);
}

export interface DdlInput__Output {
  'name': (string);
  'prompt': (string);
  'description': (string);
  /**
   * string, integer, float, number, boolean, list, hash, array, any
   */
  'type': (string);
  'optional': (boolean);
  /**
   * For strings: a regex, or shellsafe, ipv4address, ipv6address, ipaddress, bool, ...
   */
  'validation': (string);
  'maxlength': (number);
  /**
   * Allowed values of a list input.
   */
  'list': (string)[];
  /**
   * JSON of the default value; empty when there is none.
   */
  'default_json': (string);
  /**
   * Sensitive inputs are masked in audits and logs.
   */
  'sensitive': (boolean);
  /**
   * Puppet type expression of a Puppet Task parameter (e.g. "Optional[String[1]]"); when set, it is
   * the rule values are checked against (protos/puppet-types.ts) and type/validation are only hints.
   */
  'puppet_type': (string);
}

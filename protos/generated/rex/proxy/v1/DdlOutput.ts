// Original file: protos/rex/proxy/v1/ddl.proto


export interface DdlOutput {
  'name'?: (string);
  'description'?: (string);
  'display_as'?: (string);
  'type'?: (string);
  'default_json'?: (string);
}

export interface DdlOutput__Output {
  'name': (string);
  'description': (string);
  'display_as': (string);
  'type': (string);
  'default_json': (string);
}

// Original file: protos/rex/proxy/v1/ddl.proto

import type { DdlInput as _rex_proxy_v1_DdlInput, DdlInput__Output as _rex_proxy_v1_DdlInput__Output } from '../../../rex/proxy/v1/DdlInput';
import type { DdlOutput as _rex_proxy_v1_DdlOutput, DdlOutput__Output as _rex_proxy_v1_DdlOutput__Output } from '../../../rex/proxy/v1/DdlOutput';
import type { DdlAggregate as _rex_proxy_v1_DdlAggregate, DdlAggregate__Output as _rex_proxy_v1_DdlAggregate__Output } from '../../../rex/proxy/v1/DdlAggregate';

export interface DdlAction {
  'name'?: (string);
  'description'?: (string);
  /**
   * always, ok, failed
   */
  'display'?: (string);
  'inputs'?: (_rex_proxy_v1_DdlInput)[];
  'outputs'?: (_rex_proxy_v1_DdlOutput)[];
  'aggregates'?: (_rex_proxy_v1_DdlAggregate)[];
}

export interface DdlAction__Output {
  'name': (string);
  'description': (string);
  /**
   * always, ok, failed
   */
  'display': (string);
  'inputs': (_rex_proxy_v1_DdlInput__Output)[];
  'outputs': (_rex_proxy_v1_DdlOutput__Output)[];
  'aggregates': (_rex_proxy_v1_DdlAggregate__Output)[];
}

// Original file: protos/rex/proxy/v1/proxy.proto

import type { FactFilter as _rex_proxy_v1_FactFilter, FactFilter__Output as _rex_proxy_v1_FactFilter__Output } from '../../../rex/proxy/v1/FactFilter';

export interface Filter {
  'fact'?: (_rex_proxy_v1_FactFilter)[];
  'cf_class'?: (string)[];
  'identity'?: (string)[];
  'agent'?: (string)[];
  /**
   * Choria compound filter expression; empty for none.
   */
  'compound'?: (string);
}

export interface Filter__Output {
  'fact': (_rex_proxy_v1_FactFilter__Output)[];
  'cf_class': (string)[];
  'identity': (string)[];
  'agent': (string)[];
  /**
   * Choria compound filter expression; empty for none.
   */
  'compound': (string);
}

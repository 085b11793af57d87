// Original file: protos/rex/proxy/v1/proxy.proto

import type { Transport as _rex_proxy_v1_Transport, Transport__Output as _rex_proxy_v1_Transport__Output } from '../../../rex/proxy/v1/Transport';

export interface ProxyInfo {
  'name'?: (string);
  'version'?: (string);
  'transport'?: (_rex_proxy_v1_Transport);
  'collectives'?: (string)[];
  /**
   * e.g. "remote_execution", "choria", "mcollective", "puppet_tasks".
   */
  'capabilities'?: (string)[];
  /**
   * The broker address with any credentials removed.
   */
  'broker_url'?: (string);
  'broker_connected'?: (boolean);
  'demo'?: (boolean);
}

export interface ProxyInfo__Output {
  'name': (string);
  'version': (string);
  'transport': (_rex_proxy_v1_Transport__Output);
  'collectives': (string)[];
  /**
   * e.g. "remote_execution", "choria", "mcollective", "puppet_tasks".
   */
  'capabilities': (string)[];
  /**
   * The broker address with any credentials removed.
   */
  'broker_url': (string);
  'broker_connected': (boolean);
  'demo': (boolean);
}

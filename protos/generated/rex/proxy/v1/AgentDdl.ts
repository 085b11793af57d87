// Original file: protos/rex/proxy/v1/ddl.proto

import type { AgentMetadata as _rex_proxy_v1_AgentMetadata, AgentMetadata__Output as _rex_proxy_v1_AgentMetadata__Output } from '../../../rex/proxy/v1/AgentMetadata';
import type { DdlAction as _rex_proxy_v1_DdlAction, DdlAction__Output as _rex_proxy_v1_DdlAction__Output } from '../../../rex/proxy/v1/DdlAction';

export interface AgentDdl {
  'metadata'?: (_rex_proxy_v1_AgentMetadata | null);
  'actions'?: (_rex_proxy_v1_DdlAction)[];
  /**
   * "ddl_directory", "fleet", or "puppet_server" (the Puppet Tasks namespace `tasks`).
   */
  'source'?: (string);
}

export interface AgentDdl__Output {
  'metadata': (_rex_proxy_v1_AgentMetadata__Output | null);
  'actions': (_rex_proxy_v1_DdlAction__Output)[];
  /**
   * "ddl_directory", "fleet", or "puppet_server" (the Puppet Tasks namespace `tasks`).
   */
  'source': (string);
}

// Original file: protos/rex/proxy/v1/proxy.proto

import type { AgentDdl as _rex_proxy_v1_AgentDdl, AgentDdl__Output as _rex_proxy_v1_AgentDdl__Output } from '../../../rex/proxy/v1/AgentDdl';

export interface ListAgentsResponse {
  'agents'?: (_rex_proxy_v1_AgentDdl)[];
}

export interface ListAgentsResponse__Output {
  'agents': (_rex_proxy_v1_AgentDdl__Output)[];
}

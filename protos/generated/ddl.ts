import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentDdl as _rex_proxy_v1_AgentDdl, AgentDdl__Output as _rex_proxy_v1_AgentDdl__Output } from './rex/proxy/v1/AgentDdl';
import type { AgentMetadata as _rex_proxy_v1_AgentMetadata, AgentMetadata__Output as _rex_proxy_v1_AgentMetadata__Output } from './rex/proxy/v1/AgentMetadata';
import type { DdlAction as _rex_proxy_v1_DdlAction, DdlAction__Output as _rex_proxy_v1_DdlAction__Output } from './rex/proxy/v1/DdlAction';
import type { DdlAggregate as _rex_proxy_v1_DdlAggregate, DdlAggregate__Output as _rex_proxy_v1_DdlAggregate__Output } from './rex/proxy/v1/DdlAggregate';
import type { DdlInput as _rex_proxy_v1_DdlInput, DdlInput__Output as _rex_proxy_v1_DdlInput__Output } from './rex/proxy/v1/DdlInput';
import type { DdlOutput as _rex_proxy_v1_DdlOutput, DdlOutput__Output as _rex_proxy_v1_DdlOutput__Output } from './rex/proxy/v1/DdlOutput';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  rex: {
    proxy: {
      v1: {
        AgentDdl: MessageTypeDefinition<_rex_proxy_v1_AgentDdl, _rex_proxy_v1_AgentDdl__Output>
        AgentMetadata: MessageTypeDefinition<_rex_proxy_v1_AgentMetadata, _rex_proxy_v1_AgentMetadata__Output>
        DdlAction: MessageTypeDefinition<_rex_proxy_v1_DdlAction, _rex_proxy_v1_DdlAction__Output>
        DdlAggregate: MessageTypeDefinition<_rex_proxy_v1_DdlAggregate, _rex_proxy_v1_DdlAggregate__Output>
        DdlInput: MessageTypeDefinition<_rex_proxy_v1_DdlInput, _rex_proxy_v1_DdlInput__Output>
        DdlOutput: MessageTypeDefinition<_rex_proxy_v1_DdlOutput, _rex_proxy_v1_DdlOutput__Output>
      }
    }
  }
}


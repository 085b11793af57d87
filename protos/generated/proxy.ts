import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentDdl as _rex_proxy_v1_AgentDdl, AgentDdl__Output as _rex_proxy_v1_AgentDdl__Output } from './rex/proxy/v1/AgentDdl';
import type { AgentMetadata as _rex_proxy_v1_AgentMetadata, AgentMetadata__Output as _rex_proxy_v1_AgentMetadata__Output } from './rex/proxy/v1/AgentMetadata';
import type { CancelRequest as _rex_proxy_v1_CancelRequest, CancelRequest__Output as _rex_proxy_v1_CancelRequest__Output } from './rex/proxy/v1/CancelRequest';
import type { CancelResponse as _rex_proxy_v1_CancelResponse, CancelResponse__Output as _rex_proxy_v1_CancelResponse__Output } from './rex/proxy/v1/CancelResponse';
import type { DdlAction as _rex_proxy_v1_DdlAction, DdlAction__Output as _rex_proxy_v1_DdlAction__Output } from './rex/proxy/v1/DdlAction';
import type { DdlAggregate as _rex_proxy_v1_DdlAggregate, DdlAggregate__Output as _rex_proxy_v1_DdlAggregate__Output } from './rex/proxy/v1/DdlAggregate';
import type { DdlInput as _rex_proxy_v1_DdlInput, DdlInput__Output as _rex_proxy_v1_DdlInput__Output } from './rex/proxy/v1/DdlInput';
import type { DdlOutput as _rex_proxy_v1_DdlOutput, DdlOutput__Output as _rex_proxy_v1_DdlOutput__Output } from './rex/proxy/v1/DdlOutput';
import type { ExecuteEvent as _rex_proxy_v1_ExecuteEvent, ExecuteEvent__Output as _rex_proxy_v1_ExecuteEvent__Output } from './rex/proxy/v1/ExecuteEvent';
import type { ExecuteRequest as _rex_proxy_v1_ExecuteRequest, ExecuteRequest__Output as _rex_proxy_v1_ExecuteRequest__Output } from './rex/proxy/v1/ExecuteRequest';
import type { ExecutionStarted as _rex_proxy_v1_ExecutionStarted, ExecutionStarted__Output as _rex_proxy_v1_ExecutionStarted__Output } from './rex/proxy/v1/ExecutionStarted';
import type { ExecutionSummary as _rex_proxy_v1_ExecutionSummary, ExecutionSummary__Output as _rex_proxy_v1_ExecutionSummary__Output } from './rex/proxy/v1/ExecutionSummary';
import type { FactFilter as _rex_proxy_v1_FactFilter, FactFilter__Output as _rex_proxy_v1_FactFilter__Output } from './rex/proxy/v1/FactFilter';
import type { Filter as _rex_proxy_v1_Filter, Filter__Output as _rex_proxy_v1_Filter__Output } from './rex/proxy/v1/Filter';
import type { GetInfoRequest as _rex_proxy_v1_GetInfoRequest, GetInfoRequest__Output as _rex_proxy_v1_GetInfoRequest__Output } from './rex/proxy/v1/GetInfoRequest';
import type { GetResultsRequest as _rex_proxy_v1_GetResultsRequest, GetResultsRequest__Output as _rex_proxy_v1_GetResultsRequest__Output } from './rex/proxy/v1/GetResultsRequest';
import type { HostResult as _rex_proxy_v1_HostResult, HostResult__Output as _rex_proxy_v1_HostResult__Output } from './rex/proxy/v1/HostResult';
import type { HostResultBatch as _rex_proxy_v1_HostResultBatch, HostResultBatch__Output as _rex_proxy_v1_HostResultBatch__Output } from './rex/proxy/v1/HostResultBatch';
import type { HostsSent as _rex_proxy_v1_HostsSent, HostsSent__Output as _rex_proxy_v1_HostsSent__Output } from './rex/proxy/v1/HostsSent';
import type { ListAgentsRequest as _rex_proxy_v1_ListAgentsRequest, ListAgentsRequest__Output as _rex_proxy_v1_ListAgentsRequest__Output } from './rex/proxy/v1/ListAgentsRequest';
import type { ListAgentsResponse as _rex_proxy_v1_ListAgentsResponse, ListAgentsResponse__Output as _rex_proxy_v1_ListAgentsResponse__Output } from './rex/proxy/v1/ListAgentsResponse';
import type { ListNodesRequest as _rex_proxy_v1_ListNodesRequest, ListNodesRequest__Output as _rex_proxy_v1_ListNodesRequest__Output } from './rex/proxy/v1/ListNodesRequest';
import type { Node as _rex_proxy_v1_Node, Node__Output as _rex_proxy_v1_Node__Output } from './rex/proxy/v1/Node';
import type { ProxyInfo as _rex_proxy_v1_ProxyInfo, ProxyInfo__Output as _rex_proxy_v1_ProxyInfo__Output } from './rex/proxy/v1/ProxyInfo';
import type { ProxyServiceClient as _rex_proxy_v1_ProxyServiceClient, ProxyServiceDefinition as _rex_proxy_v1_ProxyServiceDefinition } from './rex/proxy/v1/ProxyService';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  rex: {
    proxy: {
      v1: {
        AgentDdl: MessageTypeDefinition<_rex_proxy_v1_AgentDdl, _rex_proxy_v1_AgentDdl__Output>
        AgentMetadata: MessageTypeDefinition<_rex_proxy_v1_AgentMetadata, _rex_proxy_v1_AgentMetadata__Output>
        CancelRequest: MessageTypeDefinition<_rex_proxy_v1_CancelRequest, _rex_proxy_v1_CancelRequest__Output>
        CancelResponse: MessageTypeDefinition<_rex_proxy_v1_CancelResponse, _rex_proxy_v1_CancelResponse__Output>
        DdlAction: MessageTypeDefinition<_rex_proxy_v1_DdlAction, _rex_proxy_v1_DdlAction__Output>
        DdlAggregate: MessageTypeDefinition<_rex_proxy_v1_DdlAggregate, _rex_proxy_v1_DdlAggregate__Output>
        DdlInput: MessageTypeDefinition<_rex_proxy_v1_DdlInput, _rex_proxy_v1_DdlInput__Output>
        DdlOutput: MessageTypeDefinition<_rex_proxy_v1_DdlOutput, _rex_proxy_v1_DdlOutput__Output>
        ExecuteEvent: MessageTypeDefinition<_rex_proxy_v1_ExecuteEvent, _rex_proxy_v1_ExecuteEvent__Output>
        ExecuteRequest: MessageTypeDefinition<_rex_proxy_v1_ExecuteRequest, _rex_proxy_v1_ExecuteRequest__Output>
        ExecutionStarted: MessageTypeDefinition<_rex_proxy_v1_ExecutionStarted, _rex_proxy_v1_ExecutionStarted__Output>
        ExecutionState: EnumTypeDefinition
        ExecutionSummary: MessageTypeDefinition<_rex_proxy_v1_ExecutionSummary, _rex_proxy_v1_ExecutionSummary__Output>
        FactFilter: MessageTypeDefinition<_rex_proxy_v1_FactFilter, _rex_proxy_v1_FactFilter__Output>
        Filter: MessageTypeDefinition<_rex_proxy_v1_Filter, _rex_proxy_v1_Filter__Output>
        GetInfoRequest: MessageTypeDefinition<_rex_proxy_v1_GetInfoRequest, _rex_proxy_v1_GetInfoRequest__Output>
        GetResultsRequest: MessageTypeDefinition<_rex_proxy_v1_GetResultsRequest, _rex_proxy_v1_GetResultsRequest__Output>
        HostCause: EnumTypeDefinition
        HostResult: MessageTypeDefinition<_rex_proxy_v1_HostResult, _rex_proxy_v1_HostResult__Output>
        HostResultBatch: MessageTypeDefinition<_rex_proxy_v1_HostResultBatch, _rex_proxy_v1_HostResultBatch__Output>
        HostState: EnumTypeDefinition
        HostsSent: MessageTypeDefinition<_rex_proxy_v1_HostsSent, _rex_proxy_v1_HostsSent__Output>
        ListAgentsRequest: MessageTypeDefinition<_rex_proxy_v1_ListAgentsRequest, _rex_proxy_v1_ListAgentsRequest__Output>
        ListAgentsResponse: MessageTypeDefinition<_rex_proxy_v1_ListAgentsResponse, _rex_proxy_v1_ListAgentsResponse__Output>
        ListNodesRequest: MessageTypeDefinition<_rex_proxy_v1_ListNodesRequest, _rex_proxy_v1_ListNodesRequest__Output>
        Node: MessageTypeDefinition<_rex_proxy_v1_Node, _rex_proxy_v1_Node__Output>
        ProxyInfo: MessageTypeDefinition<_rex_proxy_v1_ProxyInfo, _rex_proxy_v1_ProxyInfo__Output>
        ProxyService: SubtypeConstructor<typeof grpc.Client, _rex_proxy_v1_ProxyServiceClient> & { service: _rex_proxy_v1_ProxyServiceDefinition }
        Transport: EnumTypeDefinition
      }
    }
  }
}


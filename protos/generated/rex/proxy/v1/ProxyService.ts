// Original file: protos/rex/proxy/v1/proxy.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelRequest as _rex_proxy_v1_CancelRequest, CancelRequest__Output as _rex_proxy_v1_CancelRequest__Output } from '../../../rex/proxy/v1/CancelRequest';
import type { CancelResponse as _rex_proxy_v1_CancelResponse, CancelResponse__Output as _rex_proxy_v1_CancelResponse__Output } from '../../../rex/proxy/v1/CancelResponse';
import type { ExecuteEvent as _rex_proxy_v1_ExecuteEvent, ExecuteEvent__Output as _rex_proxy_v1_ExecuteEvent__Output } from '../../../rex/proxy/v1/ExecuteEvent';
import type { ExecuteRequest as _rex_proxy_v1_ExecuteRequest, ExecuteRequest__Output as _rex_proxy_v1_ExecuteRequest__Output } from '../../../rex/proxy/v1/ExecuteRequest';
import type { GetInfoRequest as _rex_proxy_v1_GetInfoRequest, GetInfoRequest__Output as _rex_proxy_v1_GetInfoRequest__Output } from '../../../rex/proxy/v1/GetInfoRequest';
import type { GetResultsRequest as _rex_proxy_v1_GetResultsRequest, GetResultsRequest__Output as _rex_proxy_v1_GetResultsRequest__Output } from '../../../rex/proxy/v1/GetResultsRequest';
import type { ListAgentsRequest as _rex_proxy_v1_ListAgentsRequest, ListAgentsRequest__Output as _rex_proxy_v1_ListAgentsRequest__Output } from '../../../rex/proxy/v1/ListAgentsRequest';
import type { ListAgentsResponse as _rex_proxy_v1_ListAgentsResponse, ListAgentsResponse__Output as _rex_proxy_v1_ListAgentsResponse__Output } from '../../../rex/proxy/v1/ListAgentsResponse';
import type { ListNodesRequest as _rex_proxy_v1_ListNodesRequest, ListNodesRequest__Output as _rex_proxy_v1_ListNodesRequest__Output } from '../../../rex/proxy/v1/ListNodesRequest';
import type { Node as _rex_proxy_v1_Node, Node__Output as _rex_proxy_v1_Node__Output } from '../../../rex/proxy/v1/Node';
import type { ProxyInfo as _rex_proxy_v1_ProxyInfo, ProxyInfo__Output as _rex_proxy_v1_ProxyInfo__Output } from '../../../rex/proxy/v1/ProxyInfo';

export interface ProxyServiceClient extends grpc.Client {
  /**
   * Stop a running execution: nothing new is published and hosts that have not replied end
   * HOST_STATE_CANCELLED, with cause HOST_CAUSE_NOT_SENT when their batch never left and
   * HOST_CAUSE_NO_REPLY when it did. Answers once every host has its final event.
   */
  Cancel(argument: _rex_proxy_v1_CancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_rex_proxy_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _rex_proxy_v1_CancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_rex_proxy_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _rex_proxy_v1_CancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_rex_proxy_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _rex_proxy_v1_CancelRequest, callback: grpc.requestCallback<_rex_proxy_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Stop a running execution: nothing new is published and hosts that have not replied end
   * HOST_STATE_CANCELLED, with cause HOST_CAUSE_NOT_SENT when their batch never left and
   * HOST_CAUSE_NO_REPLY when it did. Answers once every host has its final event.
   */
  cancel(argument: _rex_proxy_v1_CancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_rex_proxy_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _rex_proxy_v1_CancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_rex_proxy_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _rex_proxy_v1_CancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_rex_proxy_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _rex_proxy_v1_CancelRequest, callback: grpc.requestCallback<_rex_proxy_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Run one action. Events come in arrival order with a growing sequence number: one
   * ExecutionStarted, then for each batch one HostsSent before its requests leave, one HostResult
   * per expected host (and per unexpected responder; consecutive ones grouped in HostResultBatch
   * events when the request sets accept_result_batches), then one ExecutionSummary. Invalid arguments
   * fail the call with INVALID_ARGUMENT before anything is sent to the broker.
   */
  Execute(argument: _rex_proxy_v1_ExecuteRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_rex_proxy_v1_ExecuteEvent__Output>;
  Execute(argument: _rex_proxy_v1_ExecuteRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_rex_proxy_v1_ExecuteEvent__Output>;
  /**
   * Run one action. Events come in arrival order with a growing sequence number: one
   * ExecutionStarted, then for each batch one HostsSent before its requests leave, one HostResult
   * per expected host (and per unexpected responder; consecutive ones grouped in HostResultBatch
   * events when the request sets accept_result_batches), then one ExecutionSummary. Invalid arguments
   * fail the call with INVALID_ARGUMENT before anything is sent to the broker.
   */
  execute(argument: _rex_proxy_v1_ExecuteRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_rex_proxy_v1_ExecuteEvent__Output>;
  execute(argument: _rex_proxy_v1_ExecuteRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_rex_proxy_v1_ExecuteEvent__Output>;
  
  /**
   * Who this proxy is: name, version, transport, collectives and capabilities.
   */
  GetInfo(argument: _rex_proxy_v1_GetInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_rex_proxy_v1_ProxyInfo__Output>): grpc.ClientUnaryCall;
  GetInfo(argument: _rex_proxy_v1_GetInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_rex_proxy_v1_ProxyInfo__Output>): grpc.ClientUnaryCall;
  GetInfo(argument: _rex_proxy_v1_GetInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_rex_proxy_v1_ProxyInfo__Output>): grpc.ClientUnaryCall;
  GetInfo(argument: _rex_proxy_v1_GetInfoRequest, callback: grpc.requestCallback<_rex_proxy_v1_ProxyInfo__Output>): grpc.ClientUnaryCall;
  /**
   * Who this proxy is: name, version, transport, collectives and capabilities.
   */
  getInfo(argument: _rex_proxy_v1_GetInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_rex_proxy_v1_ProxyInfo__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _rex_proxy_v1_GetInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_rex_proxy_v1_ProxyInfo__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _rex_proxy_v1_GetInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_rex_proxy_v1_ProxyInfo__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _rex_proxy_v1_GetInfoRequest, callback: grpc.requestCallback<_rex_proxy_v1_ProxyInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * Events of an execution after a sequence number, so that a caller that lost its stream can
   * catch up. With follow=true the stream stays open until the execution ends.
   */
  GetResults(argument: _rex_proxy_v1_GetResultsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_rex_proxy_v1_ExecuteEvent__Output>;
  GetResults(argument: _rex_proxy_v1_GetResultsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_rex_proxy_v1_ExecuteEvent__Output>;
  /**
   * Events of an execution after a sequence number, so that a caller that lost its stream can
   * catch up. With follow=true the stream stays open until the execution ends.
   */
  getResults(argument: _rex_proxy_v1_GetResultsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_rex_proxy_v1_ExecuteEvent__Output>;
  getResults(argument: _rex_proxy_v1_GetResultsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_rex_proxy_v1_ExecuteEvent__Output>;
  
  /**
   * Agents known to this proxy with their DDL (from its DDL directory and what the fleet reports).
   */
  ListAgents(argument: _rex_proxy_v1_ListAgentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_rex_proxy_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  ListAgents(argument: _rex_proxy_v1_ListAgentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_rex_proxy_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  ListAgents(argument: _rex_proxy_v1_ListAgentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_rex_proxy_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  ListAgents(argument: _rex_proxy_v1_ListAgentsRequest, callback: grpc.requestCallback<_rex_proxy_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Agents known to this proxy with their DDL (from its DDL directory and what the fleet reports).
   */
  listAgents(argument: _rex_proxy_v1_ListAgentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_rex_proxy_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _rex_proxy_v1_ListAgentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_rex_proxy_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _rex_proxy_v1_ListAgentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_rex_proxy_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _rex_proxy_v1_ListAgentsRequest, callback: grpc.requestCallback<_rex_proxy_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Nodes this proxy's broker can reach, with facts, classes and agents. Streamed: a large fleet
   * with full facts exceeds the default 4 MiB message limit.
   */
  ListNodes(argument: _rex_proxy_v1_ListNodesRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_rex_proxy_v1_Node__Output>;
  ListNodes(argument: _rex_proxy_v1_ListNodesRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_rex_proxy_v1_Node__Output>;
  /**
   * Nodes this proxy's broker can reach, with facts, classes and agents. Streamed: a large fleet
   * with full facts exceeds the default 4 MiB message limit.
   */
  listNodes(argument: _rex_proxy_v1_ListNodesRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_rex_proxy_v1_Node__Output>;
  listNodes(argument: _rex_proxy_v1_ListNodesRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_rex_proxy_v1_Node__Output>;
  
}

export interface ProxyServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Stop a running execution: nothing new is published and hosts that have not replied end
   * HOST_STATE_CANCELLED, with cause HOST_CAUSE_NOT_SENT when their batch never left and
   * HOST_CAUSE_NO_REPLY when it did. Answers once every host has its final event.
   */
  Cancel: grpc.handleUnaryCall<_rex_proxy_v1_CancelRequest__Output, _rex_proxy_v1_CancelResponse>;
  
  /**
   * Run one action. Events come in arrival order with a growing sequence number: one
   * ExecutionStarted, then for each batch one HostsSent before its requests leave, one HostResult
   * per expected host (and per unexpected responder; consecutive ones grouped in HostResultBatch
   * events when the request sets accept_result_batches), then one ExecutionSummary. Invalid arguments
   * fail the call with INVALID_ARGUMENT before anything is sent to the broker.
   */
  Execute: grpc.handleServerStreamingCall<_rex_proxy_v1_ExecuteRequest__Output, _rex_proxy_v1_ExecuteEvent>;
  
  /**
   * Who this proxy is: name, version, transport, collectives and capabilities.
   */
  GetInfo: grpc.handleUnaryCall<_rex_proxy_v1_GetInfoRequest__Output, _rex_proxy_v1_ProxyInfo>;
  
  /**
   * Events of an execution after a sequence number, so that a caller that lost its stream can
   * catch up. With follow=true the stream stays open until the execution ends.
   */
  GetResults: grpc.handleServerStreamingCall<_rex_proxy_v1_GetResultsRequest__Output, _rex_proxy_v1_ExecuteEvent>;
  
  /**
   * Agents known to this proxy with their DDL (from its DDL directory and what the fleet reports).
   */
  ListAgents: grpc.handleUnaryCall<_rex_proxy_v1_ListAgentsRequest__Output, _rex_proxy_v1_ListAgentsResponse>;
  
  /**
   * Nodes this proxy's broker can reach, with facts, classes and agents. Streamed: a large fleet
   * with full facts exceeds the default 4 MiB message limit.
   */
  ListNodes: grpc.handleServerStreamingCall<_rex_proxy_v1_ListNodesRequest__Output, _rex_proxy_v1_Node>;
  
}

export interface ProxyServiceDefinition extends grpc.ServiceDefinition {
  Cancel: MethodDefinition<_rex_proxy_v1_CancelRequest, _rex_proxy_v1_CancelResponse, _rex_proxy_v1_CancelRequest__Output, _rex_proxy_v1_CancelResponse__Output>
  Execute: MethodDefinition<_rex_proxy_v1_ExecuteRequest, _rex_proxy_v1_ExecuteEvent, _rex_proxy_v1_ExecuteRequest__Output, _rex_proxy_v1_ExecuteEvent__Output>
  GetInfo: MethodDefinition<_rex_proxy_v1_GetInfoRequest, _rex_proxy_v1_ProxyInfo, _rex_proxy_v1_GetInfoRequest__Output, _rex_proxy_v1_ProxyInfo__Output>
  GetResults: MethodDefinition<_rex_proxy_v1_GetResultsRequest, _rex_proxy_v1_ExecuteEvent, _rex_proxy_v1_GetResultsRequest__Output, _rex_proxy_v1_ExecuteEvent__Output>
  ListAgents: MethodDefinition<_rex_proxy_v1_ListAgentsRequest, _rex_proxy_v1_ListAgentsResponse, _rex_proxy_v1_ListAgentsRequest__Output, _rex_proxy_v1_ListAgentsResponse__Output>
  ListNodes: MethodDefinition<_rex_proxy_v1_ListNodesRequest, _rex_proxy_v1_Node, _rex_proxy_v1_ListNodesRequest__Output, _rex_proxy_v1_Node__Output>
}

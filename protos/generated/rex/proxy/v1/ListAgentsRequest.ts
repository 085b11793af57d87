// Original file: protos/rex/proxy/v1/proxy.proto


export interface ListAgentsRequest {
}

export interface ListAgentsRequest__Output {
}

// Original file: protos/rex/proxy/v1/proxy.proto


export interface GetInfoRequest {
}

export interface GetInfoRequest__Output {
}

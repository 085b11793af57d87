// Original file: protos/rex/proxy/v1/proxy.proto

export const HostState = {
  HOST_STATE_UNSPECIFIED: 'HOST_STATE_UNSPECIFIED',
  HOST_STATE_SUCCEEDED: 'HOST_STATE_SUCCEEDED',
  HOST_STATE_FAILED: 'HOST_STATE_FAILED',
  HOST_STATE_NO_RESPONSE: 'HOST_STATE_NO_RESPONSE',
  HOST_STATE_CANCELLED: 'HOST_STATE_CANCELLED',
} as const;

export type HostState =
  | 'HOST_STATE_UNSPECIFIED'
  | 0
  | 'HOST_STATE_SUCCEEDED'
  | 1
  | 'HOST_STATE_FAILED'
  | 2
  | 'HOST_STATE_NO_RESPONSE'
  | 3
  | 'HOST_STATE_CANCELLED'
  | 4

export type HostState__Output = typeof HostState[keyof typeof HostState]

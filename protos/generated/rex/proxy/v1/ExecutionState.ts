// Original file: protos/rex/proxy/v1/proxy.proto

export const ExecutionState = {
  EXECUTION_STATE_UNSPECIFIED: 'EXECUTION_STATE_UNSPECIFIED',
  EXECUTION_STATE_COMPLETED: 'EXECUTION_STATE_COMPLETED',
  EXECUTION_STATE_CANCELLED: 'EXECUTION_STATE_CANCELLED',
  /**
   * The broker failed mid-execution; unanswered hosts end NO_RESPONSE.
   */
  EXECUTION_STATE_BROKER_FAILED: 'EXECUTION_STATE_BROKER_FAILED',
} as const;

export type ExecutionState =
  | 'EXECUTION_STATE_UNSPECIFIED'
  | 0
  | 'EXECUTION_STATE_COMPLETED'
  | 1
  | 'EXECUTION_STATE_CANCELLED'
  | 2
  /**
   * The broker failed mid-execution; unanswered hosts end NO_RESPONSE.
   */
  | 'EXECUTION_STATE_BROKER_FAILED'
  | 3

export type ExecutionState__Output = typeof ExecutionState[keyof typeof ExecutionState]

// Original file: protos/rex/proxy/v1/proxy.proto

export const ExecutionState = {
  EXECUTION_STATE_UNSPECIFIED: 'EXECUTION_STATE_UNSPECIFIED',
  EXECUTION_STATE_COMPLETED: 'EXECUTION_STATE_COMPLETED',
  EXECUTION_STATE_CANCELLED: 'EXECUTION_STATE_CANCELLED',
  /**
   * The broker failed mid-execution, or stayed unreachable until the deadline; unanswered hosts end
   * NO_RESPONSE and hosts never sent FAILED with HOST_CAUSE_NOT_SENT.
   */
  EXECUTION_STATE_BROKER_FAILED: 'EXECUTION_STATE_BROKER_FAILED',
  /**
   * The deadline passed before every batch left; the rest end CANCELLED with HOST_CAUSE_NOT_SENT.
   */
  EXECUTION_STATE_DEADLINE_PASSED: 'EXECUTION_STATE_DEADLINE_PASSED',
} as const;

export type ExecutionState =
  | 'EXECUTION_STATE_UNSPECIFIED'
  | 0
  | 'EXECUTION_STATE_COMPLETED'
  | 1
  | 'EXECUTION_STATE_CANCELLED'
  | 2
  /**
   * The broker failed mid-execution, or stayed unreachable until the deadline; unanswered hosts end
   * NO_RESPONSE and hosts never sent FAILED with HOST_CAUSE_NOT_SENT.
   */
  | 'EXECUTION_STATE_BROKER_FAILED'
  | 3
  /**
   * The deadline passed before every batch left; the rest end CANCELLED with HOST_CAUSE_NOT_SENT.
   */
  | 'EXECUTION_STATE_DEADLINE_PASSED'
  | 4

export type ExecutionState__Output = typeof ExecutionState[keyof typeof ExecutionState]

// Original file: protos/rex/proxy/v1/proxy.proto

/**
 * Why a host ended the way it did, as far as the proxy knows.
 */
export const HostCause = {
  /**
   * A reply (state SUCCEEDED or FAILED with the node's statuscode), or a proxy older than this field.
   */
  HOST_CAUSE_UNSPECIFIED: 'HOST_CAUSE_UNSPECIFIED',
  /**
   * Never asked: its batch did not leave (cancel, the deadline, the broker unreachable); it did not run.
   */
  HOST_CAUSE_NOT_SENT: 'HOST_CAUSE_NOT_SENT',
  /**
   * Asked, and no reply came before the timeout, the deadline or the cancel; it may have run.
   */
  HOST_CAUSE_NO_REPLY: 'HOST_CAUSE_NO_REPLY',
  /**
   * Asked, and refused by security: its reply failed the security check (MCollective psk, Choria
   * signature), or no node accepted this proxy's requests at all (e.g. a psk the nodes do not share).
   */
  HOST_CAUSE_SECURITY: 'HOST_CAUSE_SECURITY',
} as const;

/**
 * Why a host ended the way it did, as far as the proxy knows.
 */
export type HostCause =
  /**
   * A reply (state SUCCEEDED or FAILED with the node's statuscode), or a proxy older than this field.
   */
  | 'HOST_CAUSE_UNSPECIFIED'
  | 0
  /**
   * Never asked: its batch did not leave (cancel, the deadline, the broker unreachable); it did not run.
   */
  | 'HOST_CAUSE_NOT_SENT'
  | 1
  /**
   * Asked, and no reply came before the timeout, the deadline or the cancel; it may have run.
   */
  | 'HOST_CAUSE_NO_REPLY'
  | 2
  /**
   * Asked, and refused by security: its reply failed the security check (MCollective psk, Choria
   * signature), or no node accepted this proxy's requests at all (e.g. a psk the nodes do not share).
   */
  | 'HOST_CAUSE_SECURITY'
  | 3

/**
 * Why a host ended the way it did, as far as the proxy knows.
 */
export type HostCause__Output = typeof HostCause[keyof typeof HostCause]

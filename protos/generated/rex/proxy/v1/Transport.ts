// Original file: protos/rex/proxy/v1/proxy.proto

export const Transport = {
  TRANSPORT_UNSPECIFIED: 'TRANSPORT_UNSPECIFIED',
  TRANSPORT_CHORIA: 'TRANSPORT_CHORIA',
  TRANSPORT_MCOLLECTIVE: 'TRANSPORT_MCOLLECTIVE',
  /**
   * In-process fleet used by the all-in-one demo start; never a real broker.
   */
  TRANSPORT_DEMO: 'TRANSPORT_DEMO',
} as const;

export type Transport =
  | 'TRANSPORT_UNSPECIFIED'
  | 0
  | 'TRANSPORT_CHORIA'
  | 1
  | 'TRANSPORT_MCOLLECTIVE'
  | 2
  /**
   * In-process fleet used by the all-in-one demo start; never a real broker.
   */
  | 'TRANSPORT_DEMO'
  | 3

export type Transport__Output = typeof Transport[keyof typeof Transport]

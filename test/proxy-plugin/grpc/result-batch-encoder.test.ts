import type { ExecuteEvent } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { HostResult } from '@protos/generated/rex/proxy/v1/HostResult';
import { loadProxyProto } from '@protos/load';
import type { HostResultEvent } from '@proxy/actions/executions';
import { nextMessage } from '@proxy/grpc/event-stream';
import { encodeResultEvent, withResultBatchEncoder } from '@proxy/grpc/result-batch-encoder';

const { Execute } = loadProxyProto().rex.proxy.v1.ProxyService.service;
/** proto-loader's own serializer: the reference the hand-written bytes must equal. */
const generic = (event: ExecuteEvent): Buffer => Execute.responseSerialize(event);

const result = (overrides: Partial<HostResult> = {}): HostResult => ({
  identity: 'node1.example.com',
  state: 'HOST_STATE_SUCCEEDED',
  statuscode: 0,
  statusmsg: 'OK',
  data_json: '{"pong":1733500000}',
  sent_at_ms: 1_733_500_000_123,
  received_at_ms: 1_733_500_000_456,
  unexpected: false,
  cause: 'HOST_CAUSE_UNSPECIFIED',
  reason: '',
  ...overrides,
});

const batch = (results: HostResult[], sequence = 7, first = 3): ExecuteEvent => ({ sequence, results: { first_sequence: first, results } });

function expectSameBytes(event: ExecuteEvent): void {
  const fast = encodeResultEvent(event);
  expect(fast).toBeDefined();
  expect(fast!.toString('hex')).toBe(generic(event).toString('hex'));
}

describe(encodeResultEvent.name, () => {
  it('writes the bytes of proto-loader for every field, zero values included', () => {
    expectSameBytes(batch([result()]));
    expectSameBytes(batch([result({ identity: '', statusmsg: '', data_json: '', reason: '', statuscode: 0, sent_at_ms: 0, received_at_ms: 0 })], 0, 0));
  });

  it('writes every state and cause, unexpected replies and a negative statuscode as proto-loader does', () => {
    const states = ['HOST_STATE_UNSPECIFIED', 'HOST_STATE_SUCCEEDED', 'HOST_STATE_FAILED', 'HOST_STATE_NO_RESPONSE', 'HOST_STATE_CANCELLED'] as const;
    const causes = ['HOST_CAUSE_UNSPECIFIED', 'HOST_CAUSE_NOT_SENT', 'HOST_CAUSE_NO_REPLY', 'HOST_CAUSE_SECURITY'] as const;
    const results = states.flatMap((state, i) =>
      causes.map((cause, j) => result({ state, cause, statuscode: [-1, 0, 1, 5, 2_147_483_647, -2_147_483_648][(i + j) % 6], unexpected: (i + j) % 2 === 0, reason: `${state} ${cause}` })),
    );
    expectSameBytes(batch(results));
  });

  it('writes multi-byte lengths and non-ASCII text (varint lengths past 127 and 16383, UTF-8 of 2, 3 and 4 bytes)', () => {
    const big = JSON.stringify({ out: 'é€😀'.repeat(3000), n: 2 ** 70 });
    expectSameBytes(batch([result({ data_json: big, statusmsg: 'x'.repeat(200), identity: 'nœud-😀.example', reason: 'whole 😀 pair' })], 2 ** 40, 2 ** 40 - 1));
    expectSameBytes(batch(Array.from({ length: 500 }, (_, i) => result({ identity: `scale-p1-${i}`, data_json: `{"pong":${i}}` })), 600, 101));
  });

  it('decodes to the results it was given', () => {
    const event = batch([result(), result({ identity: 'n2', state: 'HOST_STATE_NO_RESPONSE', statuscode: -1, cause: 'HOST_CAUSE_NO_REPLY', reason: 'asked; no reply' })]);
    const decoded = Execute.responseDeserialize(encodeResultEvent(event)!);
    expect(decoded.results!.results.map((r) => [r.identity, r.state, r.statuscode, r.cause, r.sent_at_ms])).toEqual([
      ['node1.example.com', 'HOST_STATE_SUCCEEDED', 0, 'HOST_CAUSE_UNSPECIFIED', 1_733_500_000_123],
      ['n2', 'HOST_STATE_NO_RESPONSE', -1, 'HOST_CAUSE_NO_REPLY', 1_733_500_000_123],
    ]);
    expect(decoded.results!.first_sequence).toBe(3);
    expect(decoded.sequence).toBe(7);
  });

  it('writes an event of one result as proto-loader does', () => {
    for (const one of [result(), result({ statuscode: -1, state: 'HOST_STATE_NO_RESPONSE', cause: 'HOST_CAUSE_NO_REPLY', reason: 'asked; no reply', received_at_ms: 0 }), result({ data_json: 'é'.repeat(400) })]) {
      expectSameBytes({ sequence: 9, result: one });
    }
  });

  it('leaves other events and values it does not handle to proto-loader', () => {
    expect(encodeResultEvent({ sequence: 1, started: { execution_id: 'x', request_id: '', expected_identities: [], reports_sent: true } })).toBeUndefined();
    expect(encodeResultEvent(batch([result({ state: 'HOST_STATE_NOPE' as never })]))).toBeUndefined();
    expect(encodeResultEvent(batch([result({ sent_at_ms: -5 })]))).toBeUndefined();
    expect(encodeResultEvent(batch([result({ received_at_ms: '12' })]))).toBeUndefined();
    expect(encodeResultEvent(batch([result({ statuscode: 2 ** 31 })]))).toBeUndefined();
    expect(encodeResultEvent({ sequence: 3, result: result({ sent_at_ms: 1.5 }) })).toBeUndefined();
    // A lone surrogate: Buffer and protobufjs would write different bytes for it.
    expect(encodeResultEvent(batch([result({ statusmsg: 'half \ud800 pair' })]))).toBeUndefined();
    // Another member of the oneof beside the result (the stream never builds one): proto-loader decides.
    const summary = { state: 'EXECUTION_STATE_COMPLETED' as const, expected: 1, responded: 1, succeeded: 1, failed: 0, no_response: 0, cancelled: 0, unexpected: 0, duration_ms: 1, message: '' };
    expect(encodeResultEvent({ sequence: 5, result: result(), summary })).toBeUndefined();
    expect(encodeResultEvent({ ...batch([result()]), sent: { batch: 1, identities: ['a'], sent_at_ms: 1 } })).toBeUndefined();
  });

  it('serializes through the wrapper: batches by hand, the rest (and what the encoder refuses) by proto-loader, byte for byte', () => {
    const serialize = withResultBatchEncoder(generic);
    const events: ExecuteEvent[] = [
      { sequence: 1, started: { execution_id: 'x', request_id: '', expected_identities: ['a', 'b'], reports_sent: true } },
      { sequence: 2, result: result() },
      { sequence: 3, result: result({ state: 'HOST_STATE_NOPE' as never }) },
      batch([result(), result({ identity: 'b' })], 4, 3),
      batch([result({ sent_at_ms: '17' })], 5, 5),
      batch([result({ reason: 'half \udc00 pair' })], 6, 6),
    ];
    for (const event of events) expect(serialize(event).toString('hex')).toBe(generic(event).toString('hex'));
  });

  it('encodes what the event stream sends, exactly as proto-loader does', () => {
    const events: HostResultEvent[] = Array.from({ length: 40 }, (_, i) => ({
      kind: 'result',
      sequence: i + 2,
      identity: `host-${i}`,
      state: (['SUCCEEDED', 'FAILED', 'NO_RESPONSE', 'CANCELLED'] as const)[i % 4],
      statuscode: i % 4 === 0 ? 0 : i % 4 === 1 ? 4 : -1,
      statusmsg: i % 4 === 0 ? 'OK' : 'nope',
      dataJson: `{"i":${i},"f":0.0}`,
      sentAtMs: 1_700_000_000_000 + i,
      receivedAtMs: i % 4 < 2 ? 1_700_000_000_500 + i : 0,
      unexpected: i === 5,
      cause: (['UNSPECIFIED', 'UNSPECIFIED', 'NO_REPLY', 'NOT_SENT'] as const)[i % 4],
      reason: i % 4 < 2 ? '' : 'why',
    }));
    const { message } = nextMessage(events, 0, true);
    expect(message.results?.results).toHaveLength(40);
    expectSameBytes(message);
  });
});

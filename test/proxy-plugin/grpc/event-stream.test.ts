import type { ExecutionEvent, HostResultEvent } from '@proxy/actions/executions';
import { MAX_BATCH_CHARS, MAX_BATCH_RESULTS, nextMessage } from '@proxy/grpc/event-stream';

const result = (sequence: number, dataJson = '{}'): HostResultEvent => ({
  kind: 'result',
  sequence,
  identity: `n${sequence}`,
  state: 'SUCCEEDED',
  statuscode: 0,
  statusmsg: 'OK',
  dataJson,
  sentAtMs: 1,
  receivedAtMs: 2,
  unexpected: false,
  cause: 'UNSPECIFIED',
  reason: '',
});

const started: ExecutionEvent = { kind: 'started', sequence: 1, executionId: 'x', requestId: '', expectedIdentities: [], reportsSent: true };

/** Splits the log into messages from the start, as the stream does. */
function messages(events: ExecutionEvent[], batches: boolean) {
  const out = [];
  for (let cursor = 0; cursor < events.length; ) {
    const { message, next } = nextMessage(events, cursor, batches);
    out.push(message);
    cursor = next;
  }
  return out;
}

describe(nextMessage.name, () => {
  it('sends one result per event to a caller that does not accept batches', () => {
    const events = [started, result(2), result(3)];
    expect(messages(events, false).map((m) => [m.sequence, m.result?.identity])).toEqual([[1, undefined], [2, 'n2'], [3, 'n3']]);
  });

  it('puts consecutive results in one batch whose sequence is its last result, and a lone result in an event of its own', () => {
    const events = [started, result(2), result(3), result(4), { ...started, kind: 'sent', sequence: 5, batch: 2, identities: [], sentAtMs: 0 } as ExecutionEvent, result(6)];
    const out = messages(events, true);
    expect(out.map((m) => m.sequence)).toEqual([1, 4, 5, 6]);
    expect(out[1].results).toMatchObject({ first_sequence: 2, results: [{ identity: 'n2' }, { identity: 'n3' }, { identity: 'n4' }] });
    expect(out[3].result?.identity).toBe('n6');
  });

  it('caps a batch by its number of results and by the size of their text', () => {
    const many = Array.from({ length: MAX_BATCH_RESULTS + 10 }, (_, i) => result(i + 1));
    expect(messages(many, true).map((m) => m.results?.results?.length ?? 1)).toEqual([MAX_BATCH_RESULTS, 10]);
    const big = `"${'x'.repeat(MAX_BATCH_CHARS / 2)}"`;
    expect(messages([result(1, big), result(2, big), result(3, big), result(4)], true).map((m) => m.sequence)).toEqual([2, 4]);
  });
});

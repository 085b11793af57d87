import { EventEmitter } from 'node:events';
import type { ServerWritableStream } from '@grpc/grpc-js';

import type { ExecuteEvent } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { Execution, ExecutionEvent, HostResultEvent } from '@proxy/actions/executions';
import { LIVE_BATCH_WINDOW_MS, MAX_BATCH_CHARS, MAX_BATCH_RESULTS, nextMessage, streamEvents } from '@proxy/grpc/event-stream';

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

/** An execution whose log the test appends to, and a stream that keeps what is written. */
function liveExecution() {
  const events: ExecutionEvent[] = [started];
  const listeners = new Set<() => void>();
  const execution: Execution = {
    id: 'x',
    events,
    isFinished: () => events.at(-1)?.kind === 'summary',
    onChange: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    done: new Promise(() => {}),
  };
  const append = (event: ExecutionEvent): void => {
    events.push(event);
    for (const listener of listeners) listener();
  };
  const call = Object.assign(new EventEmitter(), { written: [] as ExecuteEvent[], ended: false, write(message: ExecuteEvent) { this.written.push(message); return true; }, end() { this.ended = true; } });
  return { execution, append, call, stream: call as unknown as ServerWritableStream<unknown, ExecuteEvent> };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe(streamEvents.name, () => {
  afterEach(() => jest.useRealTimers());

  it('gathers live results of several turns of the event loop into one batch, written within the window', async () => {
    // The window's timer is faked (turns of the event loop are not): on a loaded machine three real turns
    // may take longer than the 5 ms window, which split the batch once in CI.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    const { execution, append, call, stream } = liveExecution();
    const done = streamEvents(stream, execution, 0, true, true);
    expect(call.written.map((m) => m.sequence)).toEqual([1]);
    for (const sequence of [2, 3, 4]) {
      append(result(sequence));
      await turn();
    }
    expect(call.written).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(LIVE_BATCH_WINDOW_MS);
    expect(call.written.map((m) => m.results?.results?.map((r) => r.identity))).toEqual([undefined, ['n2', 'n3', 'n4']]);
    append({ kind: 'summary', sequence: 5, state: 'COMPLETED', expected: 3, responded: 3, succeeded: 3, failed: 0, noResponse: 0, cancelled: 0, unexpected: 0, durationMs: 1, message: '' });
    await done;
    expect(call.written.map((m) => m.sequence)).toEqual([1, 4, 5]);
    expect(call.ended).toBe(true);
  });

  it('writes a HostsSent at once, with the results queued before it, even to a caller that takes batches', () => {
    const { execution, append, call, stream } = liveExecution();
    void streamEvents(stream, execution, 0, true, true);
    append(result(2));
    expect(call.written).toHaveLength(1);
    // Asked hosts must be on their way to the ui-extension before a kill could take them with it.
    append({ kind: 'sent', sequence: 3, batch: 1, identities: ['a'], sentAtMs: 1 });
    expect(call.written.map((m) => m.result?.identity ?? m.sent?.identities)).toEqual([undefined, 'n2', ['a']]);
    call.emit('cancelled');
  });

  it('writes each live event at once to a caller without batches', () => {
    const { execution, append, call, stream } = liveExecution();
    void streamEvents(stream, execution, 0, true, false);
    append(result(2));
    append(result(3));
    expect(call.written.map((m) => m.result?.identity ?? m.sequence)).toEqual([1, 'n2', 'n3']);
    call.emit('cancelled');
  });
});

/**
 * An execution's event log as rex.proxy.v1 ExecuteEvents on a server stream (Execute, GetResults):
 * from a cursor, then live, with write back-pressure. A caller that accepts result batches gets the
 * results that are ready together as one HostResultBatch event (issue 20: one gRPC message per host
 * cost both ends more than the result itself); the others get one HostResult per event.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';

import type { ExecuteEvent } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { HostResult } from '@protos/generated/rex/proxy/v1/HostResult';
import type { Execution, ExecutionEvent, HostCause, HostResultEvent, HostState } from '@proxy/actions/executions';

/** At most this many results per batch event. */
export const MAX_BATCH_RESULTS = 500;
/** A batch closes once its results' text passes this many characters (reply data can be large). */
export const MAX_BATCH_CHARS = 1024 * 1024;

/** The proto enum names, built once: a template string per result allocated a new string to hash (issue 20). */
const PROTO_HOST_STATE = { SUCCEEDED: 'HOST_STATE_SUCCEEDED', FAILED: 'HOST_STATE_FAILED', NO_RESPONSE: 'HOST_STATE_NO_RESPONSE', CANCELLED: 'HOST_STATE_CANCELLED' } as const satisfies Record<HostState, string>;
const PROTO_HOST_CAUSE = { UNSPECIFIED: 'HOST_CAUSE_UNSPECIFIED', NOT_SENT: 'HOST_CAUSE_NOT_SENT', NO_REPLY: 'HOST_CAUSE_NO_REPLY', SECURITY: 'HOST_CAUSE_SECURITY' } as const satisfies Record<HostCause, string>;

function toProtoResult(event: HostResultEvent): HostResult {
  return {
    identity: event.identity,
    state: PROTO_HOST_STATE[event.state],
    statuscode: event.statuscode,
    statusmsg: event.statusmsg,
    data_json: event.dataJson,
    sent_at_ms: event.sentAtMs,
    received_at_ms: event.receivedAtMs,
    unexpected: event.unexpected,
    cause: PROTO_HOST_CAUSE[event.cause],
    reason: event.reason,
  };
}

export function toProtoEvent(event: ExecutionEvent): ExecuteEvent {
  switch (event.kind) {
    case 'started':
      return {
        sequence: event.sequence,
        started: { execution_id: event.executionId, request_id: event.requestId, expected_identities: event.expectedIdentities as string[], reports_sent: event.reportsSent },
      };
    case 'sent':
      return { sequence: event.sequence, sent: { batch: event.batch, identities: event.identities as string[], sent_at_ms: event.sentAtMs } };
    case 'result':
      return { sequence: event.sequence, result: toProtoResult(event) };
    case 'summary':
      return {
        sequence: event.sequence,
        summary: {
          state: `EXECUTION_STATE_${event.state}`,
          expected: event.expected,
          responded: event.responded,
          succeeded: event.succeeded,
          failed: event.failed,
          no_response: event.noResponse,
          cancelled: event.cancelled,
          unexpected: event.unexpected,
          duration_ms: event.durationMs,
          message: event.message,
        },
      };
  }
}

/**
 * The event at `cursor` and, when batches are accepted and it is a result, the results right after
 * it (consecutive sequences, capped): one message, and the cursor after what it holds.
 */
export function nextMessage(events: readonly ExecutionEvent[], cursor: number, batches: boolean): { message: ExecuteEvent; next: number } {
  const first = events[cursor];
  if (!batches || first.kind !== 'result') return { message: toProtoEvent(first), next: cursor + 1 };
  let end = cursor;
  let chars = 0;
  while (end < events.length && end - cursor < MAX_BATCH_RESULTS && chars < MAX_BATCH_CHARS) {
    const e = events[end];
    if (e.kind !== 'result') break;
    chars += e.identity.length + e.statusmsg.length + e.dataJson.length + e.reason.length;
    end++;
  }
  if (end === cursor + 1) return { message: toProtoEvent(first), next: end };
  const results: HostResult[] = [];
  for (let i = cursor; i < end; i++) results.push(toProtoResult(events[i] as HostResultEvent));
  return { message: { sequence: events[end - 1].sequence, results: { first_sequence: first.sequence, results } }, next: end };
}

/**
 * With batches, live events are gathered this long before they are written: replies reach a proxy a
 * few per socket read, so one write per turn of the event loop sent most results one per message, and
 * each message costs both ends more than its result (issue 20). The wait bounds the added latency.
 */
export const LIVE_BATCH_WINDOW_MS = 5;

/**
 * Writes the events after `afterSequence`, then (with follow) the live ones until the summary.
 * Sequences are 1, 2, 3, ..., so the cursor is an index into the log. With batches, live results are
 * written at most {@link LIVE_BATCH_WINDOW_MS} after the first of them, together; any other event at once
 * (with the results queued before it).
 */
export function streamEvents(call: ServerWritableStream<unknown, ExecuteEvent>, execution: Execution, afterSequence: number, follow: boolean, batches = false): Promise<void> {
  return new Promise((resolve) => {
    let cursor = Math.min(Math.max(0, afterSequence), execution.events.length);
    let waitingForDrain = false;
    let closed = false;
    let scheduled: NodeJS.Timeout | undefined;
    const close = (): void => {
      if (closed) return;
      closed = true;
      if (scheduled) clearTimeout(scheduled);
      unsubscribe();
      call.off('drain', onDrain);
      resolve();
    };
    const pump = (): void => {
      if (scheduled) clearTimeout(scheduled);
      scheduled = undefined;
      if (closed || waitingForDrain) return;
      const { events } = execution;
      while (cursor < events.length) {
        const { message, next } = nextMessage(events, cursor, batches);
        cursor = next;
        if (!call.write(message)) {
          waitingForDrain = true;
          return;
        }
      }
      if (!follow || execution.isFinished()) {
        call.end();
        close();
      }
    };
    const onDrain = (): void => {
      waitingForDrain = false;
      pump();
    };
    const onChange = (): void => {
      // Only results wait for company: a HostsSent (or started, summary) goes out at once, since a
      // proxy killed in the window would leave hosts that were asked reading "never asked".
      if (!batches || execution.events[execution.events.length - 1]?.kind !== 'result') return pump();
      scheduled ??= setTimeout(pump, LIVE_BATCH_WINDOW_MS);
    };
    const unsubscribe = execution.onChange(onChange);
    call.on('drain', onDrain);
    // The client went away: the execution runs on, and GetResults lets it catch up later.
    call.on('cancelled', close);
    call.on('error', close);
    pump();
  });
}

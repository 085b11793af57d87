import type { HostResult__Output } from '@protos/generated/rex/proxy/v1/HostResult';
import { outcomeOfResult, outcomeWithoutResult } from '@server/jobs/host-outcomes';

function aResult(fields: Partial<HostResult__Output>): HostResult__Output {
  return { identity: 'web-1', state: 'HOST_STATE_SUCCEEDED', statuscode: 0, statusmsg: 'OK', data_json: '{"a":1}', sent_at_ms: 1000, received_at_ms: 2000, unexpected: false, cause: 'HOST_CAUSE_UNSPECIFIED', reason: '', ...fields };
}

describe(outcomeOfResult.name, () => {
  it('keeps a reply with its statuscode, data and the time its request was sent', () => {
    expect(outcomeOfResult(aResult({}))).toEqual({ state: 'succeeded', statuscode: 0, statusmsg: 'OK', data: '{"a":1}', finishedAt: new Date(2000), sentAt: new Date(1000) });
  });

  it('records a host cancelled after its request left as no_response: it may have run', () => {
    expect(outcomeOfResult(aResult({ state: 'HOST_STATE_CANCELLED', cause: 'HOST_CAUSE_NO_REPLY', reason: 'asked; the execution was cancelled before the host replied', received_at_ms: 0 }))).toMatchObject({
      state: 'no_response', reason: 'asked; the execution was cancelled before the host replied', sentAt: new Date(1000),
    });
  });

  it('records a host never sent cancelled, without a sent time, with the proxy\'s reason', () => {
    expect(outcomeOfResult(aResult({ state: 'HOST_STATE_CANCELLED', cause: 'HOST_CAUSE_NOT_SENT', reason: "not sent: the job's deadline passed before batch 3 left", sent_at_ms: 0, received_at_ms: 0 }))).toEqual({
      state: 'cancelled', reason: "not sent: the job's deadline passed before batch 3 left", sentAt: null, finishedAt: undefined,
    });
  });

  it('records a security refusal failed without a statuscode, naming it', () => {
    const outcome = outcomeOfResult(aResult({ state: 'HOST_STATE_FAILED', statuscode: -1, cause: 'HOST_CAUSE_SECURITY', reason: 'refused by security: the reply from web-1 failed the psk check' }));
    expect(outcome).toMatchObject({ state: 'failed', reason: 'refused by security: the reply from web-1 failed the psk check' });
    expect(outcome.statuscode).toBeUndefined();
  });

  it('keeps the whole reason however long', () => {
    const reason = `not sent: ${'x '.repeat(400)}end`;
    expect(outcomeOfResult(aResult({ state: 'HOST_STATE_FAILED', cause: 'HOST_CAUSE_NOT_SENT', reason, sent_at_ms: 0 })).reason).toBe(reason);
  });
});

describe(outcomeWithoutResult.name, () => {
  const deadline = { kind: 'deadline' as const, proxy: 'p1', detail: 'smart proxy p1 did not answer the cancel: deadline exceeded' };
  const lost = { kind: 'lost' as const, proxy: 'p1', message: 'connection refused', heard: true };

  it.each([
    ['asked', { state: 'running' as const, asked: true }, true, deadline, 'no_response', "asked; no reply before the job's deadline (smart proxy p1 did not answer the cancel: deadline exceeded)"],
    ['never sent by a proxy that reports its batches', { state: 'running' as const, asked: false }, true, deadline, 'cancelled', "not sent: the job's deadline passed before smart proxy p1 sent it (smart proxy p1 did not answer the cancel: deadline exceeded)"],
    ['unknown: the proxy does not report its batches', { state: 'running' as const, asked: false }, false, deadline, 'no_response', "no reply before the job's deadline; smart proxy p1 does not say whether it sent the request (smart proxy p1 did not answer the cancel: deadline exceeded)"],
    ['never handed to the proxy', { state: 'pending' as const, asked: false }, true, deadline, 'cancelled', "not sent: the job's deadline passed before its turn"],
    ['asked though stored pending (its running never written), proxy lost', { state: 'pending' as const, asked: true }, true, lost, 'no_response', 'asked; smart proxy p1 was lost before the reply: connection refused'],
    ['asked, proxy lost', { state: 'running' as const, asked: true }, true, lost, 'no_response', 'asked; smart proxy p1 was lost before the reply: connection refused'],
    ['never sent, proxy lost', { state: 'running' as const, asked: false }, true, lost, 'cancelled', "not sent: smart proxy p1 was lost before this host's batch: connection refused"],
    ['unknown, proxy lost', { state: 'running' as const, asked: false }, false, lost, 'failed', 'smart proxy p1 lost before these hosts answered: connection refused'],
  ])('records a host %s', (_name, host, reportsSent, why, state, reason) => {
    expect(outcomeWithoutResult(host, reportsSent, why)).toEqual({ state, reason });
  });
});

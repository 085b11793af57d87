import type { HostState } from '@common/jobs';
import { silentLogger } from '@server/logger';
import { emptyCounts } from '@server/jobs/host-states';
import { createResultWriter, LeaseLostError, type ResultBatch, type TrackedHost } from '@server/jobs/result-writer';

function hosts(n: number, proxy = 1): TrackedHost[] {
  return Array.from({ length: n }, (_, i) => ({ rowId: i + 1, hostName: `h${i + 1}`, smartProxyId: proxy, state: 'pending' as HostState, asked: false }));
}

/** from..to, both included. */
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function setup(n: number, batchSize = 500, sentHoldMs?: number) {
  const batches: ResultBatch[] = [];
  let version = 1;
  const committed: number[] = [];
  const writer = createResultWriter({
    jobId: 7,
    hosts: hosts(n),
    counts: { ...emptyCounts(), pending: n },
    lastEventSeq: 0, leaseOwner: 'me',
    store: { commitResultBatch: async (b) => { batches.push(structuredClone(b)); version += 1; return version; } },
    clock: () => new Date('2026-11-23T10:00:00Z'),
    logger: silentLogger(),
    batchSize,
    flushMs: 50,
    sentHoldMs,
    onCommitted: (v) => committed.push(v),
  });
  return { writer, batches, committed };
}

describe(createResultWriter.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('writes nothing before flushMs when fewer than a batch are queued', async () => {
    const { writer, batches } = setup(10);
    writer.record({ smartProxyId: 1, identity: 'h1' }, { state: 'succeeded', statuscode: 0 }, { smartProxyId: 1, sequence: 2 });
    await jest.advanceTimersByTimeAsync(49);
    expect(batches).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(batches).toHaveLength(1);
  });

  it('writes 10,000 results in 20 batches of 500 when they arrive at once', async () => {
    const { writer, batches } = setup(10_000);
    for (let i = 1; i <= 10_000; i++) writer.record({ smartProxyId: 1, identity: `h${i}` }, { state: 'succeeded', statuscode: 0 }, { smartProxyId: 1, sequence: i + 1 });
    await writer.flush();
    expect(batches.map((b) => b.results.length)).toEqual(Array(20).fill(500));
    expect(batches[19].counts).toMatchObject({ pending: 0, succeeded: 10_000 });
  });

  it('finds hosts by row id whatever order they come in, lists them in row order, and drops unknown rows', async () => {
    const given = [...hosts(9, 1), ...hosts(3, 2).map((h) => ({ ...h, rowId: h.rowId * 10 + 1000 }))].reverse();
    const batches: ResultBatch[] = [];
    const writer = createResultWriter({ jobId: 7, hosts: given, counts: { ...emptyCounts(), pending: 12 }, lastEventSeq: 0, leaseOwner: 'me', store: { commitResultBatch: async (b) => (batches.push(structuredClone(b)), 2) }, clock: () => new Date(0), logger: silentLogger(), batchSize: 500, flushMs: 50, onCommitted: () => undefined });
    expect(writer.unfinished().map((h) => h.rowId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 1010, 1020, 1030]);
    expect(writer.hostsOf(2).map((h) => h.hostName)).toEqual(['h1', 'h2', 'h3']);
    for (const rowId of [1, 5, 9, 1010, 1030]) expect(writer.host(rowId)?.rowId).toBe(rowId);
    for (const rowId of [0, 10, 1011, 1031]) expect(writer.host(rowId)).toBeUndefined();
    expect(writer.record({ rowId: 1011 }, { state: 'failed' })).toBe(false);
    expect(writer.markRunning([1020, 1025, 9])).toEqual([1020, 9]);
    expect(writer.record({ rowId: 1020 }, { state: 'succeeded' })).toBe(true);
    await writer.flush();
    expect(batches.flatMap((b) => b.results.map((r) => r.rowId))).toEqual([1020]);
    expect(writer.unfinished(2).map((h) => h.rowId)).toEqual([1010, 1030]);
  });

  it('bumps the version once per batch and reports it', async () => {
    const { writer, committed } = setup(1000);
    for (let i = 1; i <= 1000; i++) writer.record({ rowId: i }, { state: 'failed' });
    await writer.flush();
    expect(committed).toEqual([2, 3]);
  });

  it('drops a second result for the same host and keeps the first', async () => {
    const { writer, batches } = setup(2);
    expect(writer.record({ smartProxyId: 1, identity: 'h1' }, { state: 'succeeded' })).toBe(true);
    expect(writer.record({ smartProxyId: 1, identity: 'h1' }, { state: 'failed' })).toBe(false);
    await writer.flush();
    expect(batches.flatMap((b) => b.results).map((r) => r.state)).toEqual(['succeeded']);
    expect(writer.counts()).toMatchObject({ pending: 1, succeeded: 1, failed: 0 });
  });

  it('numbers events in order across batches', async () => {
    const { writer, batches } = setup(3, 2);
    for (let i = 1; i <= 3; i++) writer.record({ rowId: i }, { state: 'succeeded' });
    await writer.flush();
    expect(batches.flatMap((b) => b.results.map((r) => r.eventSeq))).toEqual([1, 2, 3]);
    expect(batches.map((b) => b.lastEventSeq)).toEqual([2, 3]);
  });

  it('commits counts that match exactly the rows of each batch', async () => {
    const { writer, batches } = setup(25, 2);
    writer.markRunning(range(1, 25));
    writer.record({ rowId: 1 }, { state: 'succeeded' });
    await writer.flush();
    // Host 1's result came before its `running` was written: the result is its only write, and goes first.
    // A running row id weighs a tenth of a result: beside one result, 10 of them; alone, 20.
    expect(batches.map((b) => [b.running, b.results.map((r) => r.rowId)])).toEqual([[range(2, 11), [1]], [range(12, 25), []]]);
    expect(batches[0].counts).toMatchObject({ pending: 14, running: 10, succeeded: 1 });
    expect(batches[1].counts).toMatchObject({ pending: 0, running: 24, succeeded: 1 });
  });

  it('moves a host from running in the batch after its running was written, and from pending when it was not', async () => {
    const { writer, batches } = setup(3, 500);
    writer.markRunning([1, 2]);
    await writer.flush();
    writer.markRunning([3]);
    writer.record({ rowId: 1 }, { state: 'succeeded' });
    writer.record({ rowId: 3 }, { state: 'failed' });
    writer.record({ rowId: 2 }, { state: 'no_response' });
    await writer.flush();
    expect(batches.map((b) => [b.running, b.results.map((r) => r.rowId)])).toEqual([[[1, 2], []], [[], [1, 3, 2]]]);
    expect(batches[0].counts).toEqual({ ...emptyCounts(), pending: 1, running: 2 });
    expect(batches[1].counts).toEqual({ ...emptyCounts(), succeeded: 1, failed: 1, no_response: 1 });
    // Each batch has counts of its own: a later batch does not change an earlier one's.
    expect(batches[0].counts).not.toBe(batches[1].counts);
    expect(writer.counts()).toEqual(batches[1].counts);
  });

  it('folds a queued running and HostsSent into the result of the same host, the sent time kept', async () => {
    const { writer, batches } = setup(3, 500);
    writer.markRunning([1, 2, 3]);
    writer.markSent(1, ['h1', 'h2'], new Date(4000));
    writer.record({ rowId: 1 }, { state: 'succeeded', sentAt: new Date(4500) });
    writer.record({ rowId: 3 }, { state: 'failed' });
    await writer.flush();
    expect(batches).toHaveLength(1);
    // Host 2's running and HostsSent both waited: one write of both.
    expect(batches[0].running).toEqual([]);
    expect(batches[0].sent).toEqual([{ rowIds: [2], at: new Date(4000), running: true }]);
    expect(batches[0].results.map((r) => [r.rowId, r.sentAt?.getTime() ?? null])).toEqual([[1, 4000], [3, null]]);
    expect(batches[0].counts).toMatchObject({ pending: 0, running: 1, succeeded: 1, failed: 1 });
    expect(writer.host(1)?.asked).toBe(true);
  });

  it('asks a stream to wait from four queued batches until two are left', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batches: number[] = [];
    const writer = createResultWriter({
      jobId: 7, hosts: hosts(10), counts: { ...emptyCounts(), pending: 10 }, lastEventSeq: 0, leaseOwner: 'me', batchSize: 2, flushMs: 50, logger: silentLogger(), clock: () => new Date(0),
      store: { commitResultBatch: async (b) => { await gate; batches.push(b.results.length); return 2; } },
      onCommitted: () => undefined,
    });
    for (let i = 1; i <= 7; i++) {
      writer.record({ rowId: i }, { state: 'succeeded' });
      expect(writer.backlog()).toBeUndefined();
    }
    writer.record({ rowId: 8 }, { state: 'succeeded' });
    const wait = writer.backlog();
    expect(wait).toBeInstanceOf(Promise);
    let settledAfter = -1;
    void wait!.then(() => (settledAfter = batches.length));
    release();
    await writer.flush();
    // Settled when the second batch committed: 2 batches (4 results) were still queued.
    expect(settledAfter).toBe(2);
    expect(batches).toEqual([2, 2, 2, 2]);
  });

  it('records a proxy cursor only with the last batch of the results it covers', async () => {
    const { writer, batches } = setup(3, 2);
    for (let i = 1; i <= 3; i++) writer.record({ rowId: i }, { state: 'succeeded' }, { smartProxyId: 1, sequence: 10 + i });
    await writer.flush();
    expect(batches.map((b) => b.streams)).toEqual([[], [{ smartProxyId: 1, lastSequence: 13 }]]);
  });

  it('advances the cursor when an event changes no host', async () => {
    const { writer, batches } = setup(1);
    writer.advance({ smartProxyId: 1, sequence: 1 });
    await writer.flush();
    expect(batches).toEqual([expect.objectContaining({ results: [], running: [], streams: [{ smartProxyId: 1, lastSequence: 1 }] })]);
  });

  it('records a proxy cursor only after every host it handed out is written, so a restart never skips a chunk', async () => {
    const { writer, batches } = setup(25, 2);
    writer.markRunning(range(1, 25));
    writer.advance({ smartProxyId: 1, sequence: 5 });
    await writer.flush();
    expect(batches.map((b) => [b.running, b.streams])).toEqual([
      [range(1, 20), []],
      [range(21, 25), [{ smartProxyId: 1, lastSequence: 5 }]],
    ]);
  });

  it('marks the hosts a proxy says it sent as asked, with the time it sent them, in batches', async () => {
    const { writer, batches } = setup(14, 2);
    writer.markRunning(range(1, 13));
    await writer.flush();
    writer.record({ rowId: 13 }, { state: 'succeeded' });
    const at = new Date('2026-11-23T10:00:01Z');
    // h13 is final and h14 was never handed out to a proxy that asked it: only h1..h12 move.
    writer.markSent(1, [...range(1, 13).map((i) => `h${i}`), 'unknown'], at);
    writer.markSent(1, ['h1'], at);
    writer.advance({ smartProxyId: 1, sequence: 9 }, { reportsSent: true });
    await writer.flush();
    // The result goes first with ten HostsSent row ids (a tenth of a result each), the other two with the cursor (and its flag).
    expect(batches.slice(1).map((b) => [b.sent.map((g) => [g.rowIds, g.at.getTime()]), b.results.map((r) => r.rowId), b.streams])).toEqual([
      [[[range(1, 10), at.getTime()]], [13], []],
      [[[[11, 12], at.getTime()]], [], [{ smartProxyId: 1, lastSequence: 9, reportsSent: true }]],
    ]);
    expect(range(1, 14).map((rowId) => writer.host(rowId)?.asked)).toEqual([...range(1, 12).map(() => true), false, false]);
  });

  it('holds a HostsSent up to sentHoldMs for its result to carry it, and no cursor passes it until it is written', async () => {
    const { writer, batches } = setup(3, 500, 500);
    writer.markRunning([1, 2, 3]);
    await writer.flush();
    const at = new Date('2026-11-23T10:00:01Z');
    writer.markSent(1, ['h1', 'h2'], at);
    writer.advance({ smartProxyId: 1, sequence: 5 });
    await jest.advanceTimersByTimeAsync(100);
    // Nothing is due: neither the marks nor the cursor past them is written.
    expect(batches).toHaveLength(1);
    writer.record({ smartProxyId: 1, identity: 'h1' }, { state: 'succeeded', statuscode: 0 }, { smartProxyId: 1, sequence: 6 });
    await jest.advanceTimersByTimeAsync(50);
    // h1's result carries its sent time (one row write); h2's mark still waits, so does the cursor.
    expect(batches.slice(1).map((b) => [b.results.map((r) => [r.rowId, r.sentAt?.getTime()]), b.sent, b.streams])).toEqual([[[[1, at.getTime()]], [], []]]);
    expect(writer.host(2)?.asked).toBe(true);
    await jest.advanceTimersByTimeAsync(348);
    expect(batches).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(5);
    expect(batches.slice(2).map((b) => [b.results, b.sent.map((g) => [g.rowIds, g.at.getTime()]), b.streams])).toEqual([[[], [[[2], at.getTime()]], [{ smartProxyId: 1, lastSequence: 6 }]]]);
    await jest.advanceTimersByTimeAsync(2000);
    expect(batches).toHaveLength(3);
  });

  it('stores a pending host a HostsSent names (a replay, its running never stored) running with its sent time, in one write', async () => {
    const { writer, batches } = setup(2, 500, 500);
    const at = new Date('2026-11-23T10:00:01Z');
    writer.markSent(1, ['h1'], at);
    expect(writer.host(1)).toMatchObject({ state: 'running', asked: true });
    await writer.flush();
    expect(batches.map((b) => [b.running, b.sent.map((g) => [g.rowIds, g.at.getTime(), g.running ?? false]), b.counts])).toEqual([[[], [[[1], at.getTime(), true]], { ...emptyCounts(), pending: 1, running: 1 }]]);
  });

  it('writes held HostsSent marks at once on an awaited flush, and holds none without sentHoldMs', async () => {
    const held = setup(2, 500, 500);
    held.writer.markRunning([1, 2]);
    await held.writer.flush();
    held.writer.markSent(1, ['h1'], new Date(1000));
    await held.writer.flush();
    expect(held.batches.slice(1).map((b) => b.sent.map((g) => g.rowIds))).toEqual([[[1]]]);
    const plain = setup(2);
    plain.writer.markRunning([1, 2]);
    await plain.writer.flush();
    plain.writer.markSent(1, ['h1'], new Date(1000));
    await jest.advanceTimersByTimeAsync(50);
    expect(plain.batches.slice(1).map((b) => b.sent.map((g) => g.rowIds))).toEqual([[[1]]]);
  });

  it('writes a queued running with the HostsSent of the same host, and either alone when the other is not queued', async () => {
    const { writer, batches } = setup(40, 3);
    writer.markRunning([1]);
    await writer.flush();
    writer.markRunning(range(2, 35));
    const at = new Date('2026-11-23T10:00:01Z');
    // Host 1's running is written already: its sent time goes alone. Even hosts have both queued, odd ones only running.
    const even = range(2, 35).filter((i) => i % 2 === 0);
    writer.markSent(1, ['h1', ...even.map((i) => `h${i}`)], at);
    await writer.flush();
    expect(batches.slice(1).map((b) => [b.running, b.sent.map((g) => [g.rowIds, g.at.getTime(), g.running ?? false])])).toEqual([
      // 30 row ids a batch (three results' worth), running first: a folded row counts once.
      [range(3, 31).filter((i) => i % 2 === 1), [[range(2, 30).filter((i) => i % 2 === 0), at.getTime(), true]]],
      [[33, 35], [[[32, 34], at.getTime(), true], [[1], at.getTime(), false]]],
    ]);
    expect(batches.slice(1).map((b) => b.counts)).toEqual([
      { ...emptyCounts(), pending: 9, running: 31 },
      { ...emptyCounts(), pending: 5, running: 35 },
    ]);
    expect(range(1, 36).map((rowId) => [writer.host(rowId)?.state, writer.host(rowId)?.asked])).toEqual([
      ['running', true], ...range(2, 35).map((i) => ['running', i % 2 === 0]), ['pending', false],
    ]);
  });

  it('takes at most 5,000 row ids a batch, however large the batch size (SQLite bound parameters)', async () => {
    const { writer, batches } = setup(12_000, 5_000);
    writer.markRunning(range(1, 12_000));
    await writer.flush();
    expect(batches.map((b) => b.running.length)).toEqual([5_000, 5_000, 2_000]);
  });

  it('counts a host asked once its result carries the time it was sent', async () => {
    const { writer, batches } = setup(2);
    writer.markRunning([1, 2]);
    writer.record({ rowId: 1 }, { state: 'succeeded', sentAt: new Date(5000) });
    writer.record({ rowId: 2 }, { state: 'cancelled', reason: 'not sent' });
    await writer.flush();
    expect(batches.flatMap((b) => b.results).map((r) => r.sentAt?.getTime() ?? null)).toEqual([5000, null]);
    expect(writer.host(1)?.asked).toBe(true);
    expect(writer.host(2)?.asked).toBe(false);
  });

  it('writes nothing once discarded, as after a crash', async () => {
    const { writer, batches } = setup(2);
    writer.record({ rowId: 1 }, { state: 'succeeded' });
    writer.discard();
    await jest.advanceTimersByTimeAsync(100);
    await writer.flush();
    expect(batches).toHaveLength(0);
  });

  it('rejects flush when the store failed', async () => {
    const writer = createResultWriter({
      jobId: 1, hosts: hosts(1), counts: { ...emptyCounts(), pending: 1 }, lastEventSeq: 0, leaseOwner: 'me',
      store: { commitResultBatch: async () => { throw new Error('disk full'); } },
      clock: () => new Date(), logger: silentLogger(), batchSize: 500, flushMs: 50, onCommitted: () => undefined,
    });
    writer.record({ rowId: 1 }, { state: 'succeeded' });
    await expect(writer.flush()).rejects.toThrow('disk full');
  });

  it('reports a failed background write through onFailed and the next flush, never as an unhandled rejection, when the store throws', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const failures: Error[] = [];
      const lost = Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' });
      const writer = createResultWriter({
        jobId: 7,
        hosts: hosts(3),
        counts: { ...emptyCounts(), pending: 3 },
        lastEventSeq: 0, leaseOwner: 'me',
        // A fake store (unit test): the database dropping the connection on every write.
        store: { commitResultBatch: async () => { throw lost; } },
        clock: () => new Date('2026-11-23T10:00:00Z'),
        logger: silentLogger(),
        batchSize: 2,
        flushMs: 50,
        onCommitted: () => undefined,
        onFailed: (error) => failures.push(error),
      });
      writer.record({ rowId: 1 }, { state: 'succeeded' });
      writer.record({ rowId: 2 }, { state: 'succeeded' });
      await jest.advanceTimersByTimeAsync(100);
      // Let the rejection tracker run: an unhandled rejection is reported after the microtask queue drains.
      jest.useRealTimers();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 10));
      expect(failures).toEqual([lost]);
      expect(unhandled).toEqual([]);
      await expect(writer.flush()).rejects.toBe(lost);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('stops for good when the store refuses a batch (the lease went to another instance): onLost once, flush rejects, nothing retried or written after', async () => {
    const tried: ResultBatch[] = [];
    let refuse = false;
    let lost = 0;
    const failed: Error[] = [];
    const writer = createResultWriter({
      jobId: 7, hosts: hosts(6), counts: { ...emptyCounts(), pending: 6 }, lastEventSeq: 0, leaseOwner: 'me',
      // A fake store (unit test): it commits until the lease is gone, then refuses (null) every batch.
      store: { commitResultBatch: async (b) => { tried.push(structuredClone(b)); return refuse ? null : tried.length + 1; } },
      clock: () => new Date(0), logger: silentLogger(), batchSize: 2, flushMs: 50, onCommitted: () => undefined,
      onLost: () => (lost += 1), onFailed: (e) => failed.push(e),
    });
    writer.record({ rowId: 1 }, { state: 'succeeded' }, { smartProxyId: 1, sequence: 1 });
    await writer.flush();
    refuse = true;
    for (const rowId of [2, 3, 4, 5]) writer.record({ rowId }, { state: 'succeeded' }, { smartProxyId: 1, sequence: rowId });
    await expect(writer.flush()).rejects.toThrow(LeaseLostError);
    // Two batches were tried: the committed one, and the refused one; the rest was dropped, not retried.
    expect(tried.map((b) => [b.leaseOwner, b.results.map((r) => r.rowId)])).toEqual([['me', [1]], ['me', [2, 3]]]);
    writer.record({ rowId: 6 }, { state: 'failed' });
    await jest.advanceTimersByTimeAsync(200);
    await expect(writer.flush()).rejects.toThrow(LeaseLostError);
    expect(tried).toHaveLength(2);
    expect(lost).toBe(1);
    expect(failed).toEqual([]);
    // A rollout chunk asked to be admitted after that is refused too, never sent.
    await expect(writer.admit([6], 'me')).rejects.toThrow(LeaseLostError);
  });
});

describe('createResultWriter admit', () => {
  function admitting(n: number, answer: () => number | null) {
    const log: string[] = [];
    const admissions: Array<{ rowIds: number[]; counts: ResultBatch['counts']; leaseOwner: string }> = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const committed: number[] = [];
    const counts: Array<ResultBatch['counts']> = [];
    const writer = createResultWriter({
      jobId: 7, hosts: hosts(n), counts: { ...emptyCounts(), pending: n }, lastEventSeq: 0, leaseOwner: 'me', batchSize: 500, flushMs: 50, logger: silentLogger(), clock: () => new Date(0),
      store: {
        commitResultBatch: async (b) => { log.push(`batch of ${b.results.length} results`); counts.push(b.counts); await gate; return 5; },
        admitHosts: async (a) => { log.push(`admit ${a.rowIds.join(',')}`); admissions.push(structuredClone(a)); return answer(); },
      },
      onCommitted: (v) => committed.push(v),
    });
    return { writer, log, admissions, release, committed, counts };
  }

  it('stores the hosts running with the counts moved and reports the version when the store admits them', async () => {
    const { writer, admissions, release, committed, counts } = admitting(4, () => 9);
    release();
    await expect(writer.admit([1, 2], 'me')).resolves.toBe(true);
    expect(admissions).toEqual([{ jobId: 7, rowIds: [1, 2], counts: { ...emptyCounts(), pending: 2, running: 2 }, leaseOwner: 'me', now: new Date(0) }]);
    expect([1, 2, 3].map((id) => writer.host(id)?.state)).toEqual(['running', 'running', 'pending']);
    expect(writer.counts()).toMatchObject({ pending: 2, running: 2 });
    expect(committed).toEqual([9]);
    // A later batch counts from the admitted state: the host moves from running, as it is in the database.
    writer.record({ rowId: 1 }, { state: 'succeeded' });
    await writer.flush();
    expect(counts).toEqual([{ ...emptyCounts(), pending: 2, running: 1, succeeded: 1 }]);
  });

  it('leaves the hosts pending and the counts as they were when the store refuses (a pause came first)', async () => {
    const answers = [null, 9];
    const { writer, release, committed } = admitting(4, () => answers.shift()!);
    release();
    await expect(writer.admit([1, 2], 'me')).resolves.toBe(false);
    expect([1, 2].map((id) => writer.host(id)?.state)).toEqual(['pending', 'pending']);
    expect(writer.counts()).toMatchObject({ pending: 4, running: 0 });
    expect(committed).toEqual([]);
    // Refused hosts are admitted later (after the resume) like any pending host.
    await expect(writer.admit([1, 2], 'me')).resolves.toBe(true);
    expect(writer.counts()).toMatchObject({ pending: 2, running: 2 });
  });

  it('is committed right after the write in flight, ahead of results queued behind it', async () => {
    const { writer, log, release } = admitting(6, () => 9);
    writer.record({ rowId: 5 }, { state: 'succeeded' });
    const inFlight = writer.flush();
    await jest.advanceTimersByTimeAsync(0);
    writer.record({ rowId: 6 }, { state: 'succeeded' });
    const admitted = writer.admit([1, 2], 'me');
    release();
    await expect(admitted).resolves.toBe(true);
    await inFlight;
    await writer.flush();
    expect(log).toEqual(['batch of 1 results', 'admit 1,2', 'batch of 1 results']);
  });

  it('rejects, and sends nothing, when the store failed', async () => {
    const writer = createResultWriter({
      jobId: 7, hosts: hosts(2), counts: { ...emptyCounts(), pending: 2 }, lastEventSeq: 0, leaseOwner: 'me', batchSize: 500, flushMs: 50, logger: silentLogger(), clock: () => new Date(0),
      store: { commitResultBatch: async () => 2, admitHosts: async () => { throw new Error('connection lost'); } },
      onCommitted: () => undefined,
    });
    await expect(writer.admit([1], 'me')).rejects.toThrow('connection lost');
    expect(writer.host(1)?.state).toBe('pending');
    await expect(writer.admit([2], 'me')).rejects.toThrow('connection lost');
  });

  it('counts a host named twice in one admission once', async () => {
    const { writer, admissions, release } = admitting(3, () => 9);
    release();
    await expect(writer.admit([1, 1, 2], 'me')).resolves.toBe(true);
    expect(admissions[0]).toMatchObject({ rowIds: [1, 2], counts: { pending: 1, running: 2 } });
    expect(writer.counts()).toMatchObject({ pending: 1, running: 2 });
  });

  it('fails loudly, never with counts that disagree with the database, when a host changed while it was being admitted', async () => {
    let admitted: () => void = () => undefined;
    const failed: Error[] = [];
    const writer = createResultWriter({
      jobId: 7, hosts: hosts(2), counts: { ...emptyCounts(), pending: 2 }, lastEventSeq: 0, leaseOwner: 'me', batchSize: 500, flushMs: 50, logger: silentLogger(), clock: () => new Date(0),
      store: { commitResultBatch: async () => 2, admitHosts: () => new Promise<number>((resolve) => (admitted = () => resolve(9))) },
      onCommitted: () => undefined,
      onFailed: (e) => failed.push(e),
    });
    const admission = writer.admit([1], 'me');
    await jest.advanceTimersByTimeAsync(0);
    writer.record({ rowId: 1 }, { state: 'cancelled' });
    admitted();
    await expect(admission).rejects.toThrow('hosts changed while being admitted');
    expect(failed).toHaveLength(1);
    expect(writer.counts()).toMatchObject({ pending: 1, cancelled: 1, running: 0 });
  });

  it('resolves false without a write once the writer was discarded (shutdown, lost database)', async () => {
    const { writer, admissions } = admitting(2, () => 9);
    writer.discard();
    await expect(writer.admit([1], 'me')).resolves.toBe(false);
    expect(admissions).toEqual([]);
  });
});

/**
 * One job's work on one proxy: hand its hosts out in chunks (concurrency_level), follow each chunk's
 * execution to its end (re-attaching after a broken stream), record what every host became, and,
 * when this side gives up on an execution, record each open host by what happened to it and leave
 * the execution to the late-results follower. job-dispatcher.ts runs one of these per proxy.
 */
import type { HostResult__Output } from '@protos/generated/rex/proxy/v1/HostResult';
import { isAppError } from '../errors';
import { isFinalHostState } from './host-states';
import { giveUpOf, outcomeOfResult, outcomeWithoutResult, type FollowOutcome } from './host-outcomes';
import type { TrackedHost } from './result-writer';
import { mayResend, proxyHolds } from './restart-proof';
import { pendingPicker, resultsOf, sleep, unstoredRunning, type EventSink, type LiveExecution, type ProxyStreamDeps, type ProxyStreamRun } from './running-job';

export type { ChunkCursor, EventSink, LiveExecution, ProxyStreamDeps, ProxyStreamRun, RunningJob } from './running-job';

/**
 * Longest wait between two re-attach attempts: the gRPC channel's own reconnect backoff is capped at
 * 5 s (proxy-client.ts), so a proxy back within that time is reached by the next attempt.
 */
const REATTACH_BACKOFF_MAX_MS = 5000;

export async function runProxyStream(deps: ProxyStreamDeps, run: ProxyStreamRun): Promise<void> {
  const { entity, stream, proxy, writer, job, breaker } = run;
  const jobId = entity.id;
  const proxyId = stream.smartProxyId;
  if (!proxy) {
    for (const h of writer.unfinished(proxyId)) writer.record({ rowId: h.rowId }, { state: 'failed', reason: `smart proxy ${proxyId} is no longer registered` });
    await deps.repo.updateStream(jobId, proxyId, { state: 'failed' });
    return;
  }
  // Whether the current execution sent anything yet: until it did, the proxy may never have got it.
  let heard = false;
  let lastSeen = 0;
  let reportsSent = stream.reportsSent;
  // Whether the stream row names the execution followed now: only then do its events move the row's cursor.
  let rowNamesIt = true;
  const takeResult = (r: HostResult__Output, sequence: number): void => {
    const received = Number(r.received_at_ms);
    // Measured on the wall clock, as received_at_ms is (the injected clock is the jobs' own time, which tests move);
    // proxy and ui-extension clocks differ by their NTP error, and negative values count as 0.
    if (received > 0) deps.metrics?.proxyStreamLatency(proxy.name, (Date.now() - received) / 1000);
    const accepted = writer.record({ smartProxyId: proxyId, identity: r.identity }, outcomeOfResult(r), rowNamesIt ? { smartProxyId: proxyId, sequence } : undefined);
    if (!accepted && r.unexpected) deps.logger.debug({ jobId, identity: r.identity }, 'reply from a host outside the job');
  };
  // The hosts the last `started` event named: those its execution was sent for.
  let expected: readonly string[] = [];
  const onEvent: EventSink = (event) => {
    heard = true;
    const sequence = Number(event.sequence);
    const cursor = rowNamesIt ? { smartProxyId: proxyId, sequence } : undefined;
    const results = resultsOf(event);
    if (!event.event || !event[event.event] || ((event.event === 'result' || event.event === 'results') && results.length === 0)) {
      // Nothing of it is recorded, so the cursor must not pass it: a re-attach or restart fetches it again.
      deps.logger.warn({ jobId, proxy: proxy.name, sequence, event: event.event }, 'event without its payload; the cursor stays before it');
      return writer.backlog();
    }
    lastSeen = Math.max(lastSeen, sequence);
    for (const r of results) takeResult(r.result, r.sequence);
    if (event.event === 'sent') writer.markSent(proxyId, event.sent!.identities, new Date(Number(event.sent!.sent_at_ms)));
    if (event.event === 'started') {
      expected = event.started!.expected_identities;
      if (event.started!.reports_sent) reportsSent = true;
    }
    if (cursor && results.length === 0) writer.advance(cursor, event.event === 'started' && event.started!.reports_sent ? { reportsSent: true } : undefined);
    // Past a few batches the stream waits for the database: the rest stays in the proxy's event log.
    return writer.backlog();
  };

  /** Follows one execution to its end, re-attaching after a broken stream. */
  const follow = async (executionId: string, signal: AbortSignal, first: (() => Promise<void>) | undefined, resend?: () => Promise<void>): Promise<FollowOutcome> => {
    // 250 ms doubling to 5 s: the attempts span 7.75 s, longer than the channel's capped reconnect backoff.
    const attempts = breaker.attempts(proxyId, deps.reattachAttempts ?? 5);
    let lastError: unknown;
    heard = false;
    lastSeen = 0;
    for (let attempt = 0; attempt <= attempts; attempt++) {
      if (signal.aborted) return { kind: 'aborted' };
      try {
        if (attempt === 0 && first) await first();
        else if (resend && !heard) {
          // Nothing came back: the request most likely never reached the proxy (a channel still
          // reconnecting after the proxy restarted). Sending it again is safe: a proxy that does run
          // it refuses the id (ALREADY_EXISTS) and we follow that execution instead.
          await resend();
        } else {
          await writer.flush();
          const [s] = (await deps.repo.streamsOf(jobId)).filter((x) => x.smartProxyId === proxyId);
          // The row may still name the execution before this one (name()): then this one replays from its start.
          await deps.proxies.getResults(proxy.url, { execution_id: executionId, after_sequence: s?.executionId === executionId ? s.lastSequence : 0, follow: true, accept_result_batches: true }, onEvent, signal);
        }
        // The client resolves an aborted stream as if it ended: only the signal tells them apart.
        return signal.aborted ? { kind: 'aborted' } : { kind: 'ended' };
      } catch (error) {
        lastError = error;
        if (signal.aborted) return { kind: 'aborted' };
        if (isAppError(error) && error.code === 'ALREADY_EXISTS' && resend && !heard) {
          heard = true;
          continue;
        }
        deps.metrics?.proxyStreamError(proxy.name, isAppError(error) ? error.code : 'INTERNAL');
        // The proxy refused the request itself: retrying cannot help.
        if (isAppError(error) && error.code !== 'UNAVAILABLE' && error.code !== 'DEADLINE_EXCEEDED') break;
        if (attempt === attempts) break;
        deps.logger.warn({ jobId, proxy: proxy.name, attempt, err: error }, 'result stream broke; re-attaching');
        await sleep(Math.min(REATTACH_BACKOFF_MAX_MS, (deps.reattachBackoffMs ?? 250) * 2 ** attempt), signal);
      }
    }
    return { kind: 'lost', message: lastError instanceof Error ? lastError.message : String(lastError), heard, code: isAppError(lastError) ? lastError.code : undefined };
  };

  /**
   * Records the hosts of an execution left open when this side stopped following it, by what
   * happened to each, and leaves the execution to the late-results follower when the proxy may
   * still deliver (it was cut off, not finished).
   */
  const settle = (hosts: TrackedHost[], live: LiveExecution, outcome: FollowOutcome): void => {
    const why = giveUpOf(outcome, job, proxy.name, live.detail);
    for (const h of hosts) {
      const host = writer.host(h.rowId);
      if (host && !isFinalHostState(host.state)) writer.record({ rowId: h.rowId }, outcomeWithoutResult(host, reportsSent, why));
    }
    if (outcome.kind === 'lost') {
      breaker.trip(proxyId, `not sent: smart proxy ${proxy.name} failed earlier in this job: ${outcome.message}`);
      deps.logger.warn({ jobId, proxy: proxy.name, err: outcome.message }, 'smart proxy given up for this job');
      // Best effort now (it most likely fails); the late-results follower cancels again once the proxy answers.
      if (outcome.heard) deps.proxies.cancel(proxy.url, live.executionId).catch(() => undefined);
    }
    if (outcome.kind === 'aborted' || (outcome.kind === 'lost' && outcome.heard)) {
      const candidates = new Map(hosts.map((h) => writer.host(h.rowId)!).filter((h) => h.state === 'no_response' || h.state === 'cancelled' || h.state === 'failed').map((h) => [h.hostName, h.rowId]));
      job.late.push({ jobId, proxyName: proxy.name, url: proxy.url, executionId: live.executionId, afterSequence: lastSeen, hosts: candidates });
    }
  };

  /** Registers an execution as live; the signal ends following it (cancel, deadline, shutdown). */
  const goLive = (executionId: string): { live: LiveExecution; signal: AbortSignal } => {
    const live: LiveExecution = { proxyName: proxy.name, url: proxy.url, executionId, abort: new AbortController() };
    job.live.set(proxyId, live);
    return { live, signal: AbortSignal.any([job.abort.signal, live.abort.signal]) };
  };

  /**
   * Names `executionId` in the stream row (cursor 0) once every result queued before it is stored, so
   * the row never names an execution while an earlier one still has unstored results; until then this
   * execution's events leave the row's cursor alone (a restart replays it from its start: name()).
   */
  const name = (executionId: string, n: number): Promise<void> => {
    rowNamesIt = false;
    const named = writer.flush().then(async () => {
      // A discarded writer (shutdown, lost database or lease) flushes nothing: its results are not stored.
      if (deps.stopped() || job.lost || job.abort.signal.aborted) return;
      await deps.repo.updateStream(jobId, proxyId, { executionId, chunk: n, lastSequence: 0, state: 'running', reportsSent });
      rowNamesIt = true;
      // Safe: the writer stores a cursor only with every change queued before it.
      if (lastSeen > 0) writer.advance({ smartProxyId: proxyId, sequence: lastSeen }, reportsSent ? { reportsSent: true } : undefined);
    });
    named.catch(() => undefined);
    return named;
  };

  const proof = { ...deps, attempts: breaker.attempts(proxyId, deps.reattachAttempts ?? 5), backoffMs: deps.reattachBackoffMs ?? 250, maxBackoffMs: REATTACH_BACKOFF_MAX_MS };
  const holds = (executionId: string) => proxyHolds(proof, proxy.url, executionId, job);
  const unasked = (hosts: TrackedHost[]) => hosts.filter((h) => writer.host(h.rowId)?.state === 'running' && !h.asked);

  const chunks = (job.chunks ??= new Map());
  const carried = chunks.get(proxyId);
  let chunk = carried?.chunk ?? stream.chunk;
  // The row names the last chunk or the one before it: a chunk starts only once its predecessor is named.
  let named = carried?.named ?? Promise.resolve();
  // A restarted instance finds the stream mid-execution: resume it after the last recorded sequence.
  // Hosts admitted (running) while the row names no execution yet (a crash between a rollout's
  // admission and its first chunk's naming) may be on the proxy as chunk 1: it is looked up like the next chunk.
  let open = carried ? [] : writer.unfinished(proxyId).filter((h) => h.state === 'running');
  let unsent: TrackedHost[] = []; // admitted (stored running), their chunk proven never to have reached the proxy (restart-proof.ts)
  if (!carried && (stream.state === 'running' || stream.state === 'pending') && (stream.executionId || open.length > 0)) {
    let live: LiveExecution | undefined;
    let res: FollowOutcome = { kind: 'ended' };
    if (stream.executionId) {
      const executionId = stream.executionId;
      const current = goLive(executionId);
      live = current.live;
      res = await follow(executionId, current.signal, () => deps.proxies.getResults(proxy.url, { execution_id: executionId, after_sequence: stream.lastSequence, follow: true, accept_result_batches: true }, onEvent, current.signal));
      // Its hosts may be stored pending (running-job.ts unstoredRunning): handed out all the same; not when the
      // proxy never had the execution (NOT_FOUND, nothing heard): its Execute never arrived, none was sent.
      const neverArrived = res.kind === 'lost' && !res.heard && res.code === 'NOT_FOUND';
      if (stream.lastSequence === 0 && !run.admit) open = open.concat(unstoredRunning(writer, proxyId, expected, res.kind !== 'ended' && !neverArrived && stream.chunk === 1 ? entity.concurrencyLevel ?? Infinity : 0));
      // Named in the background as its Execute went out, which never arrived (no event of it stored): proven while
      // the proxy holds the chunk before.
      if (neverArrived && chunk > 1 && stream.lastSequence === 0 && !deps.stopped() && (await holds(`${jobId}-${proxyId}-${chunk - 1}`))) {
        unsent = unasked(open);
        live = undefined;
        chunk -= 1; // its id goes out again, with its hosts
      }
    }
    if (res.kind === 'ended' && !deps.stopped() && !job.lost) {
      // The proxy may hold the next chunk already (its row write was still waiting): follow it from
      // its start, never Execute it again (a finished id would run its hosts again).
      const nextId = `${jobId}-${proxyId}-${chunk + 1}`;
      rowNamesIt = false;
      expected = [];
      const next = goLive(nextId);
      const nextRes = await follow(nextId, next.signal, () => deps.proxies.getResults(proxy.url, { execution_id: nextId, after_sequence: 0, follow: true, accept_result_batches: true }, onEvent, next.signal));
      const absent = nextRes.kind === 'lost' && !nextRes.heard && nextRes.code === 'NOT_FOUND';
      if (!absent) {
        res = nextRes;
        live = next.live;
        chunk += 1;
        named = name(nextId, chunk);
        // Sent before its `running` was stored: hosts it names may be pending here, yet went out (never "not sent").
        open = open.concat(unstoredRunning(writer, proxyId, expected, 0));
      }
      // Admitted hosts still open once the last chunk the proxy has is followed to its end (all its hosts are final
      // then) were never sent: no chunk starts before the one before it is named. Past a named chunk the proxy must
      // still hold it, or NOT_FOUND proves nothing (it evicts oldest first and forgets all when restarted).
      const known = res.kind === 'ended' && (!absent || !stream.executionId || (await holds(stream.executionId)));
      const admitted = unasked(open);
      if (known) unsent = admitted;
      else if (res.kind === 'ended' && admitted.length > 0) {
        deps.logger.warn({ jobId, proxy: proxy.name, chunk: chunk + 1, hosts: admitted.length }, 'hosts admitted before a restart: unknown whether sent (the proxy no longer holds the chunk before them); recorded failed, never sent again');
        for (const h of admitted) writer.record({ rowId: h.rowId }, { state: 'failed', reason: `unknown whether sent: smart proxy ${proxy.name} no longer holds chunk ${chunk} to tell whether chunk ${chunk + 1} reached it` });
      }
    }
    job.live.delete(proxyId);
    if (deps.stopped() || job.lost) return;
    const resent = new Set(unsent);
    if (resent.size > 0) deps.logger.info({ jobId, proxy: proxy.name, chunk: chunk + 1, hosts: resent.size }, 'hosts admitted before a restart never reached the proxy; sending them now');
    if (live) settle(open.filter((h) => !resent.has(h)), live, res);
  }

  const nextPending = pendingPicker(writer.hostsOf(proxyId), run.eligible);
  for (;;) {
    if (job.cancelled || job.timedOut || job.abort.signal.aborted || breaker.openReason(proxyId)) break;
    const resending = unsent.length > 0;
    if (resending && !(await mayResend(proof, jobId, job))) break;
    const pending = resending ? unsent.slice(0, entity.concurrencyLevel ?? unsent.length) : nextPending(entity.concurrencyLevel ?? Number.POSITIVE_INFINITY);
    if (pending.length === 0) break;
    const cap = pending.length;
    const granted = await deps.slots.acquire(cap, AbortSignal.any([job.abort.signal, job.dispatching.signal]));
    if (granted === 0) break;
    const hosts = pending.slice(0, granted);
    if (resending) unsent = unsent.slice(hosts.length);
    let released = false;
    try {
      // The row must name the previous chunk before this one exists on the proxy (a restart looks one
      // chunk past the row); this one is named in the background, once the previous one's results are stored.
      await named;
      // Held (a pause) before this chunk is named or exists: its hosts stay pending. A re-send was admitted before.
      if (!resending && run.admit && !(await run.admit(hosts))) break;
      const executionId = `${jobId}-${proxyId}-${++chunk}`;
      reportsSent = false;
      named = name(executionId, chunk);
      // The first chunk waits: a restart looks for a chunk past the row only once the row names one.
      if (chunk === 1) await named;
      if (!run.admit) writer.markRunning(hosts.map((h) => h.rowId));
      const { live, signal } = goLive(executionId);
      // A cancel or the deadline that came between the loop check and here found no execution to stop.
      if (job.cancelled || job.timedOut) live.abort.abort();
      const request = { ...run.request(executionId, hosts), accept_result_batches: true };
      const send = () => deps.proxies.execute(proxy.url, request, onEvent, signal);
      const res = await follow(executionId, signal, send, send);
      // Its hosts are no longer in flight: the next chunk (of any proxy) need not wait for their writes.
      deps.slots.release(granted);
      released = true;
      job.live.delete(proxyId);
      if (deps.stopped() || job.lost) return;
      settle(hosts, live, res);
    } finally {
      if (!released) deps.slots.release(granted);
    }
  }
  if (deps.stopped() || job.lost) return;
  // Hosts never handed out: the reason they were not is the reason they end.
  const tripped = breaker.openReason(proxyId);
  for (const h of writer.unfinished(proxyId)) {
    if (job.cancelled) writer.record({ rowId: h.rowId }, { state: 'cancelled', reason: 'job cancelled' });
    else if (tripped) writer.record({ rowId: h.rowId }, { state: 'failed', reason: tripped });
    else if (job.timedOut) writer.record({ rowId: h.rowId }, { state: 'cancelled', reason: "not sent: the job's deadline passed before its turn" });
  }
  // Hosts of later batches still wait on this proxy: the next batch starts a new execution here, and
  // the row keeps naming the last one meanwhile (a restart follows it and looks one chunk past it).
  chunks.set(proxyId, { chunk, named });
  if (!tripped && writer.unfinished(proxyId).length > 0) return;
  await named;
  await writer.flush();
  await deps.repo.updateStream(jobId, proxyId, { state: tripped ? 'failed' : 'done' });
}

/**
 * What a host's record says happened to it (ARCHITECTURE.md, "Words"): replied (succeeded, failed),
 * never asked (cancelled, or failed when its proxy or broker failed before sending), asked and silent
 * (no_response: it may have run), refused by security (failed). The proxy says it for the hosts it
 * reports; this side says it, from what it knows, for the hosts a proxy left without a result.
 */
import type { HostResult__Output } from '@protos/generated/rex/proxy/v1/HostResult';
import type { HostOutcome, TrackedHost } from './result-writer';

/** A proxy's result for one host, as recorded. */
export function outcomeOfResult(r: HostResult__Output): HostOutcome {
  const received = Number(r.received_at_ms);
  const sent = Number(r.sent_at_ms);
  const finishedAt = received > 0 ? new Date(received) : undefined;
  const sentAt = sent > 0 && r.cause !== 'HOST_CAUSE_NOT_SENT' ? new Date(sent) : null;
  // Once per host of every job (issue 20): a literal, not spreads, for the usual reply.
  if (r.state === 'HOST_STATE_SUCCEEDED') return { finishedAt, sentAt, state: 'succeeded', statuscode: r.statuscode, statusmsg: r.statusmsg || null, data: r.data_json || null };
  const base = { finishedAt, sentAt };
  const reply = { statuscode: r.statuscode, statusmsg: r.statusmsg || null, data: r.data_json || null };
  switch (r.state) {
    case 'HOST_STATE_NO_RESPONSE':
      return { ...base, state: 'no_response', reason: r.reason || 'no reply before the timeout' };
    case 'HOST_STATE_CANCELLED':
      // Cancelled after its request left: it may have run, so it is not "cancelled" here.
      if (r.cause === 'HOST_CAUSE_NO_REPLY') return { ...base, state: 'no_response', reason: r.reason || 'asked; the job was cancelled before the host replied' };
      return { ...base, state: 'cancelled', reason: r.reason || null };
    default:
      // Not sent (broker unreachable) and refused by security carry no reply of the node's own.
      if (r.cause === 'HOST_CAUSE_NOT_SENT' || r.cause === 'HOST_CAUSE_SECURITY') return { ...base, state: 'failed', reason: r.reason || null };
      return { ...base, state: 'failed', ...reply };
  }
}

/** Why this side stopped waiting for a proxy's results. */
export type GiveUp =
  /** The job's deadline plus grace passed; `detail` says what became of the cancel sent to the proxy. */
  | { kind: 'deadline'; proxy: string; detail: string }
  /** The stream broke and re-attaching failed through the whole window (or the proxy refused). */
  | { kind: 'lost'; proxy: string; message: string; heard: boolean }
  | { kind: 'cancelled' }
  /** The stream ended without a result for the host. */
  | { kind: 'ended'; proxy: string };

/** How following one execution ended (job-proxy-stream.ts): `code` is the gRPC code of the last error. */
export type FollowOutcome = { kind: 'ended' } | { kind: 'aborted' } | { kind: 'lost'; message: string; heard: boolean; code?: string };

/** Why the hosts an execution left open were given up: `detail` says what became of a deadline's cancel. */
export function giveUpOf(outcome: FollowOutcome, job: { cancelled: boolean; timedOut: boolean }, proxy: string, detail: string | undefined): GiveUp {
  if (outcome.kind === 'lost') return { kind: 'lost', proxy, message: outcome.message, heard: outcome.heard };
  if (job.cancelled) return { kind: 'cancelled' };
  if (job.timedOut) return { kind: 'deadline', proxy, detail: detail ?? `smart proxy ${proxy} had not finished` };
  return { kind: 'ended', proxy };
}

/**
 * The outcome of a host its proxy gave no result for. `reportsSent` says the proxy reports every batch
 * it sends (HostsSent), so that a host it never named was never asked.
 *
 * Known limit (issue #17), with its design: after a restart, the chunk past the one the stream row names may exist on the proxy
 * (job-proxy-stream.ts restart path). When that proxy cannot be reached at all (no NOT_FOUND, no
 * `started`), its hosts are recorded "not sent" (the breaker's reason, or `lost` with reportsSent),
 * which may be false. Design: a GiveUp kind `unknown` (proxy, chunk, message) giving
 * { state: 'failed', reason: 'unknown whether sent: smart proxy X could not be reached after a restart
 * to say whether it had chunk N (message)' }, for exactly the hosts that chunk may hold: in a rollout
 * the admitted ones (stored running before the Execute, result-writer.ts admit) that the named chunk's
 * replayed events do not name; without a rollout the next concurrency_level pending hosts in row order
 * (an upper bound: fewer slots may have been granted). The chunk then goes to the late-results
 * follower, so a reply stored later corrects the record. Not done: telling the named chunk's silent
 * hosts from the next chunk's needs the named chunk's `started` event, which the replay after the
 * stored cursor does not carry; the stream row would have to keep the chunk's identities.
 */
export function outcomeWithoutResult(host: Pick<TrackedHost, 'state' | 'asked'>, reportsSent: boolean, why: GiveUp): HostOutcome {
  if (why.kind === 'cancelled') return host.asked ? { state: 'no_response', reason: 'asked; the job was cancelled before the host replied' } : { state: 'cancelled', reason: 'job cancelled' };
  if (host.state === 'pending' && !host.asked) {
    // Never handed to the proxy at all (an asked host was, whatever its stored state: markSent).
    if (why.kind === 'lost') return { state: 'failed', reason: `not sent: ${lostText(why)}` };
    return { state: 'cancelled', reason: "not sent: the job's deadline passed before its turn" };
  }
  if (host.asked) {
    switch (why.kind) {
      case 'deadline':
        return { state: 'no_response', reason: `asked; no reply before the job's deadline (${why.detail})` };
      case 'lost':
        return { state: 'no_response', reason: `asked; smart proxy ${why.proxy} was lost before the reply: ${why.message}` };
      case 'ended':
        return { state: 'no_response', reason: `asked; smart proxy ${why.proxy} ended without a result for this host` };
    }
  }
  if (reportsSent) {
    switch (why.kind) {
      case 'deadline':
        return { state: 'cancelled', reason: `not sent: the job's deadline passed before smart proxy ${why.proxy} sent it (${why.detail})` };
      case 'lost':
        return { state: 'cancelled', reason: `not sent: smart proxy ${why.proxy} was lost before this host's batch: ${why.message}` };
      case 'ended':
        return { state: 'cancelled', reason: `not sent: smart proxy ${why.proxy} ended without sending it` };
    }
  }
  // A proxy that does not report its batches: whether the request left is unknown.
  switch (why.kind) {
    case 'deadline':
      return { state: 'no_response', reason: `no reply before the job's deadline; smart proxy ${why.proxy} does not say whether it sent the request (${why.detail})` };
    case 'lost':
      return { state: 'failed', reason: lostText(why) };
    case 'ended':
      return { state: 'no_response', reason: 'no result from the smart proxy' };
  }
}

function lostText(why: Extract<GiveUp, { kind: 'lost' }>): string {
  return why.heard ? `smart proxy ${why.proxy} lost before these hosts answered: ${why.message}` : `smart proxy ${why.proxy} failed: ${why.message}`;
}

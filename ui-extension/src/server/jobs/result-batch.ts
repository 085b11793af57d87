import type { HostCounts, HostState } from '@common/jobs';

/* What the result writer (result-writer.ts) tracks, queues and hands to its store. */

/** One job host as the writer tracks it: enough to decide transitions without reading the row. */
export interface TrackedHost {
  rowId: number;
  hostName: string;
  smartProxyId: number | null;
  state: HostState;
  /** The proxy said it sent this host's request (HostsSent, or a result with its sent time). */
  asked: boolean;
}

/** A host's new final state, as written by one batch. */
export interface HostResultWrite {
  rowId: number;
  state: HostState;
  reason: string | null;
  statuscode: number | null;
  statusmsg: string | null;
  data: string | null;
  finishedAt: Date;
  eventSeq: number;
  proxySequence: number | null;
  /** When the proxy sent the request (kept if started_at is already set); null when unknown or never sent. */
  sentAt: Date | null;
}

/** A proxy stream's cursor, with what its `started` event said, written with the results it covers. */
export interface StreamCursor {
  smartProxyId: number;
  lastSequence: number;
  /** Set once the execution's `started` event said it reports HostsSent. */
  reportsSent?: boolean;
}

/** Everything one flush changes, committed in one transaction. */
export interface ResultBatch {
  jobId: number;
  /** Hosts handed to a proxy: state running (not yet asked: that is `sent`). */
  running: number[];
  /** Hosts the proxy says it sent (HostsSent): started_at = the time it sent them. */
  sent: Array<{ rowIds: number[]; at: Date }>;
  results: HostResultWrite[];
  counts: HostCounts;
  lastEventSeq: number;
  /** Proxy stream cursors recorded with the results they cover. */
  streams: StreamCursor[];
  now: Date;
}

export interface ResultBatchStore {
  /** Writes the batch in one transaction and bumps the job's version once; resolves the new version. */
  commitResultBatch(batch: ResultBatch): Promise<number>;
}

export interface HostOutcome {
  state: HostState;
  reason?: string | null;
  statuscode?: number | null;
  statusmsg?: string | null;
  data?: string | null;
  finishedAt?: Date;
  /** When the proxy sent the request, if it says so (its result's sent_at_ms). */
  sentAt?: Date | null;
}

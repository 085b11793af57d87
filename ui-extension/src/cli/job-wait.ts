import { aggregateText } from '@common/aggregate-format';
import { FINAL_JOB_STATES, type JobEventsPage, type JobHost, type JobStatus } from '@common/jobs';
import type { ApiClient } from './api-client';
import { EXIT } from './exit-codes';
import { writeLine, type Io } from './output';
import type { ListPage } from './output';

/**
 * A one-line progress bar redrawn in place on a terminal. Hand-written (a dozen lines) rather than
 * a library: the result lines must be printed above it while it runs, which needs clear and redraw
 * around every line, and that is all there is to it.
 */
export class ProgressBar {
  private last = '';

  constructor(private readonly stream: Io['err']) {}

  update(done: number, total: number, label: string): void {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - 40));
    const filled = Math.round((percent / 100) * width);
    this.last = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${done}/${total} hosts ${label}`;
    this.stream.write(`\r\x1b[K${this.last}`);
  }

  /** Runs `print` with the bar lifted, then puts it back. */
  around(print: () => void): void {
    if (this.last !== '') this.stream.write('\r\x1b[K');
    print();
    if (this.last !== '') this.stream.write(this.last);
  }

  finish(): void {
    if (this.last !== '') this.stream.write('\r\x1b[K');
    this.last = '';
  }
}

const PAGE = 1000;

function describeHost(host: JobHost): string {
  const detail = host.reason ?? host.statusmsg;
  const state = host.late ? `${host.state}, late` : host.state;
  return detail && host.state !== 'succeeded' ? `${state} (${detail})` : state;
}

/** "Job finished. 81/84 hosts succeeded, 3 failed." with the kinds of failure when they differ. */
export function summaryLine(job: JobStatus): string {
  const c = job.counts;
  const notSucceeded = job.total_hosts - c.succeeded;
  const kinds = ([['failed', c.failed], ['no response', c.no_response], ['skipped', c.skipped], ['cancelled', c.cancelled]] as const).filter(([, n]) => n > 0);
  const breakdown = kinds.length > 1 || (kinds.length === 1 && kinds[0][0] !== 'failed') ? ` (${kinds.map(([k, n]) => `${n} ${k}`).join(', ')})` : '';
  const verb = job.state === 'cancelled' ? 'Job cancelled.' : 'Job finished.';
  return `${verb} ${c.succeeded}/${job.total_hosts} hosts succeeded, ${notSucceeded} failed${breakdown}.`;
}

/** The job's aggregates as `mco rpc` prints them ("Summary of Service Status:" blocks), each after a blank line. */
export function printAggregates(io: Io, job: JobStatus): void {
  for (const aggregate of job.aggregates ?? []) writeLine(io.out, `\n${aggregateText(aggregate)}`);
  if ((job.aggregates ?? []).length > 0) writeLine(io.out);
}

/** 0 when every host succeeded, 1 otherwise (failed, no response, skipped or cancelled). */
export function jobExitCode(job: JobStatus): number {
  return job.state === 'succeeded' ? EXIT.OK : EXIT.FAILED;
}

export interface WaitOptions {
  /** Print "Started on" / "Finished on" lines and the closing line (off with --json). */
  lines: boolean;
  /** Seconds each long poll may wait on the server. */
  pollSeconds?: number;
}

/**
 * Follows a job to its end with the API's long polls: `GET jobs/:id?wait&since=<version>` wakes on
 * every change, then the events feed (`after=<sequence>`) gives the hosts that finished, in order,
 * each once; the hosts in `running` are read when the counts say some are, for the "Started on"
 * lines. A host seen only once finished still gets its "Started on" line first (when it started).
 */
export async function waitForJob(api: ApiClient, io: Io, jobId: number, options: WaitOptions): Promise<JobStatus> {
  const pollSeconds = options.pollSeconds ?? 20;
  const bar = options.lines && io.err.isTTY ? new ProgressBar(io.err) : undefined;
  const started = new Set<string>();
  const print = (line: string) => (bar ? bar.around(() => writeLine(io.out, line)) : writeLine(io.out, line));
  const markStarted = (host: string) => {
    if (started.has(host)) return;
    started.add(host);
    print(`Started on ${host} ...`);
  };
  let since = 0;
  let after = 0;
  let rolloutSeen = '';
  for (;;) {
    const job = await api.get<JobStatus>(`/remote_execution/jobs/${jobId}`, { wait: pollSeconds, since });
    since = job.version;
    // A rollout: one line each time its batch, pause or stop changes ("Rollout: batch 2 of 6, failures 1 of max 3").
    const rollout = rolloutLine(job);
    if (options.lines && rollout !== rolloutSeen) {
      rolloutSeen = rollout;
      if (rollout !== '') print(`Rollout: ${rollout}`);
    }
    if (options.lines && job.counts.running > 0) {
      for (let page = 1; ; page++) {
        const running = await api.get<ListPage<JobHost>>(`/remote_execution/jobs/${jobId}/hosts`, { state: 'running', page, per_page: PAGE });
        for (const host of running.results) markStarted(host.host_name);
        if (page * PAGE >= running.subtotal) break;
      }
    }
    for (;;) {
      const events = await api.get<JobEventsPage>(`/remote_execution/jobs/${jobId}/events`, { after, limit: PAGE });
      if (options.lines) {
        for (const event of events.events) {
          if (event.started_at !== null) markStarted(event.host_name);
          print(`Finished on ${event.host_name}: ${describeHost(event)}`);
        }
      }
      after = events.last_sequence;
      if (events.events.length < PAGE) break;
    }
    const finished = job.total_hosts - job.counts.pending - job.counts.running;
    bar?.update(finished, job.total_hosts, job.rollout_progress ? `${job.state}, batch ${job.rollout_progress.batch}/${job.rollout_progress.batches}${job.rollout_progress.paused ? ', paused' : ''}` : job.state);
    if (FINAL_JOB_STATES.includes(job.state)) {
      bar?.finish();
      if (options.lines) {
        printAggregates(io, job);
        writeLine(io.out, summaryLine(job));
      }
      return job;
    }
  }
}

/** Where a rollout stands, without the failures count (which changes with every host): batch, pause, stop. */
export function rolloutLine(job: JobStatus): string {
  const r = job.rollout_progress;
  if (!r) return '';
  const threshold = r.max_failures === null ? '' : `, stops at ${r.max_failures} failures (${r.failures} so far)`;
  if (r.stopped_reason) return `stopped after batch ${r.batch} of ${r.batches}: ${r.stopped_reason}`;
  if (r.paused) return `paused after batch ${r.batch} of ${r.batches}: ${r.pause_reason ?? 'paused'}${threshold}; resume with rex job resume ${job.id}`;
  if (r.next_batch_at) return `batch ${r.batch} of ${r.batches} done${threshold}; next batch at ${r.next_batch_at}`;
  return `batch ${r.batch} of ${r.batches} (${r.batch_hosts} hosts)${threshold}`;
}

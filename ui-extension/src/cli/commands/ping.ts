import type { Command } from 'commander';
import type { Job, JobHost } from '@common/jobs';
import type { Context } from '../context';
import { EXIT } from '../exit-codes';
import { waitForJob } from '../job-wait';
import { printJson, printsProse, printTable, writeLine, type ListPage } from '../output';
import { positiveInt } from './common';
import { targeting, withTargetOptions, type TargetOptions } from './jobs';

/** One host's answer to `rex ping`: its round trip, or why it has none. */
export interface PingReply {
  host: string;
  state: JobHost['state'];
  /** From the proxy sending the request to the proxy receiving the reply, in milliseconds. */
  time_ms: number | null;
  reason: string | null;
}

const PAGE = 1000;

/**
 * `rex ping`, as `mco ping` prints it: one line per host that answered with its round trip, then
 * min/avg/max. It runs rpcutil#ping through the jobs API (so it is permitted, audited and scoped as
 * any job), and the round trip is what the proxy measured: the request leaving (sent_at_ms) to the
 * reply arriving (received_at_ms), recorded as each job host's started_at and finished_at.
 */
export function registerPingCommand(program: Command, ctx: Context, setExit: (code: number) => void): void {
  withTargetOptions(program.command('ping').description('Ping hosts (rpcutil#ping) and print each round-trip time and min/avg/max, like mco ping; every host you may see without targeting'))
    .option('--timeout <seconds>', 'seconds to wait for replies (default: the rpcutil DDL\'s)')
    .action(async (opts: TargetOptions & { timeout?: string }, cmd: Command) => {
      const api = await ctx.api(cmd);
      const target = (await targeting(api, opts, false)) ?? { search: '' };
      const job = await api.post<Job>('/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', arguments: {}, targeting: target, description: 'rex ping', timeout: positiveInt('--timeout', opts.timeout) } });
      await waitForJob(api, ctx.io, job.id, { lines: false });
      const hosts: JobHost[] = [];
      for (let page = 1; ; page++) {
        const got = await api.get<ListPage<JobHost>>(`/remote_execution/jobs/${job.id}/hosts`, { page, per_page: PAGE });
        hosts.push(...got.results);
        if (page * PAGE >= got.subtotal) break;
      }
      const replies = hosts.map(pingReply).sort((a, b) => (a.time_ms ?? Infinity) - (b.time_ms ?? Infinity) || a.host.localeCompare(b.host));
      const answered = replies.filter((r) => r.time_ms !== null);
      const times = answered.map((r) => r.time_ms!);
      const stats = { replies: answered.length, hosts: replies.length, min_ms: times.length ? Math.min(...times) : null, max_ms: times.length ? Math.max(...times) : null, avg_ms: times.length ? times.reduce((a, b) => a + b, 0) / times.length : null };
      setExit(answered.length === replies.length ? EXIT.OK : EXIT.FAILED);
      if (ctx.json(cmd)) return printJson(ctx.io, { job_id: job.id, statistics: stats, replies });
      if (!printsProse(ctx.io)) return printTable(ctx.io, replies, [['host', (r) => r.host], ['state', (r) => r.state], ['time ms', (r) => (r.time_ms === null ? null : Number(r.time_ms.toFixed(2)))], ['reason', (r) => r.reason]]);
      for (const r of answered) writeLine(ctx.io.out, `${r.host.padEnd(40)} time=${r.time_ms!.toFixed(2)} ms`);
      writeLine(ctx.io.out, '\n\n---- ping statistics ----');
      writeLine(ctx.io.out, stats.replies === 0 ? 'No responses received' : `${stats.replies} replies max: ${stats.max_ms!.toFixed(2)} min: ${stats.min_ms!.toFixed(2)} avg: ${stats.avg_ms!.toFixed(2)}`);
      const silent = replies.filter((r) => r.time_ms === null);
      if (silent.length > 0) {
        writeLine(ctx.io.out, `\nNo response from ${silent.length} of ${replies.length} hosts:`);
        for (const r of silent) writeLine(ctx.io.out, `   ${r.host.padEnd(37)} ${r.state}${r.reason ? ` (${r.reason})` : ''}`);
      }
      writeLine(ctx.io.out, `\n(job ${job.id}: rex job hosts ${job.id})`);
    });
}

/** A host's round trip when it replied; none when it did not (no_response, skipped, not sent). */
export function pingReply(host: JobHost): PingReply {
  const replied = host.state === 'succeeded' || (host.state === 'failed' && host.statuscode !== null);
  const time = replied && host.started_at !== null && host.finished_at !== null ? Math.max(0, Date.parse(host.finished_at) - Date.parse(host.started_at)) : null;
  return { host: host.host_name, state: host.state, time_ms: time, reason: host.reason };
}

/**
 * The CPU one long-poll answer costs (issue #20): `GET /remote_execution/jobs/:id?wait=30&since=<v>`
 * of a 10,000-host job with 9,500 succeeded and 500 failed hosts, as the `rex` CLI and the scale bench
 * follow a job (one such answer per committed result batch). The job is stored final, so every poll
 * answers at once; the figure is the server process's CPU per answer (process.cpuUsage around N
 * sequential polls made by a child process).
 * Run it with `node --cpu-prof` to see where that CPU goes.
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { dbDate } from '@server/jobs/job-invocation.repository';
import { openTestDataSource } from '@test/support/databases';
import { seedBenchJob } from './bench-job-seed';
import { AUTH, startJobApp, type JobAppOptions } from '@test/ui-extension/jobs/support/job-stack';

export interface JobShowPollResult { hosts: number; polls: number; cpuMsPerPoll: number; wallMsPerPoll: number; bodyBytes: number }

export async function runJobShowPollBench(options: { hosts: number; polls: number }): Promise<JobShowPollResult> {
  const db = await openTestDataSource('mysql');
  try {
    const ds = db.dataSource;
    const failed = (h: number) => h % 20 === 7;
    const { jobId, now } = await seedBenchJob(ds, {
      hosts: options.hosts, proxyPrefix: 'poll-proxy', portBase: 50_100, description: 'job show poll bench', state: (h) => (failed(h) ? 'failed' : 'succeeded'),
      counts: { succeeded: options.hosts - Math.floor(options.hosts / 20), failed: Math.floor(options.hosts / 20) }, final: true,
    });
    // Final before any app starts: no supervisor claims it.
    await ds.query(`UPDATE job_invocations SET state = 'succeeded', version = version + 5, started_at = ?, finished_at = ? WHERE id = ?`, [dbDate(now), dbDate(now), jobId]);
    await ds.query('ANALYZE TABLE job_invocation_hosts');
    const noProxies = { listAgents: () => Promise.resolve([]) } as unknown as JobAppOptions['proxies'];
    const app = await startJobApp({ dataSource: ds, proxies: noProxies, instanceId: 'bench-poll' });
    try {
      const get = async (url: string) => {
        const res = await fetch(url, { headers: { Authorization: AUTH } });
        const text = await res.text();
        return { status: res.status, text };
      };
      const url = `${app.url}/api/v2/remote_execution/jobs/${jobId}?wait=30&since=1`;
      const first = await get(url);
      if (first.status !== 200) throw new Error(`poll answered ${first.status}: ${first.text}`);
      const body = JSON.parse(first.text) as { succeeded_hosts: string[]; failed_hosts: string[] };
      if (body.succeeded_hosts.length !== 1000 || body.failed_hosts.length !== Math.min(1000, Math.floor(options.hosts / 20))) throw new Error('unexpected name lists');
      for (let i = 0; i < 50; i++) await get(url);
      // The client in a child process, so that this process's CPU is the server's alone.
      const time = async (target: string) => {
        const client = `(async () => { for (let i = 0; i < ${options.polls}; i++) { const r = await fetch(${JSON.stringify(target)}, { headers: { Authorization: ${JSON.stringify(AUTH)} } }); await r.text(); } })()`;
        const cpu = process.cpuUsage();
        const started = performance.now();
        await new Promise<void>((resolve, reject) => execFile(process.execPath, ['-e', client], (error) => (error ? reject(error) : resolve())));
        const used = process.cpuUsage(cpu);
        return { cpuMs: (used.user + used.system) / 1000 / options.polls, wallMs: (performance.now() - started) / options.polls };
      };
      const polls = await time(url);
      const r2 = (v: number) => Math.round(v * 100) / 100;
      return { hosts: options.hosts, polls: options.polls, cpuMsPerPoll: r2(polls.cpuMs), wallMsPerPoll: r2(polls.wallMs), bodyBytes: Buffer.byteLength(first.text) };
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  runJobShowPollBench({ hosts: env('BENCH_POLL_HOSTS', 10_000), polls: env('BENCH_POLL_N', 500) }).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`), (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}

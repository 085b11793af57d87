/**
 * A 100,000-host job's hosts exported as CSV and as JSON lines (issue #19) from MariaDB through the
 * real route and export service, over HTTP on loopback: how long, how many bytes, and how far the
 * serving process's resident memory grows above where it started (sampled every 20 ms while the
 * body streams). The client is a child process (node:http, reading and counting, dropping the
 * bytes), so the figure is the serving process's alone, as the issue asks of the ui-extension.
 * Target: growth < 100 MB. The rows carry ~120 bytes of reply data each, as a service status does.
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createJobExportRoutes } from '@server/http/routes/job-exports.routes';
import { createJobHostExport } from '@server/jobs/job-host-export';
import { createJobHostExportRepository } from '@server/jobs/job-host-export.repository';
import { dbDate } from '@server/jobs/job-invocation.repository';
import { openTestDataSource } from '@test/support/databases';

export interface JobHostsExportBenchResult {
  hosts: number;
  formats: Array<{ format: 'csv' | 'jsonl'; ms: number; bytes: number; lines: number; rssGrowthMb: number; heapPeakMb: number }>;
  rssBeforeMb: number;
  pass: boolean;
}

const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;

/** Reads the body in another process and answers its size in bytes and newlines. */
const CLIENT = `require('node:http').get(process.argv[1], (res) => { let bytes = 0; let lines = 0;
  res.on('data', (c) => { bytes += c.length; for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++; });
  res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, bytes, lines }))); });`;

async function download(url: string): Promise<{ bytes: number; lines: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', CLIENT, url]);
  const got = JSON.parse(stdout) as { status: number; bytes: number; lines: number };
  if (got.status !== 200) throw new Error(`export answered ${got.status}`);
  return got;
}

export async function runJobHostsExportBench(options: { hosts: number }): Promise<JobHostsExportBenchResult> {
  const db = await openTestDataSource('mysql');
  const server = await (async () => {
    const ds = db.dataSource;
    const stamp = dbDate(new Date());
    await ds.query(`INSERT INTO remote_actions (id, namespace, action, arguments, arguments_hash, created_at) VALUES (1, 'service', 'status', '{"service":"nginx"}', 'bench', '${stamp}')`);
    const ddl = JSON.stringify({ name: 'status', display: 'always', inputs: [], outputs: [{ name: 'status', display_as: 'Service Status' }] });
    await ds.query(`INSERT INTO job_invocations (id, remote_action_id, state, owner, timeout_s, ddl, total_hosts, created_at, updated_at) VALUES (1, 1, 'failed', 'admin', 60, ?, ?, ?, ?)`, [ddl, options.hosts, stamp, stamp]);
    for (let i = 0; i < options.hosts; i += 1000) {
      const n = Math.min(1000, options.hosts - i);
      const rows: unknown[] = [];
      for (let k = 0; k < n; k++) {
        const h = i + k;
        const failed = h % 20 === 0;
        rows.push(1, h + 1, `host-${String(h).padStart(6, '0')}.example.com`, 1 + (h % 2), failed ? 'failed' : 'succeeded', failed ? 1 : 0, failed ? 'Could not find service nginx' : 'OK',
          `{"status":"${failed ? 'unknown' : 'running'}","pid":${1000 + h},"since":"2026-12-06 07:00:00 UTC","unit":"nginx.service loaded active"}`, h + 1, stamp, stamp);
      }
      await ds.query(`INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, smart_proxy_id, state, statuscode, statusmsg, data, event_seq, started_at, finished_at) VALUES ${new Array(n).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, rows);
    }
    const hostExports = createJobHostExport({ repo: createJobHostExportRepository(ds), visibleJob: async (_user, id) => ({ id }), dialect: 'mysql', clock: () => new Date() });
    const app = express();
    app.use((req, _res, next) => {
      req.currentUser = { id: 1, login: 'admin', admin: true };
      next();
    });
    app.use(createJobExportRoutes(hostExports));
    const listening = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => listening.once('listening', resolve));
    return listening;
  })();
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/remote_execution/jobs/1/hosts/export`;
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const formats: JobHostsExportBenchResult['formats'] = [];
    for (const format of ['csv', 'jsonl'] as const) {
      let peak = process.memoryUsage().rss;
      let heapPeak = process.memoryUsage().heapUsed;
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.rss);
        heapPeak = Math.max(heapPeak, m.heapUsed);
      }, 20);
      const started = performance.now();
      const { bytes, lines } = await download(`${url}?format=${format}`);
      const ms = Math.round(performance.now() - started);
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      formats.push({ format, ms, bytes, lines, rssGrowthMb: mb(peak - rssBefore), heapPeakMb: mb(heapPeak) });
    }
    return { hosts: options.hosts, formats, rssBeforeMb: mb(rssBefore), pass: formats.every((f) => f.rssGrowthMb < 100 && f.lines >= options.hosts) };
  } finally {
    server.close();
    await db.close();
  }
}

if (require.main === module) {
  runJobHostsExportBench({ hosts: Number(process.env.BENCH_EXPORT_HOSTS ?? 100_000) }).then((r) => process.stdout.write(`${JSON.stringify(r, null, 1)}\n`), (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  });
}

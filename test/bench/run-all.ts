/**
 * `npm run bench`: the hot-path benchmarks, run in one go on this machine, written to
 * docs/BENCHMARKS.md with the machine, the date and the command; earlier runs stay below the new
 * one. Needs NATS on 127.0.0.1:4222 and MariaDB on 127.0.0.1:3306 (as the integration tests do),
 * and the Debian MCollective packages for the mco benchmark (the harness installs them as root).
 * BENCH_ONLY=grpc,job,rollout,search,jobhosts,jobpage,mco,sched,writes,scale runs a subset; BENCH_SEARCH_HOSTS shrinks the search data set;
 * BENCH_SCALE_SIZES (default 1000,10000,50000,100000), BENCH_SCALE_PROXIES, BENCH_SCALE_RUNS and
 * BENCH_SCALE_WARMUP shape the scale series (scale.bench.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runChoriaPingBench } from './choria-ping.bench';
import { runGrpcPingBench } from './grpc-ping.bench';
import { runHostWritesBench, type StageFigures } from './host-writes.bench';
import { runJobHostsSearchBench } from './job-hosts-search.bench';
import { runJobPageBench } from './job-page-100k.bench';
import { runJobBench } from './job.bench';
import { runMcollectiveJobBench } from './mcollective-job.bench';
import { runRolloutBench } from './rollout.bench';
import { scaleRows } from './scale-rows';
import { runScaleBench, scaleSizesFromEnv } from './scale.bench';
import { runSchedulerBench } from './scheduler.bench';
import { runSearchBench } from './search.bench';

interface Row { bench: string; target: string; result: string; pass: boolean; detail: string }

async function main(): Promise<void> {
  const only = (process.env.BENCH_ONLY ?? 'ping,grpc,job,rollout,search,jobhosts,jobpage,mco,sched,writes,scale').split(',');
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  if (only.includes('ping')) {
    const r = await runChoriaPingBench({ nodes: 1000 });
    raw.choriaPing = r;
    rows.push({ bench: 'directed rpcutil ping, 1,000 nodes, Choria client -> NATS -> fleet', target: '-', result: `${r.medianMs} ms`, pass: true, detail: `runs ${r.runsMs.join(', ')} ms; fleet in ${r.fleetIn}` });
  }
  if (only.includes('grpc')) {
    const r = await runGrpcPingBench({ nodes: 1000 });
    raw.grpcPing = r;
    rows.push({ bench: 'directed rpcutil ping, 1,000 nodes, end to end through gRPC (issue 4)', target: '< 1000 ms', result: `${r.medianMs} ms`, pass: r.medianMs < 1000, detail: `runs ${r.runsMs.join(', ')} ms; ${r.replies} replies; fleet in ${r.fleetIn}` });
  }
  if (only.includes('job')) {
    const r = await runJobBench({ hosts: 10_000, proxies: 2, database: 'mysql' });
    raw.job = r;
    rows.push({ bench: '10,000-host job, 2 proxies x 5,000 nodes, MariaDB: POST -> every result stored through the proxy-plugin gRPC servers (issue 5)', target: '< 5000 ms', result: `${r.medianMs} ms`, pass: r.medianMs < 5000, detail: `min ${r.minMs}, max ${r.maxMs} ms; POST alone ${r.medianPostMs} ms` });
  }
  if (only.includes('rollout')) {
    const r = await runRolloutBench({ hosts: 10_000, proxies: 2, batchSize: 1000, database: 'mysql' });
    raw.rollout = r;
    rows.push({ bench: `10,000-host job in ${r.batches} batches of 1,000 (no pause) vs unbatched, same run, alternating, MariaDB: POST -> every result stored (issue 17)`, target: '<= 1.15x', result: `${r.medianBatchedMs} ms vs ${r.medianUnbatchedMs} ms: ${r.ratio}x`, pass: r.ratio <= 1.15, detail: `batched ${r.batchedMs.join(', ')} ms; unbatched ${r.unbatchedMs.join(', ')} ms; fleet in ${r.fleetIn}` });
  }
  if (only.includes('search')) {
    const hosts = Number(process.env.BENCH_SEARCH_HOSTS ?? 100_000);
    const r = await runSearchBench({ hosts, factsPerHost: 30 });
    raw.search = r;
    rows.push({ bench: `search \`${r.search}\` on MariaDB, ${hosts.toLocaleString('en')} hosts x 30 facts: first page (issue 3)`, target: '< 200 ms', result: `${r.firstPageMedianMs} ms`, pass: r.firstPageMedianMs < 200, detail: `${r.matching} matching` });
    rows.push({ bench: 'same search: total count (issue 3)', target: '< 500 ms', result: `${r.countMedianMs} ms`, pass: r.countMedianMs < 500, detail: `findTargets of all matches ${r.findTargetsMedianMs} ms` });
    rows.push({ bench: `same search as a user limited to ${r.scoped.scope}: first page (issue 8)`, target: '< 200 ms', result: `${r.scoped.firstPageMedianMs} ms`, pass: r.scoped.firstPageMedianMs < 200, detail: `${r.scoped.matching} matching of ${r.scoped.visibleTotal} visible` });
    rows.push({ bench: 'same scoped search: total count (issue 8)', target: '< 500 ms', result: `${r.scoped.countMedianMs} ms`, pass: r.scoped.countMedianMs < 500, detail: 'scope compiled into the search SQL' });
  }
  if (only.includes('jobhosts')) {
    const r = await runJobHostsSearchBench({ hosts: 100_000 });
    raw.jobHostsSearch = r;
    for (const s of r.searches) rows.push({ bench: `a 100,000-host job's hosts (of ${r.rows.toLocaleString('en')} rows), MariaDB: first page, total and subtotal of \`${s.search}\` (issue 22)`, target: '< 1000 ms', result: `${s.medianMs} ms`, pass: s.medianMs < 1000, detail: `${s.matching} matching` });
    rows.push({ bench: `creating a 100,000-host job with ${r.createJobMs.recordedFacts} recorded facts vs none (jobs.recorded_facts, issue 22)`, target: '-', result: `${r.createJobMs.withFacts} ms vs ${r.createJobMs.withoutFacts} ms`, pass: true, detail: `${r.createJobMs.factRows} fact value rows for 3 jobs` });
  }
  if (only.includes('jobpage')) {
    // Issue 20 item 4: a 100k-host job's page through HTTP, while it runs and after; long-poll wake-ups.
    const r = await runJobPageBench({ hosts: 100_000 });
    raw.jobPage = r;
    const pages: Array<[keyof typeof r.running, string]> = [['show', 'job show'], ['firstPage', 'first page of its hosts'], ['stateFilter', `hosts \`search=${r.search.stateFilter}\``], ['nameSearch', `hosts \`search=${r.search.nameSearch}\``], ['stateParam', 'hosts `state=failed`']];
    for (const [figures, when] of [[r.running, `while it runs (${r.runningAt.storedFrom}-${r.runningAt.storedTo} results stored, 500 more per request)`], [r.after, `after it ended ${r.after.state}`]] as const) {
      for (const [key, what] of pages) rows.push({ bench: `100,000-host job, MariaDB, HTTP: ${what}, ${when} (issue 20)`, target: '< 200 ms', result: `${figures[key].medianMs} ms`, pass: figures[key].medianMs < 200, detail: `runs ${figures[key].runsMs.join(', ')} ms` });
    }
    rows.push({ bench: 'same job: long poll `?wait=30&since=` answered after a 500-result batch committed, same instance (issue 20)', target: '<= 20 ms', result: `${r.wakeup.medianMs} ms`, pass: r.wakeup.medianMs <= 20, detail: `${r.wakeup.runsMs.length} wake-ups: ${r.wakeup.runsMs.join(', ')} ms` });
    rows.push({ bench: 'same, long poll on a second instance on the same database (re-reads the job every 500 ms)', target: '-', result: `${r.remoteWakeup.medianMs} ms`, pass: true, detail: `${r.remoteWakeup.runsMs.length} wake-ups: ${r.remoteWakeup.runsMs.join(', ')} ms` });
  }
  if (only.includes('mco')) {
    const r = await runMcollectiveJobBench({ nodes: 30 });
    raw.mcollectiveJob = r;
    rows.push({
      bench: 'rpcutil ping on 30 real mcollectived (issue 7): our job, POST -> every result stored (MariaDB, through gRPC and the mcollective transport) vs `mco rpc rpcutil ping` as a whole process',
      target: 'ours <= 1/4 of mco rpc',
      result: `${r.medianOursMs} ms vs ${r.medianMcoRpcMs} ms: ratio ${r.ratio}`,
      pass: r.ratio <= 0.25,
      detail: `ours ${r.oursMs.join(', ')} ms; mco rpc (mc discovery) ${r.mcoRpcMs.join(', ')} ms; mco rpc -I x30 (no discovery) ${r.mcoRpcDirectedMs.join(', ')} ms, ratio ${r.ratioDirected}; of ours: POST ${r.postMs.join(', ')} ms, server created -> finished ${r.serverMs.join(', ')} ms, the proxy's execution (request out -> last reply) ${r.proxyExecutionMs.join(', ')} ms; fleet start ${r.fleetStartMs} ms`,
    });
  }
  if (only.includes('sched')) {
    const r = await runSchedulerBench({ occurrences: 1000, processes: 2, bursts: 3, warmup: 1 });
    raw.scheduler = r;
    const last = r.bursts[r.bursts.length - 1];
    rows.push({
      bench: '1,000 occurrences due at one instant, 2 ui-extension processes on one MariaDB: slowest occurrence fired (job queued with its hosts) after its time (issue 6)',
      target: '< 2000 ms',
      result: `${r.medianMaxFiredMs} ms`,
      pass: r.exactlyOnce && r.maxFiredMs < 2000,
      detail: `worst burst ${r.maxFiredMs} ms; each fired exactly once: ${r.exactlyOnce ? 'yes' : 'NO'}; per process ${Object.values(last.perInstance).join('/')}; started by the job dispatcher: slowest ${r.medianMaxStartedMs ?? '?'} ms (median of bursts)`,
    });
  }
  if (only.includes('writes')) {
    // Issue 20: MariaDB's share of the scale gap, steady (MariaDB alone), and what each index of the host rows costs.
    const r = await runHostWritesBench({ hosts: 10_000, runs: 5, indexCosts: true });
    raw.hostWrites = r;
    const fig = (s: StageFigures) => `${s.mariadbCpuMs} ms CPU (${s.wallMs} ms wall)`;
    rows.push({
      bench: "a 10,000-host job's host-row writes, MariaDB alone (no fleet, proxies or HTTP): ours (createJob's pending rows, commitResultBatch's running and result batches) vs the floor script's statements, MariaDB CPU per job (issue 20)",
      target: '-',
      result: `${r.ours.total.mariadbCpuMs} ms vs ${r.floor.total.mariadbCpuMs} ms: ${r.cpuRatio}x`,
      pass: true,
      detail: `ours: pending ${fig(r.ours.pending)}, running ${fig(r.ours.running)}, results ${fig(r.ours.results)}. Floor: pending ${fig(r.floor.pending)}, results ${fig(r.floor.results)}; ${r.runs} runs after a warm-up, alternating`,
    });
    rows.push({
      bench: 'same, ours without each secondary index of job_invocation_hosts in turn (dropped and measured, then put back and measured again beside it): MariaDB CPU per job, without vs with',
      target: '-',
      result: `with all: ${r.ours.total.mariadbCpuMs} ms`,
      pass: true,
      detail: (r.withoutIndex ?? []).map((w) => (w.ours && w.withIt ? `${w.index} (${w.columns.join(', ')}): ${w.ours.total.mariadbCpuMs} vs ${w.withIt.total.mariadbCpuMs} ms (pending ${w.ours.pending.mariadbCpuMs} vs ${w.withIt.pending.mariadbCpuMs}, running ${w.ours.running.mariadbCpuMs} vs ${w.withIt.running.mariadbCpuMs}, results ${w.ours.results.mariadbCpuMs} vs ${w.withIt.results.mariadbCpuMs})` : `${w.index}: cannot be dropped (${w.refused})`)).join('; '),
    });
  }
  if (only.includes('scale')) {
    const r = await runScaleBench(scaleSizesFromEnv(), (line) => process.stderr.write(`${line}\n`));
    raw.scale = r;
    rows.push(...scaleRows(r));
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  const lines = [
    `## Run of ${new Date().toISOString()}`,
    '',
    `Machine: ${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}; load average ${load} (1, 5, 15 min) when it ended.`,
    `Date: ${new Date().toISOString()}. Command: \`npm run bench\` (${[`BENCH_ONLY=${only.join(',')}`, ...Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_SCALE_')).map(([k, v]) => `${k}=${v}`)].join(' ')}).`,
    'Every figure is the median of several runs after warm-up runs, all in this one run of the command;',
    'the fleet nodes run on the same 2 cores, so their CPU is included (research/limits.md explains the ceilings).',
    ...(only.includes('scale') ? [
      'Scale series: the ui-extension and each proxy-plugin run as their own processes (the dist main.js entry points, Node\'s default heap, no flags);',
      'the fleet runs in worker threads of the benchmark process, beside the floor script, which writes a scratch table `floor_job_hosts`',
      '(research/limits.md §2\'s shape) in the same scratch test database on the same MariaDB server as our job. The series sets',
      'UI_EXTENSION_JOBS_MAX_HOSTS_PER_JOB to the size (the default refuses jobs above 50,000 hosts).',
    ] : []),
    '',
    '| benchmark | target | median | ok | detail |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.bench} | ${r.target} | ${r.result} | ${r.pass ? 'yes' : 'NO'} | ${r.detail} |`),
    '',
    'Raw results:',
    '',
    '```json',
    JSON.stringify(raw, null, 2),
    '```',
    '',
  ];
  const file = path.resolve(process.cwd(), 'docs', 'BENCHMARKS.md');
  // Earlier runs stay, newest first; the lead compares runs on a quiet machine with these.
  const earlier = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').replace(/^# Benchmarks\n+(Newest run first[^\n]*\n+)?/, '') : '';
  fs.writeFileSync(file, ['# Benchmarks', '', 'Newest run first; every run names its machine, date and command.', '', ...lines, earlier].join('\n'));
  process.stdout.write(`${lines.slice(0, lines.indexOf('Raw results:')).join('\n')}\n\nwritten to ${file}\n`);
  process.exit(rows.every((r) => r.pass) ? 0 : 1);
}

main().catch((error: Error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});

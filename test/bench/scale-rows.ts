/**
 * The scale series (scale.bench.ts) as rows of docs/BENCHMARKS.md's table, with issue 20's targets:
 * ratio to the floor <= 1.5x at 10k and <= 2x at 50k and 100k; time per host at 100k <= 1.3x the
 * time per host at 10k; peak RSS at 100k: ui-extension <= 400 MB, each proxy <= 250 MB.
 */
import type { ScaleBenchResult, ScaleSizeFailure, ScaleSizeResult } from './scale.bench';

export interface BenchRow {
  bench: string;
  target: string;
  result: string;
  pass: boolean;
  detail: string;
}

const n = (v: number): string => v.toLocaleString('en');
const ms = (v: number | null): string => (v === null ? '?' : `${n(v)}`);

const cpuTotal = (cpu: Record<string, number>): number => Object.values(cpu).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
const cpuList = (cpu: Record<string, number>): string => Object.entries(cpu).map(([label, v]) => `${label} ${Number.isFinite(v) ? n(v) : '?'}`).join(', ');

function ratioTarget(hosts: number): number | null {
  if (hosts === 10_000) return 1.5;
  if (hosts >= 50_000) return 2;
  return null;
}

function sizeRows(s: ScaleSizeResult | ScaleSizeFailure): BenchRow[] {
  if ('error' in s) {
    return [{ bench: `scale, ${n(s.hosts)} hosts over ${s.proxies} proxies, MariaDB: our job vs the floor script (issue 20)`, target: ratioTarget(s.hosts) === null ? '-' : `<= ${ratioTarget(s.hosts)}x`, result: 'did not finish', pass: false, detail: s.error.replace(/\|/g, '/') }];
  }
  const target = ratioTarget(s.hosts);
  const where = `${n(s.hosts)} hosts over ${s.proxies} proxies`;
  const st = s.productStages;
  const fl = s.floorStages;
  const memoryTarget = s.hosts === 100_000;
  const proxyPeak = Math.max(...s.memory.proxyMb.map((m) => m ?? Infinity));
  const sampled = Object.entries(s.memory.detail).map(([label, p]) => `${label} ${p.sampledPeakMb} MB`).join(', ');
  return [
    {
      bench: `scale, ${where}, MariaDB: our job (POST -> every result stored; ui-extension and proxies each in its own process) vs the floor script (test/bench/floor.bench.ts), same run, alternating (issue 20)`,
      target: target === null ? '-' : `<= ${target}x`,
      result: `${n(s.productMedianMs)} ms vs ${n(s.floorMedianMs)} ms: ${s.ratio}x`,
      pass: target === null || s.ratio <= target,
      detail: `per host ${n(s.productUsPerHost)} µs vs ${n(s.floorUsPerHost)} µs; ours ${s.product.map((r) => r.finalSeenMs).join(', ')} ms; floor ${s.floor.map((r) => r.totalMs).join(', ')} ms; ${s.runs} runs after warm-up; 1-min load average ${s.loadAverage} when they ended`,
    },
    {
      bench: `same size, stages (ms after the POST was sent; medians)`,
      target: '-',
      result: `last result stored ${ms(st.allStoredSeenMs)} ms`,
      pass: true,
      detail: `ours: POST answered (job + pending hosts stored) ${ms(st.postMs)}; dispatched (job started_at) ${ms(st.dispatchedMs)}; first request published (min host started_at) ${ms(st.firstRequestMs)}; last reply received (max host finished_at) ${ms(st.lastReplyMs)}; last result stored (long poll saw no host pending/running) ${ms(st.allStoredSeenMs)}; job final (finished_at) ${ms(st.jobFinishedMs)}; final seen by the client ${ms(st.finalSeenMs)}. Floor: pending rows committed ${fl.pendingStoredMs}; first publish ${fl.firstPublishMs}; last publish ${fl.lastPublishMs}; last reply ${fl.lastReplyMs}; last commit ${fl.lastCommitMs}`,
    },
    {
      bench: `same size, CPU per job of every process taking part (ms, medians; \`bench\` is the fleet threads with the client or the floor)`,
      target: '-',
      result: `ours ${n(cpuTotal(s.cpuMs.product))} ms vs floor ${n(cpuTotal(s.cpuMs.floor))} ms`,
      pass: true,
      detail: `ours: ${cpuList(s.cpuMs.product)}. Floor: ${cpuList(s.cpuMs.floor)}`,
    },
    {
      bench: `same size, peak RSS of the ui-extension and of each proxy process (VmHWM over the measured jobs; Node's default heap; fleet apart)`,
      target: memoryTarget ? 'ui <= 400 MB, each proxy <= 250 MB' : '-',
      result: `ui ${s.memory.uiMb ?? '?'} MB; proxies ${s.memory.proxyMb.map((m) => m ?? '?').join(', ')} MB`,
      pass: !memoryTarget || ((s.memory.uiMb ?? Infinity) <= 400 && proxyPeak <= 250),
      detail: `sampled every 50 ms, last run: ${sampled}; the benchmark process (fleet threads, floor) peaked at ${s.benchProcessPeakMb ?? '?'} MB; setup ms: fleet ${s.setupMs.fleet}, proxies ${s.setupMs.proxies}, seed ${s.setupMs.seed}, ui ${s.setupMs.ui}`,
    },
  ];
}

export function scaleRows(r: ScaleBenchResult): BenchRow[] {
  const rows = r.sizes.flatMap(sizeRows);
  if (r.linearity) {
    const { from, to, factor, floorFactor } = r.linearity;
    rows.push({
      bench: `scale: time per host at ${n(to)} / at ${n(from)} hosts (linearity, issue 20)`,
      target: '<= 1.3x at 100,000',
      result: `${factor}x`,
      pass: to === 100_000 && factor <= 1.3,
      detail: `the floor's own factor ${floorFactor}x${to === 100_000 ? '' : '; 100,000 hosts not run'}`,
    });
  }
  return rows;
}

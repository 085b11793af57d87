/**
 * Load (issue #12): 200 concurrent long-poll clients on one job plus 50 job submissions per second
 * for 30 s against the real app. The ui-extension is its own process (ui-extension/src/server/main.ts,
 * as in production) on a scratch MariaDB database, so its resident memory is its own; a real
 * proxy-plugin gRPC server and the Choria test fleet on the system NATS run in this process.
 *
 * Asserted, with margin for a 2-core machine shared with other test runs: no request fails, every
 * job ends with every host in its expected final state (nothing lost), every long-poll client sees
 * the long job's final state, and the server's peak RSS stays under a generous bound. Latencies are
 * recorded, not asserted (they depend on the other tenants); the test prints its figures and writes
 * them to test-results/load.json (docs/RELIABILITY.md keeps the measured runs).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobStatus } from '@common/jobs';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { mysqlTestUrl, openTestDataSource, type OpenTestDataSource } from '@test/support/databases';
import { startTestProxy, type TestProxy } from '@test/ui-extension/jobs/support/grpc-proxies';
import { ADMIN_PASSWORD, seedInventory, type SeededInventory } from '@test/ui-extension/jobs/support/job-stack';
import { startUiProcess, type UiProcess } from '@test/ui-extension/scheduler/support/multi-instance';

jest.setTimeout(300_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const AUTH = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };
const POLLERS = 200;
const SUBMIT_PER_S = 50;
const DURATION_S = 30;
const NODES = 100;
const HOSTS_PER_JOB = 5;
/** Hosts of the long job that no node answers: they end no_response at its timeout. */
const GHOSTS = 20;
/** The long job outlives the load phase, so the long polls wait on a running job throughout. */
const LONG_JOB_TIMEOUT_S = DURATION_S + 8;
const LONG_POLL_WAIT_S = 10;
/** The server's peak resident memory must stay under this (measured ~ a third of it; see the doc). */
const PEAK_RSS_BOUND_MB = 1024;

interface Sample { ms: number; status: number | 'error'; detail?: string }

const percentile = (values: number[], q: number) => {
  if (values.length === 0) return NaN;
  const v = [...values].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)];
};
const summary = (samples: Sample[]) => {
  const ms = samples.map((s) => s.ms);
  return { count: ms.length, p50_ms: Math.round(percentile(ms, 0.5)), p95_ms: Math.round(percentile(ms, 0.95)), p99_ms: Math.round(percentile(ms, 0.99)), max_ms: Math.round(Math.max(...ms)) };
};

/** VmRSS and VmHWM (peak resident set since start) of a process, in MiB, from /proc. */
function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** User + system CPU seconds of a process so far. */
function cpuSecondsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
function machineBusySeconds(): number {
  const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const busy = fields.slice(0, 8).reduce((a, b) => a + b, 0) - fields[3] - fields[4];
  return busy / 100;
}

/** CPU seconds so far of the shared services by process name (they also serve other test runs). */
function serviceCpuSeconds(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (comm === 'mariadbd' || comm === 'nats-server') out[comm] = (out[comm] ?? 0) + cpuSecondsOf(Number(pid));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return out;
}

async function timed(fn: () => Promise<Response>, expect: number): Promise<Sample & { body?: unknown }> {
  const started = performance.now();
  try {
    const res = await fn();
    const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
    const ms = performance.now() - started;
    return res.status === expect ? { ms, status: res.status, body } : { ms, status: res.status, detail: JSON.stringify(body).slice(0, 300) };
  } catch (error) {
    return { ms: performance.now() - started, status: 'error', detail: (error as Error).message };
  }
}

describe('load: 200 long polls on one job and 50 job submissions per second for 30 s', () => {
  let db: OpenTestDataSource;
  let fleet: ChoriaFleet;
  let proxy: TestProxy;
  let ui: UiProcess;
  let ids: SeededInventory;
  const prefix = `load-${randomBytes(3).toString('hex')}-`;
  const node = (i: number) => `${prefix}${String(i).padStart(5, '0')}`;

  beforeAll(async () => {
    db = await openTestDataSource({ kind: 'mysql', url: mysqlTestUrl() });
    const collective = `rexload${randomBytes(4).toString('hex')}`;
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: NODES, identityPrefix: prefix, seed: prefix, failureRate: 0 });
    proxy = await startTestProxy({ name: 'proxy-load', natsUrl: NATS_URL, collective, overrides: { 'executions.max_retained': 2000 } });
    const hosts = Array.from({ length: NODES }, (_, i) => ({ name: node(i + 1), proxy: 'proxy-load', hostgroup: 'load' }));
    for (let i = 1; i <= GHOSTS; i++) hosts.push({ name: `${prefix}ghost-${i}`, proxy: 'proxy-load', hostgroup: 'load' });
    ids = await seedInventory(db.dataSource, { hostgroups: ['load'], proxies: [{ name: 'proxy-load', url: proxy.url, capabilities: ['remote_execution', 'choria'] }], hosts });
    // The production default pool (10), as an operator would run it.
    ui = await startUiProcess({ database: { ...db.database, pool_size: 10 }, instanceId: 'load-1' });
  });

  afterAll(async () => {
    await ui?.kill('SIGTERM');
    await proxy?.stop();
    await fleet?.stop();
    await db?.close();
  });

  it('answers every request, loses no result and keeps its memory bounded', async () => {
    const base = ui.url;
    const post = (job: unknown) => fetch(`${base}/api/v2/remote_execution/jobs`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ job }) });
    // Warm-up: one job end to end (credential cache, DDL catalog, gRPC channel).
    const warm = await timed(() => post({ namespace: 'rpcutil', action: 'ping', targeting: { host_ids: [ids.hostIds.get(node(1))!] } }), 201);
    expect(warm.detail).toBeUndefined();

    const memBefore = memoryOf(ui.child.pid!);
    const cpuBefore = cpuSecondsOf(ui.child.pid!);
    const busyBefore = machineBusySeconds();
    const servicesBefore = serviceCpuSeconds();
    const ownBefore = process.cpuUsage();
    const rssTimeline: number[] = [];
    const sampler = setInterval(() => rssTimeline.push(memoryOf(ui.child.pid!).rssMb), 250);

    // The long job: every node plus the ghosts, which keep it running past the load phase.
    const long = await timed(() => post({ namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: ids.hostgroupIds.get('load') }, timeout: LONG_JOB_TIMEOUT_S }), 201);
    expect(long.detail).toBeUndefined();
    const longId = (long.body as { id: number }).id;

    const started = performance.now();
    const loadEnds = started + DURATION_S * 1000;

    // 200 clients, each long-polling the long job until it is final.
    const pollSamples: Sample[] = [];
    const pollErrors: Sample[] = [];
    const finalSeen: string[] = [];
    /** Wall-clock ms at which each client received the final state, to compare with finished_at. */
    const finalSeenAt: number[] = [];
    const poller = async () => {
      let since = 0;
      for (;;) {
        const s = await timed(() => fetch(`${base}/api/v2/remote_execution/jobs/${longId}?wait=${LONG_POLL_WAIT_S}&since=${since}`, { headers: AUTH }), 200);
        if (s.detail !== undefined) {
          pollErrors.push(s);
          return;
        }
        pollSamples.push(s);
        const job = s.body as JobStatus;
        if (['succeeded', 'failed', 'cancelled'].includes(job.state)) {
          finalSeen.push(job.state);
          finalSeenAt.push(Date.now());
          return;
        }
        since = job.version;
      }
    };
    const pollers = Array.from({ length: POLLERS }, poller);

    // Plain reads while all this goes on: a job's status without waiting, 10 a second.
    const readSamples: Sample[] = [];
    const readErrors: Sample[] = [];
    const reads: Array<Promise<void>> = [];
    const reader = setInterval(() => {
      reads.push(timed(() => fetch(`${base}/api/v2/remote_execution/jobs/${longId}`, { headers: AUTH }), 200).then((s) => void (s.detail === undefined ? readSamples : readErrors).push(s)));
    }, 100);

    // 50 submissions per second, open loop: each fires on time whether or not earlier ones answered.
    const submitSamples: Sample[] = [];
    const submitErrors: Sample[] = [];
    const jobIds: number[] = [];
    const inFlight: Array<Promise<void>> = [];
    let sent = 0;
    const total = SUBMIT_PER_S * DURATION_S;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * SUBMIT_PER_S) + 1);
      for (; sent < due; sent++) {
        const first = 1 + ((sent * HOSTS_PER_JOB) % NODES);
        const hostIds = Array.from({ length: HOSTS_PER_JOB }, (_, k) => ids.hostIds.get(node(((first - 1 + k) % NODES) + 1))!);
        inFlight.push(timed(() => post({ namespace: 'rpcutil', action: 'ping', targeting: { host_ids: hostIds } }), 201).then((s) => {
          if (s.detail !== undefined) submitErrors.push(s);
          else {
            submitSamples.push(s);
            jobIds.push((s.body as { id: number }).id);
          }
        }));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const submittedInS = (performance.now() - started) / 1000;
    clearInterval(reader);
    await Promise.all(inFlight);
    await Promise.all(reads);
    const answeredInS = (performance.now() - started) / 1000;
    expect(performance.now()).toBeGreaterThanOrEqual(loadEnds - 1000);

    // Every submitted job final, every host of it succeeded: nothing lost under load.
    const drainUntil = Date.now() + 120_000;
    let open = Infinity;
    while (Date.now() < drainUntil) {
      open = Number(((await db.dataSource.query(`SELECT COUNT(*) AS n FROM job_invocations WHERE state IN ('queued', 'running') AND id <> ?`, [longId])) as Array<{ n: string | number }>)[0].n);
      if (open === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const allFinalInS = (performance.now() - started) / 1000;
    await Promise.all(pollers);
    clearInterval(sampler);
    const memAfter = memoryOf(ui.child.pid!);
    const cpuUsed = cpuSecondsOf(ui.child.pid!) - cpuBefore;
    const ownUsage = process.cpuUsage(ownBefore);
    const testProcessCpu = (ownUsage.user + ownUsage.system) / 1e6;
    const wallS = (performance.now() - started) / 1000;
    const servicesAfter = serviceCpuSeconds();
    const serviceCpu = Object.fromEntries(Object.entries(servicesAfter).map(([name, s]) => [name, Number((s - (servicesBefore[name] ?? 0)).toFixed(1))]));
    const serviceTotal = Object.values(serviceCpu).reduce((a, b) => a + b, 0);

    const states = (await db.dataSource.query(`SELECT state, COUNT(*) AS n FROM job_invocations WHERE id <> ? AND id > ? GROUP BY state`, [longId, longId])) as Array<{ state: string; n: string | number }>;
    const hostStates = (await db.dataSource.query(`SELECT h.state, COUNT(*) AS n FROM job_invocation_hosts h WHERE h.job_invocation_id > ? GROUP BY h.state`, [longId])) as Array<{ state: string; n: string | number }>;
    const longJob = (await (await fetch(`${base}/api/v2/remote_execution/jobs/${longId}`, { headers: AUTH })).json()) as JobStatus;

    const figures = {
      measured_at: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        loadavg_1m_after: Number(os.loadavg()[0].toFixed(2)),
        wall_s: Number(wallS.toFixed(1)),
        // What the CPUs did meanwhile: this test process (fleet, proxy, clients), the server, the
        // shared MariaDB and NATS (for this test and any other running), and everything else
        // (other engineers' test processes).
        cpu_s: {
          test_process: Number(testProcessCpu.toFixed(1)),
          server: Number(cpuUsed.toFixed(1)),
          ...serviceCpu,
          everything_else: Number((machineBusySeconds() - busyBefore - testProcessCpu - cpuUsed - serviceTotal).toFixed(1)),
        },
      },
      load: { pollers: POLLERS, long_poll_wait_s: LONG_POLL_WAIT_S, submissions_per_s: SUBMIT_PER_S, duration_s: DURATION_S, hosts_per_job: HOSTS_PER_JOB },
      submissions: { sent: total, created: submitSamples.length, errors: submitErrors.length, submitted_in_s: Number(submittedInS.toFixed(1)), answered_in_s: Number(answeredInS.toFixed(1)), all_final_in_s: Number(allFinalInS.toFixed(1)), latency: summary(submitSamples) },
      status_reads: { errors: readErrors.length, latency: summary(readSamples) },
      long_polls: {
        answers: pollSamples.length,
        errors: pollErrors.length,
        clients_that_saw_final: finalSeen.length,
        // From the job's finished_at (stored by the server) to each waiting client receiving it.
        wake_after_final_ms: longJob.finished_at ? summary(finalSeenAt.map((t) => ({ ms: t - Date.parse(longJob.finished_at!), status: 200 }))) : null,
        long_job_state: longJob.state,
        long_job_counts: longJob.counts,
      },
      jobs_by_state: Object.fromEntries(states.map((r) => [r.state, Number(r.n)])),
      hosts_by_state: Object.fromEntries(hostStates.map((r) => [r.state, Number(r.n)])),
      server: {
        rss_before_mb: Math.round(memBefore.rssMb),
        rss_peak_mb: Math.round(memAfter.hwmMb),
        rss_after_mb: Math.round(memAfter.rssMb),
        rss_max_sampled_mb: Math.round(Math.max(...rssTimeline)),
        cpu_seconds: Number(cpuUsed.toFixed(1)),
      },
    };
    process.stdout.write(`\nload figures: ${JSON.stringify(figures, null, 2)}\n`);
    const out = path.resolve(__dirname, '..', '..', 'test-results');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'load.json'), `${JSON.stringify(figures, null, 2)}\n`);

    expect(submitErrors.slice(0, 5)).toEqual([]);
    expect(pollErrors.slice(0, 5)).toEqual([]);
    expect(readErrors.slice(0, 5)).toEqual([]);
    expect(submitSamples).toHaveLength(total);
    expect(open).toBe(0);
    expect(figures.jobs_by_state).toEqual({ succeeded: total });
    expect(figures.hosts_by_state).toEqual({ succeeded: total * HOSTS_PER_JOB });
    expect(finalSeen).toHaveLength(POLLERS);
    expect(new Set(finalSeen)).toEqual(new Set(['failed']));
    expect(longJob.counts).toMatchObject({ succeeded: NODES, no_response: GHOSTS });
    expect(memAfter.hwmMb).toBeLessThan(PEAK_RSS_BOUND_MB);
  });
});

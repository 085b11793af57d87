import type { PuppetDbRunReport } from '@common/jobs';
import { AppError } from '@server/errors';
import { createPuppetRunReports, runOfResult, type HostAwaitingReport, type StoredHostResult } from '@server/jobs/puppet-run-reports';
import { silentLogger } from '@server/logger';

const START = Date.parse('2026-12-06T10:00:00Z');
const END_S = START / 1000 - 2;
const JOB = { id: 7, namespace: 'puppet', action: 'runonce' };

/** A followed run's reply data as the proxy stores it (puppet-run.runner.ts). */
const runData = (overrides: Record<string, unknown> = {}) => JSON.stringify({ summary: 'Started', initiated_at: END_S - 30, run: { outcome: 'changed', changed_resources: 2, failed_resources: 0, config_version: '1700000003', noop: false, last_run: END_S, ...overrides } });
const aResult = (rowId: number, hostName = `web-${rowId}.example.com`, data: string | null = runData()): StoredHostResult => ({ rowId, hostName, data });

/** A row PuppetDB answers for the run of `certname`. */
const aRow = (certname: string, hash = `h-${certname}`) => ({ hash, certname, configuration_version: '1700000003', noop: false, end_time: new Date(END_S * 1000).toISOString(), status: 'changed', metrics: { data: [{ category: 'resources', name: 'changed', value: 2 }] } });

/** The world of one test: a clock and timers it moves by hand, a PuppetDB that answers what the test says, a store that keeps writes. */
function world(options: { waitMs?: number; concurrency?: number; maxQueued?: number } = {}) {
  /** Hosts the database holds with a result and no report, by job (the store's recovery queries read them). */
  const awaiting = new Map<number, HostAwaitingReport[]>();
  const asked: Array<{ since?: Date; rowIds?: number[] }> = [];
  let now = START;
  const timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  const stored = new Map<number, PuppetDbRunReport>();
  const notified: number[] = [];
  /** certname -> whether PuppetDB holds its report now (or throws this error). */
  const holds = new Map<string, boolean | Error>();
  let inFlight = 0;
  let maxInFlight = 0;
  const queries: string[] = [];
  const release: Array<() => void> = [];
  let gate = false;
  const reports = createPuppetRunReports({
    puppetdb: {
      url: 'https://puppetdb.example.com:8081',
      async query(pql: string) {
        queries.push(pql);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (gate) await new Promise<void>((resolve) => release.push(resolve));
        inFlight--;
        const certname = /certname = "([^"]+)"/.exec(pql)![1];
        const state = holds.get(certname);
        if (state instanceof Error) throw state;
        return state ? [aRow(certname)] : [];
      },
    },
    store: {
      async storePuppetReport(jobId, rowId, report) {
        expect(jobId).toBe(JOB.id);
        // Only over null, as the repository writes it.
        if (stored.has(rowId)) return false;
        stored.set(rowId, JSON.parse(report) as PuppetDbRunReport);
        return true;
      },
      async jobsOfActionSince(run, since) {
        expect(run).toEqual({ namespace: 'puppet', action: 'runonce' });
        asked.push({ since });
        return [...awaiting.keys()];
      },
      async hostsAwaitingReport(_run, jobId, page) {
        if (page.rowIds) asked.push({ rowIds: page.rowIds });
        return (awaiting.get(jobId) ?? []).filter((h) => h.rowId > page.afterRowId && !stored.has(h.rowId) && (!page.rowIds || page.rowIds.includes(h.rowId))).slice(0, page.limit);
      },
    },
    clock: () => new Date(now),
    logger: silentLogger(),
    waitMs: options.waitMs ?? 10_000,
    retryMs: 1000,
    concurrency: options.concurrency ?? 4,
    maxQueued: options.maxQueued,
    onStored: (jobId) => notified.push(jobId),
    timer: (fn, ms) => {
      const t = { at: now + ms, fn, cancelled: false };
      timers.push(t);
      return { cancel: () => { t.cancelled = true; } };
    },
  });
  const settle = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  /** Moves the clock by `ms`, firing each timer that falls due on the way. */
  async function advance(ms: number): Promise<void> {
    const until = now + ms;
    await settle();
    for (;;) {
      const due = timers.filter((t) => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      now = due.at;
      due.cancelled = true;
      due.fn();
      await settle();
    }
    now = until;
    await settle();
  }
  return { reports, awaiting, asked, stored, notified, holds, queries, advance, settle, maxInFlight: () => maxInFlight, openGate: () => { gate = true; }, releaseAll: async () => { gate = false; release.splice(0).forEach((r) => r()); await settle(); } };
}

describe(createPuppetRunReports.name, () => {
  it('stores the report found at the first look when PuppetDB already holds it', async () => {
    const w = world();
    w.holds.set('web-1.example.com', true);
    w.reports.resultsStored(JOB, [aResult(1)]);
    await w.settle();
    expect(w.stored.get(1)).toMatchObject({ hash: 'h-web-1.example.com', reason: null, summary: { status: 'changed', changed_resources: 2 } });
    expect(w.notified).toEqual([JOB.id]);
    expect(w.reports.pending()).toBe(0);
  });

  it('asks again each second and stores the report once PuppetDB has stored the command when it arrives later', async () => {
    const w = world();
    w.reports.resultsStored(JOB, [aResult(1)]);
    await w.advance(2500);
    expect(w.stored.size).toBe(0);
    expect(w.queries).toHaveLength(3);
    w.holds.set('web-1.example.com', true);
    await w.advance(1000);
    expect(w.stored.get(1)?.hash).toBe('h-web-1.example.com');
    expect(w.queries).toHaveLength(4);
  });

  it('stores why there is no report after the wait when PuppetDB never holds one', async () => {
    const w = world({ waitMs: 10_000 });
    w.reports.resultsStored(JOB, [aResult(1)]);
    await w.advance(9000);
    expect(w.stored.size).toBe(0);
    await w.advance(2000);
    expect(w.stored.get(1)).toEqual({
      hash: null, url: null, summary: null, fetched_at: new Date(START + 10_000).toISOString(),
      reason: `no report in PuppetDB for this run after 10 s (certname web-1.example.com, configuration version 1700000003, ended ${new Date(END_S * 1000).toISOString()})`,
    });
    expect(w.queries).toHaveLength(11);
    expect(w.reports.pending()).toBe(0);
  });

  it("stores PuppetDB's error as the reason when PuppetDB cannot be asked during the whole wait", async () => {
    const w = world({ waitMs: 3000 });
    w.holds.set('web-1.example.com', new AppError('UNAVAILABLE', 'PuppetDB https://puppetdb.example.com:8081 cannot be reached: connect ECONNREFUSED'));
    w.reports.resultsStored(JOB, [aResult(1)]);
    await w.advance(5000);
    expect(w.stored.get(1)?.reason).toBe("PuppetDB could not be asked for this run's report within 3 s: PuppetDB https://puppetdb.example.com:8081 cannot be reached: connect ECONNREFUSED");
  });

  it('looks up nothing when the job is no Puppet run or the host has no finished run', async () => {
    const w = world();
    w.reports.resultsStored({ ...JOB, action: 'status' }, [aResult(1)]);
    w.reports.resultsStored(JOB, [aResult(2, 'a', null), aResult(3, 'b', JSON.stringify({ summary: '', run: null })), aResult(4, 'c', 'not json')]);
    await w.advance(20_000);
    expect(w.queries).toEqual([]);
    expect(w.stored.size).toBe(0);
  });

  it('gives the dispatcher no sink when the job is no Puppet run, so it maps none of its results', () => {
    const w = world();
    expect(w.reports.forJob({ ...JOB, action: 'status' })).toBeUndefined();
    expect(w.reports.forJob({ ...JOB, namespace: 'service' })).toBeUndefined();
  });

  it("queues the job's finished runs when results reach the sink given for a Puppet run", async () => {
    const w = world();
    w.holds.set('web-1.example.com', true);
    w.reports.forJob(JOB)!([aResult(1), aResult(2, 'b', null)]);
    await w.settle();
    expect([...w.stored.keys()]).toEqual([1]);
    expect(w.queries).toHaveLength(1);
  });

  it('keeps at most `concurrency` lookups in flight when many hosts end at once', async () => {
    const w = world({ concurrency: 2 });
    for (let i = 1; i <= 6; i++) w.holds.set(`web-${i}.example.com`, true);
    w.openGate();
    w.reports.resultsStored(JOB, Array.from({ length: 6 }, (_, i) => aResult(i + 1)));
    await w.settle();
    expect(w.queries).toHaveLength(2);
    for (let round = 0; round < 3; round++) await w.releaseAll();
    expect(w.maxInFlight()).toBe(2);
    expect([...w.stored.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('stores that it did not look when more runs wait than the queue holds', async () => {
    const w = world({ maxQueued: 2 });
    w.openGate();
    w.reports.resultsStored(JOB, [aResult(1), aResult(2), aResult(3)]);
    await w.settle();
    expect(w.stored.get(3)?.reason).toBe('not looked up in PuppetDB: 2 report lookups were already waiting');
  });

  it('drops waiting lookups and stores nothing more when stopped', async () => {
    const w = world();
    w.reports.resultsStored(JOB, [aResult(1)]);
    await w.settle();
    await w.reports.stop();
    w.holds.set('web-1.example.com', true);
    await w.advance(20_000);
    expect(w.stored.size).toBe(0);
    expect(w.reports.pending()).toBe(0);
  });
});

/** A host the database holds with a result (stored `agoMs` before the test's start) and no report. */
const anAwaiting = (rowId: number, agoMs: number): HostAwaitingReport => ({ ...aResult(rowId), resultAt: new Date(START - agoMs) });

describe('recovery of puppet report lookups', () => {
  it('looks up the hosts a stopped instance left, of jobs running or ended within the last 24 h, when recovering', async () => {
    const w = world();
    w.holds.set('web-1.example.com', true);
    w.holds.set('web-2.example.com', true);
    w.awaiting.set(JOB.id, [anAwaiting(1, 1000), anAwaiting(2, 3_600_000)]);
    expect(await w.reports.recover()).toBe(2);
    await w.settle();
    expect(w.asked[0].since).toEqual(new Date(START - 86_400_000));
    expect(w.stored.get(1)?.hash).toBe('h-web-1.example.com');
    expect(w.stored.get(2)?.hash).toBe('h-web-2.example.com');
    expect(w.notified).toEqual([JOB.id, JOB.id]);
  });

  it('asks a recovered host until the wait after its result has passed when that result is recent', async () => {
    const w = world({ waitMs: 10_000 });
    w.awaiting.set(JOB.id, [anAwaiting(1, 4000)]);
    await w.reports.recover();
    await w.advance(5500);
    expect(w.stored.size).toBe(0);
    await w.advance(1000);
    expect(w.stored.get(1)?.reason).toMatch(/^no report in PuppetDB for this run after 10 s/);
    expect(w.queries).toHaveLength(7);
  });

  it('asks a recovered host once and stores why there is none when its result is older than the wait', async () => {
    const w = world({ waitMs: 10_000 });
    w.awaiting.set(JOB.id, [anAwaiting(1, 3_600_000)]);
    await w.reports.recover();
    await w.settle();
    expect(w.queries).toHaveLength(1);
    expect(w.stored.get(1)?.reason).toMatch(/^no report in PuppetDB for this run/);
  });

  it('fills at most half the queue and goes on as lookups end when more hosts await than the queue holds', async () => {
    const w = world({ maxQueued: 4, concurrency: 1 });
    for (let i = 1; i <= 8; i++) w.holds.set(`web-${i}.example.com`, true);
    w.awaiting.set(JOB.id, Array.from({ length: 7 }, (_, i) => anAwaiting(i + 1, 1000)));
    w.openGate();
    const recovering = w.reports.recover();
    await w.settle();
    expect(w.reports.pending()).toBe(2);
    // Room stays for new results: they are queued, not refused.
    w.reports.resultsStored(JOB, [aResult(8)]);
    expect(w.reports.pending()).toBe(3);
    for (let round = 0; round < 10 && w.stored.size < 8; round++) await w.releaseAll();
    expect(await recovering).toBe(7);
    expect([...w.stored.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...w.stored.values()].every((r) => r.hash !== null)).toBe(true);
  });

  it('leaves hosts whose result is newer than `settledMs` when sweeping for what a dead instance left', async () => {
    const w = world();
    w.holds.set('web-1.example.com', true);
    w.holds.set('web-2.example.com', true);
    w.awaiting.set(JOB.id, [anAwaiting(1, 60_000), anAwaiting(2, 700_000)]);
    expect(await w.reports.recover({ settledMs: 610_000 })).toBe(1);
    await w.settle();
    expect([...w.stored.keys()]).toEqual([2]);
  });

  it('does not ask twice for a host already queued when recovery finds it too', async () => {
    const w = world();
    w.openGate();
    w.reports.resultsStored(JOB, [aResult(1)]);
    w.awaiting.set(JOB.id, [anAwaiting(1, 0)]);
    expect(await w.reports.recover()).toBe(0);
    expect(w.reports.pending()).toBe(1);
  });

  it('keeps the first answer and wakes nobody when another instance stored the report first', async () => {
    const w = world();
    w.holds.set('web-1.example.com', true);
    w.stored.set(1, { hash: 'other', url: null, summary: null, reason: null, fetched_at: 'x' } as PuppetDbRunReport);
    w.reports.resultsStored(JOB, [aResult(1)]);
    await w.settle();
    expect(w.stored.get(1)?.hash).toBe('other');
    expect(w.notified).toEqual([]);
  });

  it('looks up the late results the store says await a report when late results were recorded', async () => {
    const w = world();
    w.holds.set('web-3.example.com', true);
    w.awaiting.set(JOB.id, [anAwaiting(3, 0)]);
    await w.reports.lateResultsStored(JOB.id, [3, 4]);
    await w.settle();
    expect(w.asked).toEqual([{ rowIds: [3, 4] }]);
    expect(w.stored.get(3)?.hash).toBe('h-web-3.example.com');
  });

  it('stops recovering when stopped while it waits for room', async () => {
    const w = world({ maxQueued: 2, concurrency: 1 });
    w.awaiting.set(JOB.id, Array.from({ length: 4 }, (_, i) => anAwaiting(i + 1, 1000)));
    w.openGate();
    const recovering = w.reports.recover();
    await w.settle();
    const stopping = w.reports.stop();
    await w.releaseAll();
    await stopping;
    expect(await recovering).toBe(1);
  });
});

describe(runOfResult.name, () => {
  it('reads the run end, configuration version and noop from the stored reply when the run finished', () => {
    expect(runOfResult('web-1', runData({ noop: true }))).toEqual({ certname: 'web-1', lastRun: END_S, configVersion: '1700000003', noop: true });
  });

  it('has no run when last_run is missing or zero', () => {
    expect(runOfResult('web-1', runData({ last_run: 0 }))).toBeUndefined();
    expect(runOfResult('web-1', runData({ last_run: undefined }))).toBeUndefined();
  });
});

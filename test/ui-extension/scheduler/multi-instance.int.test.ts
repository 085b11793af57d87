/**
 * Exactly once across real OS processes: two ui-extension processes (the server entry point, spawned)
 * firing 1,000 occurrences due at the same instant on one MariaDB, and one process killed with
 * SIGKILL in the middle of firing and restarted, on both databases. The jobs run on a real
 * proxy-plugin gRPC server with the demo transport. npm run bench measures the same firing.
 */
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import {
  countRuns,
  createSchedules,
  dueAt,
  firingFigures,
  runRows,
  seedForProxy,
  startDemoProxy,
  startUiProcess,
  waitForJobsFinal,
  waitForRuns,
  type DemoProxy,
  type UiProcess,
} from './support/multi-instance';

jest.setTimeout(240_000);

/** Every schedule has exactly one run, fired, with one job of its own that succeeded on its one host. */
async function expectExactlyOnce(db: OpenTestDataSource, scheduleIds: number[]): Promise<void> {
  const runs = await runRows(db.dataSource);
  expect(runs).toHaveLength(scheduleIds.length);
  expect(new Set(runs.map((r) => r.schedule_id))).toEqual(new Set(scheduleIds));
  expect(runs.filter((r) => r.state !== 'fired')).toEqual([]);
  const perSchedule = (await db.dataSource.query("SELECT schedule_id, COUNT(*) AS n FROM job_invocations WHERE schedule_id IS NOT NULL AND state <> 'scheduled' GROUP BY schedule_id HAVING COUNT(*) <> 1")) as unknown[];
  expect(perSchedule).toEqual([]);
  expect(new Set(runs.map((r) => r.job_id)).size).toBe(scheduleIds.length);
  const final = await waitForJobsFinal(db.dataSource, 120_000);
  expect(final).toEqual([{ state: 'succeeded', n: scheduleIds.length }]);
  const hosts = (await db.dataSource.query("SELECT h.state AS state, COUNT(*) AS n FROM job_invocation_hosts h JOIN job_invocations j ON j.id = h.job_invocation_id WHERE j.schedule_id IS NOT NULL GROUP BY h.state")) as Array<{ state: string; n: number | string }>;
  expect(hosts.map((h) => ({ state: h.state, n: Number(h.n) }))).toEqual([{ state: 'succeeded', n: scheduleIds.length }]);
}

describe('two ui-extension processes on one MariaDB', () => {
  let db: OpenTestDataSource;
  let proxy: DemoProxy;
  const processes: UiProcess[] = [];

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await proxy?.stop();
    await db?.close();
  });

  it('fire each of 1,000 occurrences due at the same instant exactly once, each within 2 s of its time', async () => {
    db = await openTestDataSource('mysql');
    proxy = await startDemoProxy(50);
    const seeded = await seedForProxy(db.dataSource, proxy);
    processes.push(...(await Promise.all([startUiProcess({ database: db.database, instanceId: 'sched-a' }), startUiProcess({ database: db.database, instanceId: 'sched-b' })])));
    const ids = await createSchedules(seeded, proxy.identities, 1000);
    const at = new Date(Date.now() + 3000);
    await dueAt(db.dataSource, at);
    expect(await countRuns(db.dataSource)).toBe(0);

    expect(await waitForRuns(db.dataSource, 1000, at.getTime() - Date.now() + 60_000)).toBe(1000);
    const runs = await runRows(db.dataSource);
    await expectExactlyOnce(db, ids);
    const figures = await firingFigures(db.dataSource, runs);
    process.stdout.write(`scheduler firing, 2 processes, 1000 occurrences: ${JSON.stringify(figures)}\n`);
    expect(Object.keys(figures.perInstance).sort()).toEqual(['sched-a', 'sched-b']);
    expect(figures.latencyMs.min).toBeGreaterThanOrEqual(0);
    expect(figures.latencyMs.max).toBeLessThanOrEqual(2000);
  });
});

describe.each(testDatabases())('a ui-extension killed with SIGKILL while firing, on $kind', (database) => {
  let db: OpenTestDataSource;
  let proxy: DemoProxy;
  const processes: UiProcess[] = [];

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await proxy?.stop();
    await db?.close();
  });

  it('loses and doubles no occurrence once it is restarted', async () => {
    const count = 600;
    db = await openTestDataSource(database);
    proxy = await startDemoProxy(50);
    const seeded = await seedForProxy(db.dataSource, proxy);
    // Small batches: many commits while firing, so the kill lands between two of them.
    const env = { UI_EXTENSION_SCHEDULER_BATCH_SIZE: database.kind === 'sqlite' ? '1' : '5' };
    // Made an hour ahead, then the process starts (nothing is due yet), then they all fall due.
    const ids = await createSchedules(seeded, proxy.identities, count);
    const first = await startUiProcess({ database: db.database, instanceId: 'sched-kill', env });
    processes.push(first);
    const at = new Date(Date.now() + 2000);
    await dueAt(db.dataSource, at);

    while ((await countRuns(db.dataSource)) === 0 && Date.now() < at.getTime() + 30_000) await new Promise((r) => setTimeout(r, 5));
    expect(await first.kill('SIGKILL')).toBe('SIGKILL');
    const atKill = await countRuns(db.dataSource);
    process.stdout.write(`${database.kind}: ${atKill} of ${count} occurrences recorded when the process was killed\n`);
    // The kill must land in the middle of firing, or this test proves nothing.
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(count);

    // Restarted under the same instance id, as a service manager would: it takes its leases back at once.
    processes.push(await startUiProcess({ database: db.database, instanceId: 'sched-kill', env }));
    expect(await waitForRuns(db.dataSource, count, 60_000)).toBe(count);
    await expectExactlyOnce(db, ids);
  });
});

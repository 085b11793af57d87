/**
 * A recurring schedule whose targeting matches no host when an occurrence fires (issue #17): the
 * occurrence is recorded `no_hosts` with the reason in the schedule's history, no job is made (so
 * none ends `succeeded` on nothing), and the next occurrence runs again once hosts match.
 * `runDue()` is the handler the waker calls; the test calls it at chosen instants.
 */
import type { ScheduleDetail } from '@common/schedules';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { buildScheduleStack, type ScheduleStack } from './support/schedule-stack';

jest.setTimeout(60_000);

describe.each(testDatabases())('an occurrence without hosts on $kind', (database) => {
  let db: OpenTestDataSource;
  let stack: ScheduleStack;
  let now: Date;

  beforeEach(async () => {
    db = await openTestDataSource(database);
    now = new Date('2026-03-01T10:00:00Z');
    stack = await buildScheduleStack(db.dataSource, { clock: () => now, config: { 'scheduler.recurring_start_window_s': 600 } });
  });

  afterEach(async () => {
    await stack?.close();
    await db?.close();
  });

  const ping = { namespace: 'rpcutil', action: 'ping' };
  const jobStates = async (scheduleId: number) =>
    ((await db.dataSource.query('SELECT state FROM job_invocations WHERE schedule_id = ? ORDER BY id', [scheduleId])) as Array<{ state: string }>).map((r) => r.state);

  it('records an occurrence whose search matches no host at fire time as no_hosts with its reason, never as a succeeded job', async () => {
    const host = stack.identities[0];
    const search = `name = ${host}`;
    const first = await stack.services.schedules.createFromJobRequest(stack.admin, { ...ping, targeting: { search }, recurrence: { cron_line: '*/5 * * * *', time_zone: 'UTC' } });
    const scheduleId = first.schedule_id!;

    now = new Date('2026-03-01T10:05:00Z');
    expect(await stack.services.schedules.runDue()).toMatchObject({ fired: 1 });
    await stack.services.jobs.whenDispatched(first.id);

    // The host leaves the inventory (renamed, as a rebuilt machine comes back under a new name).
    await db.dataSource.query('UPDATE hosts SET name = ? WHERE name = ?', [`${host}-rebuilt`, host]);
    now = new Date('2026-03-01T10:10:00Z');
    expect(await stack.services.schedules.runDue()).toMatchObject({ fired: 0 });

    const detail = await stack.services.schedules.get(stack.admin, scheduleId);
    const [latest, earlier] = detail.runs;
    expect(earlier).toMatchObject({ at: '2026-03-01T10:05:00.000Z', job_id: first.id, state: 'succeeded' });
    expect(latest).toEqual<ScheduleDetail['runs'][number]>({
      at: '2026-03-01T10:10:00.000Z',
      state: 'no_hosts',
      job_id: null,
      reason: `no host to run on: targeting: search ${JSON.stringify(search)} matches no host you may run rpcutil.ping on; nothing was created (POST /api/v2/remote_execution/jobs/preview shows what a targeting matches)`,
      recorded_at: '2026-03-01T10:10:00.000Z',
    });
    // The pending job of 10:10 moved on to 10:15: no job of this schedule ran on nothing.
    expect(detail).toMatchObject({ next_run_at: '2026-03-01T10:15:00.000Z', iterations: 2 });
    expect(await jobStates(scheduleId)).toEqual(['succeeded', 'scheduled']);

    // Hosts match again: the next occurrence runs.
    await db.dataSource.query('UPDATE hosts SET name = ? WHERE name = ?', [host, `${host}-rebuilt`]);
    now = new Date('2026-03-01T10:15:00Z');
    expect(await stack.services.schedules.runDue()).toMatchObject({ fired: 1 });
    expect((await stack.services.schedules.get(stack.admin, scheduleId)).runs[0]).toMatchObject({ at: '2026-03-01T10:15:00.000Z', job_id: detail.next_job_id });
  });
});

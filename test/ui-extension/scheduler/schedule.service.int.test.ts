/**
 * The schedule service on both databases with an injected clock: firing exactly when due, the
 * start_before window, max_iterations, end_time, catching up after downtime without a burst,
 * daylight-saving days, a vanished owner, cancel/disable/enable/update and the static/dynamic
 * targeting. `runDue()` is the handler the waker calls; here the test calls it at chosen instants.
 */
import { createUserRepository } from '@server/auth/user.repository';
import type { ScheduleDetail } from '@common/schedules';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { buildScheduleStack, type ScheduleStack } from './support/schedule-stack';

jest.setTimeout(60_000);

const MIN = 60_000;

describe.each(testDatabases())('schedule service on $kind', (database) => {
  let db: OpenTestDataSource;
  let stack: ScheduleStack;
  let now: Date;
  const at = (iso: string) => {
    now = new Date(iso);
  };

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
  const schedules = () => stack.services.schedules;
  const get = (id: number): Promise<ScheduleDetail> => schedules().get(stack.admin, id);
  const runAts = (d: ScheduleDetail) => d.runs.map((r) => `${r.at} ${r.state}`).reverse();
  const jobCount = async () => Number(((await db.dataSource.query("SELECT COUNT(*) AS n FROM job_invocations WHERE state <> 'scheduled' AND state <> 'cancelled'")) as Array<{ n: number | string }>)[0].n);

  it('fires a one-time schedule once when due and not a moment before', async () => {
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, scheduling: { start_at: '2026-03-01T10:05:00Z' } });
    expect(job).toMatchObject({ state: 'scheduled', scheduled_at: '2026-03-01T10:05:00.000Z', total_hosts: 0 });
    at('2026-03-01T10:04:59.999Z');
    expect((await schedules().runDue()).fired).toBe(0);
    at('2026-03-01T10:05:00.000Z');
    expect((await schedules().runDue()).fired).toBe(1);
    expect((await schedules().runDue()).claimed).toBe(0);
    const s = await get(job.schedule_id!);
    expect(s.runs).toHaveLength(1);
    expect(s.runs[0]).toMatchObject({ at: '2026-03-01T10:05:00.000Z', job_id: job.id, reason: null });
    expect(s).toMatchObject({ next_run_at: null, next_job_id: null, iterations: 1, last_run_at: '2026-03-01T10:05:00.000Z' });
    await stack.services.jobs.whenDispatched(job.id);
    const done = await stack.services.jobs.get(stack.admin, job.id);
    expect(done).toMatchObject({ state: 'succeeded', total_hosts: stack.identities.length, schedule_id: job.schedule_id });
  });

  it('records a one-time run missed, and runs nothing, when it cannot start before start_before', async () => {
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, scheduling: { start_at: '2026-03-01T10:05:00Z', start_before: '2026-03-01T10:06:00Z' } });
    at('2026-03-01T10:06:00.001Z');
    expect(await schedules().runDue()).toMatchObject({ fired: 0, missed: 1 });
    const s = await get(job.schedule_id!);
    expect(s.runs).toEqual([expect.objectContaining({ state: 'missed', job_id: null, reason: expect.stringMatching(/start_before 2026-03-01T10:06:00.000Z/) })]);
    expect(s.next_run_at).toBeNull();
    expect((await stack.services.jobs.get(stack.admin, job.id)).state).toBe('cancelled');
    expect(await jobCount()).toBe(0);
  });

  it('runs a one-time schedule late when it is still inside start_before', async () => {
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, scheduling: { start_at: '2026-03-01T10:05:00Z', start_before: '2026-03-01T10:06:00Z' } });
    at('2026-03-01T10:05:59.000Z');
    expect(await schedules().runDue()).toMatchObject({ fired: 1, missed: 0 });
    expect((await get(job.schedule_id!)).runs[0].job_id).toBe(job.id);
  });

  it('stops after max_iterations runs', async () => {
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, recurrence: { cron_line: '*/5 * * * *', time_zone: 'UTC', max_iterations: 3 } });
    for (let i = 1; i <= 5; i++) {
      at(new Date(Date.parse('2026-03-01T10:00:00Z') + i * 5 * MIN).toISOString());
      await schedules().runDue();
    }
    const s = await get(job.schedule_id!);
    expect(runAts(s)).toEqual(['2026-03-01T10:05:00.000Z', '2026-03-01T10:10:00.000Z', '2026-03-01T10:15:00.000Z'].map((t) => expect.stringContaining(t)));
    expect(s).toMatchObject({ iterations: 3, next_run_at: null, next_job_id: null });
    expect(await jobCount()).toBe(3);
  });

  it('stops at end_time, running an occurrence exactly at it', async () => {
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, recurrence: { cron_line: '0 * * * *', time_zone: 'Europe/Berlin', end_time: '2026-03-01T13:00:00Z' } });
    for (let h = 11; h <= 15; h++) {
      at(`2026-03-01T${h}:00:00.000Z`);
      await schedules().runDue();
    }
    const s = await get(job.schedule_id!);
    expect(s.runs.map((r) => r.at).reverse()).toEqual(['2026-03-01T11:00:00.000Z', '2026-03-01T12:00:00.000Z', '2026-03-01T13:00:00.000Z']);
    expect(s.next_run_at).toBeNull();
  });

  it('after downtime runs only the latest passed occurrence and records the earlier ones missed', async () => {
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, recurrence: { cron_line: '*/10 * * * *', time_zone: 'UTC' } });
    at('2026-03-01T10:45:00Z'); // 10:10, 10:20, 10:30 and 10:40 passed while nothing fired
    expect(await schedules().runDue()).toMatchObject({ fired: 1, missed: 3 });
    const s = await get(job.schedule_id!);
    expect(runAts(s)).toEqual([
      '2026-03-01T10:10:00.000Z missed',
      '2026-03-01T10:20:00.000Z missed',
      '2026-03-01T10:30:00.000Z missed',
      expect.stringMatching(/^2026-03-01T10:40:00.000Z (queued|running|succeeded)$/),
    ]);
    expect(s).toMatchObject({ iterations: 4, next_run_at: '2026-03-01T10:50:00.000Z' });
    expect(await jobCount()).toBe(1);
  });

  it('records a recurring occurrence missed when it is older than the start window', async () => {
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, recurrence: { cron_line: '0 11 * * *', time_zone: 'UTC' } });
    at('2026-03-01T11:10:00.001Z'); // window 600 s
    expect(await schedules().runDue()).toMatchObject({ fired: 0, missed: 1 });
    const s = await get(job.schedule_id!);
    expect(s.runs[0]).toMatchObject({ state: 'missed', reason: expect.stringMatching(/within 600 s/) });
    // The pending job moved on to the next day's occurrence.
    expect(s).toMatchObject({ next_run_at: '2026-03-02T11:00:00.000Z', next_job_id: job.id });
    expect((await stack.services.jobs.get(stack.admin, job.id)).scheduled_at).toBe('2026-03-02T11:00:00.000Z');
  });

  // Each line names a time that the change skips (spring) or repeats (fall) in that zone.
  it.each([
    ['30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z', ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']],
    ['30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00Z', ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']],
    ['30 2 * * *', 'America/New_York', '2026-03-07T12:00:00Z', ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z']],
    ['30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z', '2026-11-03T06:30:00.000Z']],
  ])('fires "%s" in %s once a day across the change starting %s', async (cronLine, zone, start, expected) => {
    at(start);
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, recurrence: { cron_line: cronLine, time_zone: zone } });
    // Wake at every minute of the three days would be slow; wake at each next_run_at and one second before.
    for (let i = 0; i < 3; i++) {
      const next = new Date((await get(job.schedule_id!)).next_run_at!);
      now = new Date(next.getTime() - 1000);
      expect((await schedules().runDue()).claimed).toBe(0);
      now = next;
      expect((await schedules().runDue()).fired).toBe(1);
    }
    expect((await get(job.schedule_id!)).runs.map((r) => r.at).reverse()).toEqual(expected);
  });

  it('fires a last-day-of-month line on the last day of each month, 29 February of a leap year included', async () => {
    at('2028-01-15T00:00:00Z');
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, recurrence: { cron_line: '0 23 L * *', time_zone: 'Europe/Berlin' } });
    for (let i = 0; i < 4; i++) {
      now = new Date((await get(job.schedule_id!)).next_run_at!);
      expect((await schedules().runDue()).fired).toBe(1);
    }
    expect((await get(job.schedule_id!)).runs.map((r) => r.at).reverse()).toEqual([
      '2028-01-31T22:00:00.000Z', // 23:00 CET
      '2028-02-29T22:00:00.000Z',
      '2028-03-31T21:00:00.000Z', // 23:00 CEST
      '2028-04-30T21:00:00.000Z',
    ]);
  });

  it('refuses a run, with the reason, when its owner no longer exists', async () => {
    const users = createUserRepository(db.dataSource);
    const bob = await users.create({ login: 'bob', passwordHash: 'x', admin: true, now });
    const owner = (await stack.services.auth.loadCurrentUser(bob.id))!;
    const job = await schedules().createFromJobRequest(owner, { ...ping, targeting: { search: 'name ~ sched-' }, scheduling: { start_at: '2026-03-01T10:05:00Z' } });
    await db.dataSource.query('DELETE FROM users WHERE id = ?', [bob.id]);
    at('2026-03-01T10:05:00Z');
    expect(await schedules().runDue()).toMatchObject({ fired: 0, refused: 1 });
    const s = await get(job.schedule_id!);
    expect(s.runs).toEqual([expect.objectContaining({ state: 'refused', job_id: null, reason: `the owner bob (user ${bob.id}) no longer exists` })]);
    expect(await jobCount()).toBe(0);
  });

  it('refuses a run, with the reason, when its owner lost the permission to run it', async () => {
    const users = createUserRepository(db.dataSource);
    const carol = await users.create({ login: 'carol', passwordHash: 'x', admin: true, now });
    const owner = (await stack.services.auth.loadCurrentUser(carol.id))!;
    const job = await schedules().createFromJobRequest(owner, { ...ping, targeting: { search: 'name ~ sched-' }, recurrence: { cron_line: '0 * * * *', time_zone: 'UTC' } });
    // No longer an administrator, and no role: nothing allows create_jobs any more.
    await db.dataSource.query('UPDATE users SET admin = 0 WHERE id = ?', [carol.id]);
    at('2026-03-01T11:00:00Z');
    expect(await schedules().runDue()).toMatchObject({ fired: 0, refused: 1 });
    const s = await get(job.schedule_id!);
    expect(s.runs).toEqual([expect.objectContaining({ state: 'refused', job_id: null, reason: expect.stringMatching(/^the owner may no longer run it: access denied: .*create_jobs/) })]);
    // The schedule goes on: the next occurrence waits, and runs if the permission comes back.
    expect(s).toMatchObject({ next_run_at: '2026-03-01T12:00:00.000Z', next_job_id: job.id });
    expect(await jobCount()).toBe(0);
  });

  it('skips an occurrence whose scheduled job was cancelled at once, and keeps the next one', async () => {
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, recurrence: { cron_line: '0 * * * *', time_zone: 'UTC' } });
    await stack.services.jobs.cancel(stack.admin, job.id);
    // Recorded now, not at 11:00: until then the schedule would list a run that will not happen.
    const s = await get(job.schedule_id!);
    expect(s.runs[0]).toMatchObject({ state: 'cancelled', job_id: job.id, at: '2026-03-01T11:00:00.000Z' });
    expect(s.next_run_at).toBe('2026-03-01T12:00:00.000Z');
    expect(s.next_job_id).not.toBe(job.id);
    expect((await stack.services.jobs.get(stack.admin, s.next_job_id!)).state).toBe('scheduled');
    at('2026-03-01T11:00:00Z');
    expect(await schedules().runDue()).toMatchObject({ fired: 0, cancelled: 0, claimed: 0 });
    at('2026-03-01T12:00:00Z');
    expect((await schedules().runDue()).fired).toBe(1);
    expect((await get(job.schedule_id!)).runs.map((r) => r.state)).toEqual(expect.arrayContaining(['cancelled']));
  });

  it('ends a one-time schedule when its job is cancelled, and records the occurrence cancelled', async () => {
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, scheduling: { start_at: '2026-03-01T10:05:00Z' } });
    await stack.services.jobs.cancel(stack.admin, job.id);
    const s = await get(job.schedule_id!);
    expect(s).toMatchObject({ enabled: true, next_run_at: null, next_job_id: null });
    expect(s.runs).toEqual([expect.objectContaining({ state: 'cancelled', job_id: job.id, at: '2026-03-01T10:05:00.000Z' })]);
    at('2026-03-01T10:05:00Z');
    expect((await schedules().runDue()).claimed).toBe(0);
    expect(await jobCount()).toBe(0);
  });

  it('neither fires nor records missed while disabled, and resumes after now when enabled', async () => {
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, recurrence: { cron_line: '0 * * * *', time_zone: 'UTC' } });
    const off = await schedules().disable(stack.admin, job.schedule_id!);
    expect(off).toMatchObject({ enabled: false, next_run_at: null, next_job_id: null });
    expect((await stack.services.jobs.get(stack.admin, job.id)).state).toBe('cancelled');
    at('2026-03-01T13:30:00Z');
    expect((await schedules().runDue()).claimed).toBe(0);
    const on = await schedules().enable(stack.admin, job.schedule_id!);
    expect(on).toMatchObject({ enabled: true, next_run_at: '2026-03-01T14:00:00.000Z', runs: [] });
    expect((await stack.services.jobs.get(stack.admin, on.next_job_id!)).state).toBe('scheduled');
  });

  it('re-times the pending job when the schedule is updated', async () => {
    const job = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, recurrence: { cron_line: '0 * * * *', time_zone: 'UTC' } });
    const updated = await schedules().update(stack.admin, job.schedule_id!, { recurrence: { cron_line: '30 2 * * *', time_zone: 'Europe/Berlin' }, description: 'nightly ping' });
    expect(updated).toMatchObject({ cron_line: '30 2 * * *', time_zone: 'Europe/Berlin', next_run_at: '2026-03-02T01:30:00.000Z', next_job_id: job.id, description: 'nightly ping' });
    expect(await stack.services.jobs.get(stack.admin, job.id)).toMatchObject({ scheduled_at: '2026-03-02T01:30:00.000Z', description: 'nightly ping' });
  });

  it('resolves a dynamic search at each run and a static one once, when scheduled', async () => {
    const dynamic = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, scheduling: { start_at: '2026-03-01T10:05:00Z' } });
    const fixed = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, targeting_type: 'static_query', scheduling: { start_at: '2026-03-01T10:05:00Z' } });
    // A host that joins the inventory after scheduling (it has no proxy, so the run skips it).
    await db.dataSource.query("INSERT INTO hosts (name, created_at, updated_at, last_seen_at) VALUES ('sched-late.example.com', ?, ?, ?)", ['2026-03-01 10:01:00.000', '2026-03-01 10:01:00.000', '2026-03-01 10:01:00.000']);
    at('2026-03-01T10:05:00Z');
    expect((await schedules().runDue()).fired).toBe(2);
    const d = await stack.services.jobs.get(stack.admin, dynamic.id);
    const f = await stack.services.jobs.get(stack.admin, fixed.id);
    expect(d.total_hosts).toBe(stack.identities.length + 1);
    expect(f.total_hosts).toBe(stack.identities.length);
    expect((await get(fixed.schedule_id!)).static_host_ids).toHaveLength(stack.identities.length);
  });

  it('lists every occurrence in a range, in time order, with its schedule', async () => {
    const hourly = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, recurrence: { cron_line: '0 * * * *', time_zone: 'UTC', max_iterations: 3 } });
    const once = await schedules().createFromJobRequest(stack.admin, { ...ping, targeting: { search: 'name ~ sched-' }, scheduling: { start_at: '2026-03-01T11:30:00Z' } });
    const list = await schedules().occurrences(stack.admin, { from: new Date('2026-03-01T10:00:00Z'), to: new Date('2026-03-01T23:00:00Z') });
    expect(list.results.map((o) => `${o.at} ${o.schedule_id}`)).toEqual([
      `2026-03-01T11:00:00.000Z ${hourly.schedule_id}`,
      `2026-03-01T11:30:00.000Z ${once.schedule_id}`,
      `2026-03-01T12:00:00.000Z ${hourly.schedule_id}`,
      `2026-03-01T13:00:00.000Z ${hourly.schedule_id}`,
    ]);
    expect(list.results[0].schedule).toMatchObject({ id: hourly.schedule_id, namespace: 'rpcutil', action: 'ping', cron_line: '0 * * * *', max_iterations: 3 });
  });
});

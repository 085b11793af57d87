/**
 * The schedule API on the real express app (createApp over buildServices) on both databases:
 * the shapes the web UI builds against, and a 422 naming the field and the rule for bad timing.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '@server/http/app';
import { silentLogger } from '@server/logger';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { AUTH } from '@test/ui-extension/jobs/support/job-stack';
import { buildScheduleStack, type ScheduleStack } from '@test/ui-extension/scheduler/support/schedule-stack';

jest.setTimeout(60_000);

describe.each(testDatabases())('schedule routes on $kind', (database) => {
  let db: OpenTestDataSource;
  let stack: ScheduleStack;
  let server: Server;
  let url: string;
  const now = new Date('2026-03-01T10:00:00Z');

  beforeAll(async () => {
    db = await openTestDataSource(database);
    stack = await buildScheduleStack(db.dataSource, { clock: () => now });
    server = await new Promise((resolve) => {
      const s = createApp({ services: stack.services, logger: silentLogger(), exposeStack: true }).listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await stack?.close();
    await db?.close();
  });

  // Response bodies are checked field by field with toMatchObject, so they stay loosely typed here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function call(method: string, path: string, body?: unknown, auth = AUTH): Promise<{ status: number; body: any }> {
    const res = await fetch(`${url}${path}`, { method, headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  }

  /** A user with one built-in role, made through the users API; resolves its Basic credentials. */
  async function userWithRole(login: string, role: string): Promise<string> {
    const roles = await call('GET', `/roles?search=${encodeURIComponent(`name = ${role}`)}`);
    const made = await call('POST', '/users', { user: { login, password: `${login}-password`, role_ids: [roles.body.results[0].id] } });
    expect(made.status).toBe(201);
    return `Basic ${Buffer.from(`${login}:${login}-password`).toString('base64')}`;
  }

  const job = (extra: Record<string, unknown>) => ({ job: { namespace: 'rpcutil', action: 'ping', targeting: { search: 'name ~ sched-' }, ...extra } });

  it('answers POST jobs with scheduling with 201, the job scheduled and its schedule_id', async () => {
    const res = await call('POST', '/remote_execution/jobs', job({ scheduling: { start_at: '2026-03-01T12:00:00Z', start_before: '2026-03-01T12:30:00Z' } }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ state: 'scheduled', schedule_id: expect.any(Number), scheduled_at: '2026-03-01T12:00:00.000Z', namespace: 'rpcutil', action: 'ping' });
    const schedule = await call('GET', `/remote_execution/schedules/${res.body.schedule_id}`);
    expect(schedule.status).toBe(200);
    expect(Object.keys(schedule.body)).toEqual(expect.arrayContaining([
      'id', 'enabled', 'namespace', 'action', 'arguments', 'remote_action_id', 'targeting', 'targeting_type', 'start_at', 'start_before', 'cron_line', 'time_zone',
      'max_iterations', 'end_time', 'iterations', 'next_run_at', 'last_run_at', 'owner', 'description', 'created_at', 'updated_at', 'runs',
    ]));
    expect(schedule.body).toMatchObject({ targeting_type: 'dynamic_query', start_at: '2026-03-01T12:00:00.000Z', start_before: '2026-03-01T12:30:00.000Z', next_job_id: res.body.id, owner: 'admin', runs: [] });
  });

  it('answers POST jobs with recurrence with the first occurrence scheduled in its zone', async () => {
    const res = await call('POST', '/remote_execution/jobs', job({ recurrence: { cron_line: '0 2 * * 6', time_zone: 'Europe/Berlin', max_iterations: 4 }, targeting_type: 'static_query' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ state: 'scheduled', scheduled_at: '2026-03-07T01:00:00.000Z' });
    const schedule = await call('GET', `/remote_execution/schedules/${res.body.schedule_id}`);
    expect(schedule.body).toMatchObject({ cron_line: '0 2 * * 6', time_zone: 'Europe/Berlin', max_iterations: 4, iterations: 0, targeting_type: 'static_query' });
  });

  it.each([
    ['an unknown time zone', { recurrence: { cron_line: '0 2 * * *', time_zone: 'Europe/Atlantis' } }, 'job.recurrence.time_zone', /not a known IANA time zone/],
    ['a missing time zone', { recurrence: { cron_line: '0 2 * * *' } }, 'job.recurrence.time_zone', /is required/],
    ['an invalid cron line', { recurrence: { cron_line: '0 25 * * *', time_zone: 'UTC' } }, 'job.recurrence.cron_line', /not a valid cron line/],
    ['a cron line with six fields', { recurrence: { cron_line: '0 0 2 * * *', time_zone: 'UTC' } }, 'job.recurrence.cron_line', /five fields/],
    ['start_at in the past', { scheduling: { start_at: '2026-03-01T09:59:00Z' } }, 'job.scheduling.start_at', /must be in the future/],
    ['start_at without a zone', { scheduling: { start_at: '2026-03-01T12:00:00' } }, 'job.scheduling.start_at', /ISO 8601 date-time with a zone/],
    ['start_before before start_at', { scheduling: { start_at: '2026-03-01T12:00:00Z', start_before: '2026-03-01T11:00:00Z' } }, 'job.scheduling.start_before', /after start_at/],
    ['end_time before the start', { recurrence: { cron_line: '0 2 * * *', time_zone: 'UTC', end_time: '2026-02-01T00:00:00Z' } }, 'job.recurrence.end_time', /must be after the start/],
    ['an end_time before the first occurrence', { recurrence: { cron_line: '0 2 * * *', time_zone: 'UTC', end_time: '2026-03-01T11:00:00Z' } }, 'job.recurrence.cron_line', /no occurrence before end_time/],
    ['both scheduling and recurrence', { scheduling: { start_at: '2026-03-01T12:00:00Z' }, recurrence: { cron_line: '0 2 * * *', time_zone: 'UTC' } }, 'job.scheduling', /not both/],
  ])('answers 422 naming the field for %s', async (_name, timing, field, rule) => {
    const res = await call('POST', '/remote_execution/jobs', job(timing));
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { fields: [{ field, rule: expect.stringMatching(rule) }] } });
    expect(res.body.error.message).toContain(field);
  });

  it('schedules a stored action from history and lists its occurrences in a range', async () => {
    const ran = await call('POST', '/remote_execution/jobs', job({}));
    expect(ran.status).toBe(201);
    const res = await call('POST', `/remote_execution/actions/${ran.body.remote_action_id}/schedule`, { targeting: { hostgroup_id: stack.ids.hostgroupIds.get('sched') }, recurrence: { cron_line: '15 9 * * 1-5', time_zone: 'America/New_York' }, description: 'weekday ping' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ remote_action_id: ran.body.remote_action_id, description: 'weekday ping', next_run_at: '2026-03-02T14:15:00.000Z', runs: [] });
    const list = await call('GET', '/remote_execution/schedules?from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ page: 1, per_page: 1000, search: null, sort: { by: 'at', order: 'asc' } });
    const mine = list.body.results.filter((o: { schedule_id: number }) => o.schedule_id === res.body.id);
    // Monday to Friday 09:15 EST; the change to EDT comes on 8 March, a Sunday.
    expect(mine.map((o: { at: string }) => o.at)).toEqual(['2026-03-02T14:15:00.000Z', '2026-03-03T14:15:00.000Z', '2026-03-04T14:15:00.000Z', '2026-03-05T14:15:00.000Z', '2026-03-06T14:15:00.000Z']);
    expect(mine[0].schedule).toMatchObject({ id: res.body.id, namespace: 'rpcutil', action: 'ping' });
    expect(list.body.total).toBe(list.body.results.length);
  });

  it('refuses a range longer than the maximum and a reversed one with 422', async () => {
    const long = await call('GET', '/remote_execution/schedules?from=2026-03-01T00:00:00Z&to=2026-12-01T00:00:00Z');
    expect(long.status).toBe(422);
    expect(long.body.error.details.fields[0]).toMatchObject({ field: 'to', rule: expect.stringMatching(/at most 92 days/) });
    const reversed = await call('GET', '/remote_execution/schedules?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z');
    expect(reversed.status).toBe(422);
    const bad = await call('GET', '/remote_execution/schedules?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/from: must be an ISO 8601 date-time/);
  });

  it('updates, disables, enables and deletes a schedule', async () => {
    const created = await call('POST', '/remote_execution/jobs', job({ recurrence: { cron_line: '0 * * * *', time_zone: 'UTC' } }));
    const id = created.body.schedule_id;
    const updated = await call('PUT', `/remote_execution/schedules/${id}`, { description: 'hourly ping', recurrence: { cron_line: '30 * * * *', time_zone: 'UTC' } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ description: 'hourly ping', cron_line: '30 * * * *', next_run_at: '2026-03-01T10:30:00.000Z' });
    expect((await call('PUT', `/remote_execution/schedules/${id}`, { recurrence: { cron_line: 'nope', time_zone: 'UTC' } })).status).toBe(422);
    expect((await call('POST', `/remote_execution/schedules/${id}/disable`)).body).toMatchObject({ enabled: false, next_run_at: null });
    expect((await call('POST', `/remote_execution/schedules/${id}/enable`)).body).toMatchObject({ enabled: true, next_run_at: '2026-03-01T10:30:00.000Z' });
    const deleted = await call('DELETE', `/remote_execution/schedules/${id}`);
    expect(deleted.status).toBe(200);
    expect((await call('GET', `/remote_execution/schedules/${id}`)).status).toBe(404);
    const pending = await call('GET', `/remote_execution/jobs/${created.body.id}`);
    expect(pending.body).toMatchObject({ state: 'cancelled', schedule_id: id });
  });

  it('lets an Operator read schedules but not make or change them (manage_schedules), and a Manager make them', async () => {
    const operator = await userWithRole('operator1', 'Operator');
    const manager = await userWithRole('manager1', 'Manager');
    const denied = await call('POST', '/remote_execution/jobs', job({ scheduling: { start_at: '2026-03-01T12:00:00Z' } }), operator);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/manage_schedules/) });
    const made = await call('POST', '/remote_execution/jobs', job({ scheduling: { start_at: '2026-03-01T12:00:00Z' } }), manager);
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ state: 'scheduled', owner: 'manager1' });
    expect((await call('GET', `/remote_execution/schedules/${made.body.schedule_id}`, undefined, operator)).status).toBe(200);
    const change = await call('PUT', `/remote_execution/schedules/${made.body.schedule_id}`, { description: 'mine now' }, operator);
    expect(change.status).toBe(403);
    expect((await call('POST', `/remote_execution/schedules/${made.body.schedule_id}/disable`, undefined, operator)).status).toBe(403);
    const audits = await call('GET', `/audits?search=${encodeURIComponent('type = Schedule')}`);
    expect(audits.status).toBe(200);
    expect(audits.body.results.some((a: { action: string; user_name: string }) => a.action === 'create' && a.user_name === 'manager1')).toBe(true);
  });

  it('answers 404 for an unknown schedule or stored action', async () => {
    expect((await call('GET', '/remote_execution/schedules/999999')).status).toBe(404);
    const res = await call('POST', '/remote_execution/actions/999999/schedule', { targeting: { search: 'name ~ x' }, scheduling: { start_at: '2026-03-01T12:00:00Z' } });
    expect(res.status).toBe(404);
  });
});

/**
 * `GET /api/v2/remote_execution/schedule_definitions` (Foreman's recurring logics) on the real
 * express app over the real services, on both databases: each schedule once, enabled or not, with
 * its state, next occurrences in its own time zone, iterations and the outcome of its last run,
 * soonest next run first; only the schedules the caller may read, counted after that check.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { ScheduleDefinition } from '@common/schedules';
import { createApp } from '@server/http/app';
import { silentLogger } from '@server/logger';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { AUTH } from '@test/ui-extension/jobs/support/job-stack';
import { buildScheduleStack, type ScheduleStack } from '@test/ui-extension/scheduler/support/schedule-stack';

jest.setTimeout(60_000);

describe.each(testDatabases())('schedule definitions on $kind', (database) => {
  let db: OpenTestDataSource;
  let stack: ScheduleStack;
  let server: Server;
  let url: string;
  let now = new Date('2026-03-01T10:00:00Z');

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

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function call(method: string, path: string, body?: unknown, auth = AUTH): Promise<{ status: number; body: any }> {
    const res = await fetch(`${url}${path}`, { method, headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  }

  const schedule = async (description: string, timing: Record<string, unknown>): Promise<number> => {
    const res = await call('POST', '/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { search: 'name ~ sched-' }, description, ...timing } });
    expect(res.status).toBe(201);
    return res.body.schedule_id as number;
  };
  const definitions = async (auth = AUTH, query = 'per_page=1000'): Promise<{ status: number; body: { total: number; subtotal: number; results: ScheduleDefinition[]; error?: { message: string } } }> => call('GET', `/remote_execution/schedule_definitions?${query}`, undefined, auth);

  let weekly: number;
  let once: number;
  let paused: number;

  it('lists each schedule once with its state and next occurrences in its time zone, soonest first', async () => {
    weekly = await schedule('weekly ping', { recurrence: { cron_line: '0 2 * * 6', time_zone: 'Europe/Berlin', max_iterations: 3 } });
    once = await schedule('one ping', { scheduling: { start_at: '2026-03-01T12:00:00Z' } });
    paused = await schedule('paused ping', { recurrence: { cron_line: '*/5 * * * *', time_zone: 'UTC' } });
    expect((await call('POST', `/remote_execution/schedules/${paused}/disable`)).status).toBe(200);

    const res = await definitions();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 3, subtotal: 3, page: 1, per_page: 1000, search: null });
    expect(res.body.results.map((d) => d.id)).toEqual([once, weekly, paused]);
    const [first, second, third] = res.body.results;
    expect(first).toMatchObject({ state: 'active', cron_line: null, upcoming: ['2026-03-01T12:00:00.000Z'], last_run: null, iterations: 0, description: 'one ping' });
    // Saturdays 02:00 in Berlin (01:00 UTC in winter), three iterations in all.
    expect(second).toMatchObject({ state: 'active', cron_line: '0 2 * * 6', time_zone: 'Europe/Berlin', max_iterations: 3, upcoming: ['2026-03-07T01:00:00.000Z', '2026-03-14T01:00:00.000Z', '2026-03-21T01:00:00.000Z'], last_run: null });
    expect(third).toMatchObject({ state: 'disabled', enabled: false, upcoming: [], next_run_at: null });
  });

  it('shows the last run of a schedule once it fired, and a one-time schedule finished after it', async () => {
    now = new Date('2026-03-01T12:00:05Z');
    const stats = await stack.services.schedules.runDue();
    expect(stats.fired).toBe(1);
    const res = await definitions();
    const fired = res.body.results.find((d) => d.id === once)!;
    expect(fired).toMatchObject({ state: 'finished', upcoming: [], iterations: 1, last_run: { at: '2026-03-01T12:00:00.000Z', job_id: expect.any(Number), reason: null } });
    expect(['queued', 'running', 'succeeded']).toContain(fired.last_run!.state);
    // Finished schedules come after the active ones.
    expect(res.body.results.map((d) => d.id)).toEqual([weekly, paused, once]);
  });

  it('pages after the access check, so a limited user counts only what it may read', async () => {
    const paged = await definitions(AUTH, 'page=2&per_page=1');
    expect(paged.body).toMatchObject({ total: 3, page: 2, per_page: 1 });
    expect(paged.body.results.map((d) => d.id)).toEqual([paused]);

    // view_jobs for the service agent only: none of these rpcutil schedules is its to read.
    const role = await call('POST', '/roles', { role: { name: 'service watchers' } });
    expect((await call('POST', '/filters', { filter: { role_id: role.body.id, permissions: ['view_jobs'], search: 'namespace = service' } })).status).toBe(201);
    expect((await call('POST', '/users', { user: { login: 'watcher', password: 'watcher-password', role_ids: [role.body.id] } })).status).toBe(201);
    const watcher = `Basic ${Buffer.from('watcher:watcher-password').toString('base64')}`;
    const seen = await definitions(watcher);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ total: 0, subtotal: 0, results: [] });
  });

  it('refuses a search with 400 and a user without view_jobs with 403', async () => {
    const search = await call('GET', '/remote_execution/schedule_definitions?search=cron_line%20~%20x');
    expect(search.status).toBe(400);
    expect(search.body.error.message).toMatch(/search/);
    expect((await call('POST', '/users', { user: { login: 'nobody', password: 'nobody-password' } })).status).toBe(201);
    const refused = await definitions(`Basic ${Buffer.from('nobody:nobody-password').toString('base64')}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toMatch(/view_jobs/);
  });
});

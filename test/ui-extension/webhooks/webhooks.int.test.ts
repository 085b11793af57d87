/**
 * Webhooks (issue #19) against the real app of the auth stack and a real HTTP receiver on
 * loopback: a job's end is delivered once per webhook, signed with HMAC-SHA256; a receiver that
 * answers 500 gets the same delivery again after the backoff, also across a restart of the
 * dispatcher (a new one on the same database), and the delivery log says what happened. Jobs'
 * creations and schedule occurrences (fired and no_hosts) are delivered once each, signed too.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job } from '@common/jobs';
import type { JobCreatedPayload, ScheduleOccurrencePayload, WebhookDeliveryDto, WebhookDto, WebhookPayload } from '@common/webhooks';
import { createLogger } from '@server/logger';
import { sendWebhook } from '@server/webhooks/webhook.client';
import { createWebhookDispatcher } from '@server/webhooks/webhook-dispatcher';
import { createWebhookRepository } from '@server/webhooks/webhook.repository';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { startAuthStack, type AuthStack } from '../auth/support/auth-stack';
import { buildScheduleStack, type ScheduleStack } from '../scheduler/support/schedule-stack';

jest.setTimeout(180_000);

interface Received { headers: IncomingHttpHeaders; body: string }

/** An HTTP receiver that answers 500 to the first `failFirst` requests, then 200. */
async function startReceiver(failFirst: number): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = received.length <= failFirst ? 500 : 200;
      res.end(res.statusCode === 200 ? 'ok' : 'try later');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const SECRET = 'a-webhook-secret-of-length';
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

describe.each(testDatabases())('webhooks on $kind', (database) => {
  let s: AuthStack;
  let now: Date;
  const logger = createLogger({ level: 'silent' });
  const dispatcher = () => createWebhookDispatcher({ repo: createWebhookRepository(s.db.dataSource), send: sendWebhook, clock: () => now, logger, config: { poll_interval_ms: 60_000, timeout_ms: 5000, max_attempts: 3, retry_base_ms: 1000 } });
  const runJob = async () => {
    const job = (await s.as('admin').post('/api/v2/remote_execution/jobs', { job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { host_ids: [s.hosts.webA.id] }, timeout: 5 } }).expect(201)).body as Job;
    return s.waitFinal(job.id);
  };
  const createWebhook = async (name: string, url: string, events?: string[]) =>
    (await s.as('admin').post('/api/v2/webhooks', { webhook: { name: `${s.prefix}${name}`, url, secret: SECRET, ...(events ? { events } : {}) } }).expect(201)).body as WebhookDto;
  const log = async (id: number) => ((await s.as('admin').get(`/api/v2/webhooks/${id}/deliveries`).expect(200)).body as { results: WebhookDeliveryDto[] }).results;

  beforeAll(async () => {
    s = await startAuthStack(database);
  });

  afterAll(async () => {
    await s?.close();
  });

  beforeEach(() => {
    now = new Date();
  });

  it('delivers a job\'s end once, signed, retrying after 500s with backoff and across a restart', async () => {
    const receiver = await startReceiver(2);
    try {
      const hook = await createWebhook('retry', receiver.url);
      expect(hook).toMatchObject({ secret_set: true, enabled: true, events: ['job_succeeded', 'job_failed', 'job_cancelled'] });
      expect(JSON.stringify(hook)).not.toContain(SECRET);
      const job = await runJob();
      now = new Date(Date.now() + 10);

      await dispatcher().tick();
      expect(receiver.received).toHaveLength(1);
      // Not due before the backoff has passed.
      await dispatcher().tick();
      expect(receiver.received).toHaveLength(1);
      now = new Date(now.getTime() + 1000);
      await dispatcher().tick();
      expect(receiver.received).toHaveLength(2);
      let [entry] = await log(hook.id);
      expect(entry).toMatchObject({ state: 'pending', attempts: 2, last_status_code: 500, last_error: 'HTTP 500', job_id: job.id });

      // A new dispatcher (a restarted instance) finds the delivery in the database; the second wait doubled.
      now = new Date(now.getTime() + 1999);
      await dispatcher().tick();
      expect(receiver.received).toHaveLength(2);
      now = new Date(now.getTime() + 1);
      await dispatcher().tick();
      await dispatcher().tick();
      expect(receiver.received).toHaveLength(3);
      [entry] = await log(hook.id);
      expect(entry).toMatchObject({ state: 'delivered', attempts: 3, last_status_code: 200, last_error: null, next_attempt_at: null });

      const ids = new Set(receiver.received.map((r) => r.headers['x-rex-delivery']));
      expect(ids).toEqual(new Set([entry.delivery_id]));
      for (const r of receiver.received) {
        expect(r.headers['x-rex-signature']).toBe(sign(r.body));
        expect(r.headers['x-rex-event']).toBe(`job_${job.state}`);
        expect(r.headers['content-type']).toBe('application/json');
      }
      const payload = JSON.parse(receiver.received[2].body) as WebhookPayload;
      expect(payload).toMatchObject({ event: `job_${job.state}`, delivery_id: entry.delivery_id, job: { id: job.id, state: job.state, namespace: 'package', action: 'status', total_hosts: 1, counts: { succeeded: job.counts.succeeded, failed: job.counts.failed } } });
      await s.as('admin').delete(`/api/v2/webhooks/${hook.id}`).expect(200);
    } finally {
      await receiver.close();
    }
  });

  it('sends nothing for events a webhook does not listen for, nor for jobs that ended before it existed', async () => {
    const receiver = await startReceiver(0);
    try {
      const before = await runJob();
      const hook = await createWebhook('cancelled-only', receiver.url, ['job_cancelled']);
      const after = await runJob();
      expect([before.state, after.state]).not.toContain('cancelled');
      now = new Date(Date.now() + 10);
      await dispatcher().tick();
      expect(receiver.received).toHaveLength(0);
      expect(await log(hook.id)).toEqual([]);
      await s.as('admin').put(`/api/v2/webhooks/${hook.id}`, { webhook: { events: ['job_succeeded', 'job_failed'] } }).expect(200);
      await dispatcher().tick();
      // Only the job that ended after the webhook was made.
      expect(receiver.received.map((r) => (JSON.parse(r.body) as WebhookPayload).job.id)).toEqual([after.id]);
      await s.as('admin').delete(`/api/v2/webhooks/${hook.id}`).expect(200);
    } finally {
      await receiver.close();
    }
  });

  it('delivers one job_created per job created, signed, and nothing for jobs made before the webhook', async () => {
    const receiver = await startReceiver(0);
    try {
      const before = await runJob();
      const hook = await createWebhook('created', receiver.url, ['job_created']);
      expect(hook.events).toEqual(['job_created']);
      const first = await runJob();
      const replay = (await s.as('admin').post(`/api/v2/remote_execution/jobs/${first.id}/replay`, { hosts: 'all' }).expect(201)).body as Job;
      await s.waitFinal(replay.id);
      now = new Date(Date.now() + 10);
      await dispatcher().tick();
      await dispatcher().tick();
      const payloads = receiver.received.map((r) => JSON.parse(r.body) as JobCreatedPayload);
      expect(payloads.map((p) => p.job.id).sort((a, b) => a - b)).toEqual([first.id, replay.id]);
      expect(payloads.map((p) => p.job.id)).not.toContain(before.id);
      for (const r of receiver.received) {
        expect(r.headers['x-rex-signature']).toBe(sign(r.body));
        expect(r.headers['x-rex-event']).toBe('job_created');
      }
      expect(payloads.find((p) => p.job.id === first.id)).toMatchObject({ event: 'job_created', job: { namespace: 'package', action: 'status', total_hosts: 1, parent_id: null, schedule_id: null, scheduled_at: null } });
      expect(payloads.find((p) => p.job.id === replay.id)?.job.parent_id).toBe(first.id);
      expect(new Set(payloads.map((p) => p.delivery_id)).size).toBe(2);
      expect((await log(hook.id)).map((d) => ({ event: d.event, state: d.state, schedule_run_id: d.schedule_run_id }))).toEqual([
        { event: 'job_created', state: 'delivered', schedule_run_id: null },
        { event: 'job_created', state: 'delivered', schedule_run_id: null },
      ]);
      await s.as('admin').delete(`/api/v2/webhooks/${hook.id}`).expect(200);
    } finally {
      await receiver.close();
    }
  });

  it('gives up after max_attempts and records the delivery failed with the last error', async () => {
    // A port that was just listening and is closed now: nothing answers there.
    const gone = await startReceiver(0);
    await gone.close();
    const hook = await createWebhook('unreachable', gone.url);
    await runJob();
    now = new Date(Date.now() + 10);
    for (let i = 0; i < 3; i++) {
      await dispatcher().tick();
      now = new Date(now.getTime() + 60_000);
    }
    const [entry] = await log(hook.id);
    expect(entry).toMatchObject({ state: 'failed', attempts: 3, last_status_code: null });
    expect(entry.last_error).toMatch(/ECONNREFUSED/);
    await s.as('admin').delete(`/api/v2/webhooks/${hook.id}`).expect(200);
  });

  it('refuses bad input with 400 naming the field, a duplicate name with 409, and non-administrators with 403', async () => {
    const bad = await s.as('admin').post('/api/v2/webhooks', { webhook: { name: 'x', url: 'ftp://example.com', secret: 'short' } }).expect(400);
    expect((bad.body as { error: { message: string } }).error.message).toMatch(/url.*http/);
    // Credentials in the URL would be shown in the list and the audit; link-local addresses are the
    // cloud metadata services (169.254.169.254, in any spelling the URL parser normalises).
    for (const url of ['https://user:pass@example.com/hook', 'http://169.254.169.254/latest/meta-data/', 'http://2852039166/', 'http://[fe80::1]/', 'http://[::ffff:169.254.169.254]/']) {
      const refused = await s.as('admin').post('/api/v2/webhooks', { webhook: { name: 'x', url, secret: SECRET } }).expect(400);
      expect((refused.body as { error: { message: string } }).error.message).toMatch(/url: .*(credentials|link-local)/);
      expect(JSON.stringify(refused.body)).not.toContain('pass@');
    }
    const events = await s.as('admin').post('/api/v2/webhooks', { webhook: { name: 'x', url: 'http://example.com', secret: SECRET, events: ['job_exploded'] } }).expect(400);
    expect((events.body as { error: { message: string } }).error.message).toContain('events');
    const hook = await createWebhook('dup', 'http://example.com/a');
    await s.as('admin').post('/api/v2/webhooks', { webhook: { name: hook.name, url: 'http://example.com/b', secret: SECRET } }).expect(409);
    await s.as('inScope').get('/api/v2/webhooks').expect(403);
    await s.as('userManager').post('/api/v2/webhooks', { webhook: { name: 'y', url: 'http://example.com', secret: SECRET } }).expect(403);
    await s.as('admin').delete(`/api/v2/webhooks/${hook.id}`).expect(200);
    await s.as('admin').get(`/api/v2/webhooks/${hook.id}`).expect(404);
  });
});

describe.each(testDatabases())('schedule webhooks on $kind', (database) => {
  let db: OpenTestDataSource;
  let stack: ScheduleStack;
  let now: Date;
  const logger = createLogger({ level: 'silent' });

  beforeEach(async () => {
    db = await openTestDataSource(database);
    now = new Date('2026-03-01T10:00:00Z');
    stack = await buildScheduleStack(db.dataSource, { clock: () => now, config: { 'scheduler.recurring_start_window_s': 600 } });
  });

  afterEach(async () => {
    await stack?.close();
    await db?.close();
  });

  it('delivers one job_created per schedule job and one schedule_occurrence_fired per occurrence, fired and no_hosts, signed', async () => {
    const receiver = await startReceiver(1);
    try {
      const dispatcher = createWebhookDispatcher({ repo: createWebhookRepository(db.dataSource), send: sendWebhook, clock: () => now, logger, config: { poll_interval_ms: 60_000, timeout_ms: 5000, max_attempts: 3, retry_base_ms: 1000 } });
      const hook = await stack.services.webhooks.create(stack.admin, { name: 'schedules', url: receiver.url, secret: SECRET, events: ['job_created', 'schedule_occurrence_fired'] });
      const host = stack.identities[0];
      const first = await stack.services.schedules.createFromJobRequest(stack.admin, { namespace: 'rpcutil', action: 'ping', targeting: { search: `name = ${host}` }, recurrence: { cron_line: '*/5 * * * *', time_zone: 'UTC' } });
      const scheduleId = first.schedule_id!;

      now = new Date('2026-03-01T10:05:00Z');
      expect(await stack.services.schedules.runDue()).toMatchObject({ fired: 1 });
      await stack.services.jobs.whenDispatched(first.id);
      await db.dataSource.query('UPDATE hosts SET name = ? WHERE name = ?', [`${host}-rebuilt`, host]);
      now = new Date('2026-03-01T10:10:00Z');
      expect(await stack.services.schedules.runDue()).toMatchObject({ fired: 0 });
      const jobIds = ((await db.dataSource.query('SELECT id FROM job_invocations WHERE schedule_id = ? ORDER BY id', [scheduleId])) as Array<{ id: unknown }>).map((r) => Number(r.id));
      expect(jobIds).toHaveLength(2);

      // The first attempt of the first delivery gets a 500; it is sent again after the backoff.
      await dispatcher.tick();
      now = new Date(now.getTime() + 1000);
      await dispatcher.tick();
      await dispatcher.tick();
      const delivered = new Map<string, { event: string; body: string }>();
      for (const r of receiver.received) {
        expect(r.headers['x-rex-signature']).toBe(sign(r.body));
        delivered.set(String(r.headers['x-rex-delivery']), { event: String(r.headers['x-rex-event']), body: r.body });
      }
      expect(receiver.received).toHaveLength(5);
      const bodies = [...delivered.values()];
      const created = bodies.filter((b) => b.event === 'job_created').map((b) => JSON.parse(b.body) as JobCreatedPayload);
      const fired = bodies.filter((b) => b.event === 'schedule_occurrence_fired').map((b) => JSON.parse(b.body) as ScheduleOccurrencePayload);
      expect(created.map((p) => p.job.id).sort((a, b) => a - b)).toEqual(jobIds);
      expect(created.every((p) => p.job.schedule_id === scheduleId)).toBe(true);
      expect(fired.map((p) => p.occurrence).sort((a, b) => a.occurrence_at.localeCompare(b.occurrence_at))).toEqual([
        expect.objectContaining({ schedule_id: scheduleId, occurrence_at: '2026-03-01T10:05:00.000Z', outcome: 'fired', job_id: first.id, reason: null, namespace: 'rpcutil', action: 'ping' }),
        expect.objectContaining({ schedule_id: scheduleId, occurrence_at: '2026-03-01T10:10:00.000Z', outcome: 'no_hosts', job_id: null, reason: expect.stringMatching(/^no host to run on/) as unknown as string }),
      ]);
      const entries = (await stack.services.webhooks.deliveries(stack.admin, hook.id, 1, 50)).results;
      expect(entries).toHaveLength(4);
      expect(entries.every((e) => e.state === 'delivered')).toBe(true);
      expect(entries.filter((e) => e.event === 'schedule_occurrence_fired').map((e) => e.job_id).sort()).toEqual([first.id, null].sort());

      // Nothing new: nothing more is sent.
      now = new Date(now.getTime() + 60_000);
      await dispatcher.tick();
      expect(receiver.received).toHaveLength(5);
    } finally {
      await receiver.close();
    }
  });
});

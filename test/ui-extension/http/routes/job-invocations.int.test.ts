/**
 * Foreman REX's API names over our jobs (routes/job-invocations.routes.ts) on SQLite and MariaDB,
 * through the real app with a real proxy-plugin gRPC server whose Choria client talks to the virtual
 * Choria fleet on the local NATS: create with Foreman's body, show, hosts, one host's output, rerun
 * with failed_only, and Foreman's `errors` and `full_messages` in a 422.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import type { JobStatus } from '@common/jobs';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { createTestProxyClient, startTestProxy, type TestProxy } from '../../jobs/support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp } from '../../jobs/support/job-stack';

jest.setTimeout(90_000);

const NATS_URL = 'nats://127.0.0.1:4222';

describe.each(testDatabases())('job_invocations on $kind', (database) => {
  const prefix = `ji-${randomBytes(3).toString('hex')}-`;
  // The virtual fleet names its nodes <prefix><5-digit number>.
  const names = [1, 2, 3, 4, 5].map((i) => `${prefix}${String(i).padStart(5, '0')}`);
  const silent = names[4];
  let db: OpenTestDataSource;
  let fleet: ChoriaFleet;
  let proxy: TestProxy;
  let client: ProxyClients;
  let app: JobApp;
  const get = (path: string) => request(app.url).get(path).set('Authorization', AUTH);
  const post = (path: string, body?: unknown) => request(app.url).post(path).set('Authorization', AUTH).send(body as object);

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const collective = `rexji${randomBytes(4).toString('hex')}`;
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: 5, identityPrefix: prefix, silentIdentities: [silent], seed: prefix, failureRate: 0 });
    proxy = await startTestProxy({ name: `${prefix}proxy`, natsUrl: NATS_URL, collective });
    client = createTestProxyClient();
    await seedInventory(db.dataSource, { hostgroups: [`${prefix}web`], proxies: [{ name: proxy.name, url: proxy.url, capabilities: ['remote_execution', 'choria'] }], hosts: names.map((name) => ({ name, hostgroup: `${prefix}web`, proxy: proxy.name })) });
    app = await startJobApp({ dataSource: db.dataSource, proxies: client });
  });

  afterAll(async () => {
    await app?.close();
    client?.close();
    await proxy?.stop();
    await fleet?.stop();
    await db?.close();
  });

  async function finished(id: number): Promise<JobStatus> {
    for (let since = 0; ;) {
      const job = (await get(`/api/v2/remote_execution/jobs/${id}?wait=10&since=${since}`).expect(200)).body as JobStatus;
      if (['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
      since = job.version;
    }
  }

  let jobId: number;

  it('creates a job from Foreman\'s body and answers it as a job invocation', async () => {
    const res = await post('/api/v2/job_invocations', { job_invocation: { namespace: 'service', action: 'status', inputs: { service: 'sshd' }, search_query: `hostgroup = "${prefix}web"`, targeting_type: 'static_query', execution_timeout_interval: 2, concurrency_control: { concurrency_level: 10 }, description_format: 'sshd status' } }).expect(201);
    jobId = (res.body as { id: number }).id;
    expect(res.headers.location).toBe(`/api/v2/job_invocations/${jobId}`);
    expect(res.body).toMatchObject({ job_category: 'service', action: 'status', inputs: { service: 'sshd' }, description: 'sshd status', search_query: `hostgroup = "${prefix}web"`, total: 5, execution_timeout_interval: 2, concurrency_level: 10, mode: 'immediate', parent_id: null });
    await finished(jobId);
    const shown = (await get(`/api/v2/job_invocations/${jobId}`).expect(200)).body as Record<string, unknown>;
    expect(shown).toMatchObject({ id: jobId, status: 'failed', status_label: 'failed', succeeded: 4, failed: 1, pending: 0, cancelled: 0, total_hosts: 5 });
  });

  it('lists the job\'s hosts with Foreman\'s job_status, and one host\'s output as Foreman answers it', async () => {
    const hosts = (await get(`/api/v2/job_invocations/${jobId}/hosts?per_page=10`).expect(200)).body as { total: number; results: Array<{ id: number; name: string; job_status: string; state: string }> };
    expect(hosts.results.map((h) => [h.name, h.job_status, h.state])).toEqual(names.map((n) => [n, n === silent ? 'failed' : 'succeeded', n === silent ? 'no_response' : 'succeeded']));
    const ok = hosts.results[0];
    const output = (await get(`/api/v2/job_invocations/${jobId}/hosts/${ok.id}`).expect(200)).body as { complete: boolean; refresh: boolean; output: Array<{ output_type: string; output: string; timestamp: number }> };
    expect(output).toMatchObject({ complete: true, refresh: false });
    expect(output.output.filter((o) => o.output_type === 'stdout').length).toBeGreaterThan(0);
    expect(output.output.at(-1)).toMatchObject({ output_type: 'debug', output: 'Exit status: 0\n' });
    // By name too, and `since` at the result's time leaves nothing new.
    const byName = (await get(`/api/v2/job_invocations/${jobId}/hosts/${silent}`).expect(200)).body as { job_status: string; output: Array<{ output_type: string; timestamp: number }> };
    expect(byName.job_status).toBe('failed');
    expect(byName.output.map((o) => o.output_type)).toContain('stderr');
    const later = (await get(`/api/v2/job_invocations/${jobId}/hosts/${ok.id}?since=${output.output[0].timestamp}`).expect(200)).body as { output: unknown[] };
    expect(later.output).toEqual([]);
    await get(`/api/v2/job_invocations/${jobId}/hosts/999999`).expect(404);
  });

  it('reruns only the failed hosts with failed_only, as a job whose parent is the first', async () => {
    const res = await post(`/api/v2/job_invocations/${jobId}/rerun`, { failed_only: true }).expect(201);
    expect(res.body).toMatchObject({ parent_id: jobId, total: 1, job_category: 'service' });
    expect(res.headers.location).toBe(`/api/v2/job_invocations/${(res.body as { id: number }).id}`);
    await finished((res.body as { id: number }).id);
    const all = await post(`/api/v2/job_invocations/${jobId}/rerun`).expect(201);
    expect(all.body).toMatchObject({ parent_id: jobId, total: 5 });
    await finished((all.body as { id: number }).id);
  });

  it('runs a job template by job_template_id with its inputs, as Foreman does', async () => {
    const template = (await post('/api/v2/job_templates', { job_template: { name: `${prefix}status`, namespace: 'service', action: 'status', inputs: [{ name: 'service', type: 'string', required: true }], timeout: 2 } }).expect(201)).body as { id: number };
    const res = await post('/api/v2/job_invocations', { job_invocation: { job_template_id: template.id, inputs: { service: 'sshd' }, host_ids: [1, 2], description_format: 'by template' } }).expect(201);
    expect(res.body).toMatchObject({ job_category: 'service', action: 'status', inputs: { service: 'sshd' }, total: 2, search_query: 'id ^ (1, 2)', execution_timeout_interval: 2 });
    await finished((res.body as { id: number }).id);
    // A required input left out is refused naming it, before anything is written.
    await post('/api/v2/job_invocations', { job_invocation: { job_template_id: `${prefix}status`, host_ids: [1] } }).expect(422);
  });

  it('answers a 422 with Foreman\'s errors and full_messages beside our error', async () => {
    const res = await post('/api/v2/job_invocations', { job_invocation: { namespace: 'service', action: 'status', search_query: 'name ~ x', feature: 'run_script' } }).expect(422);
    expect(res.body).toMatchObject({ error: {
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('job_invocation.feature'),
      errors: { 'job_invocation.feature': [expect.stringContaining('is not a known field')] },
      full_messages: [expect.stringMatching(/^job_invocation\.feature is not a known field/)],
    } });
    const template = await post('/api/v2/job_invocations', { job_invocation: { job_template_id: 1, search_query: 'name ~ x', execution_timeout_interval: 5 } }).expect(422);
    expect(template.body).toMatchObject({ error: { errors: { 'job_invocation.execution_timeout_interval': ['not taken with job_template_id'] }, full_messages: ['job_invocation.execution_timeout_interval not taken with job_template_id'] } });
  });

  it('lists job invocations newest first', async () => {
    const list = (await get('/api/v2/job_invocations?per_page=10').expect(200)).body as { total: number; results: Array<{ id: number; parent_id: number | null }> };
    expect(list.total).toBe(4);
    expect(list.results.map((j) => j.parent_id)).toEqual([null, jobId, jobId, null]);
  });
});

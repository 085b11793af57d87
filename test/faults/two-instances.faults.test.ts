/**
 * Two ui-extension processes behind one address (a loopback TCP balancer, each request on its own
 * connection so they alternate) sharing one MariaDB database; a private nats-server, the Choria test
 * fleet and a proxy-plugin, each in its own process. Jobs, long polls and schedules work through
 * either instance; then the instance running a 600-host job is killed with SIGKILL and the other one
 * takes the job over (lease expiry, re-attach after the stored sequence) and finishes it: every host
 * ends in a definite state, none lost, none twice.
 */
import type { Job } from '@common/jobs';
import { request, startBalancer, type Balancer } from './support/balancer';
import { faultStack, storedHosts } from './support/fault-stack';
import { AUTH_HEADER, fleetIdentities, hostStates, sleep, startFleetProcess, waitForJobFinal, type UiProc } from './support/processes';

jest.setTimeout(300_000);

const HOSTS = 600;
const PREFIX = 'ti-';
const COLLECTIVE = 'faultti';
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

interface Poll { by: string | undefined; since: number; version: number; state: string; ms: number }

describe('two ui-extension instances behind one address on one MariaDB', () => {
  const stack = faultStack();

  /** Long-polls a job through the balancer until it is final; connection errors (a killed instance) are retried. */
  async function pollUntilFinal(lb: Balancer, jobId: number, timeoutMs: number): Promise<{ polls: Poll[]; errors: number; state: string }> {
    const polls: Poll[] = [];
    let errors = 0;
    let since = 0;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const started = Date.now();
      let r: Awaited<ReturnType<typeof request>>;
      try {
        r = await request(lb.url, 'GET', `/api/v2/remote_execution/jobs/${jobId}?wait=10&since=${since}`, AUTH_HEADER, undefined, 30_000);
      } catch {
        errors += 1;
        await sleep(200);
        continue;
      }
      expect(r.status).toBe(200);
      const job = r.body as Job;
      polls.push({ by: lb.servedBy(r.clientPort), since, version: job.version, state: job.state, ms: Date.now() - started });
      if (FINAL.has(job.state)) return { polls, errors, state: job.state };
      since = job.version;
    }
    throw new Error(`job ${jobId} not final after ${timeoutMs} ms`);
  }

  it('serves jobs, long polls and schedules through either, and the survivor finishes the job of a killed one', async () => {
    const { url: natsUrl } = await stack.nats();
    await startFleetProcess({ natsUrl, count: HOSTS, prefix: PREFIX, collective: COLLECTIVE, latencyMs: 1000 });
    const proxy = await stack.proxy({ name: 'ti-proxy', natsUrl, collective: COLLECTIVE });

    const db = await stack.database();
    const identities = fleetIdentities(PREFIX, HOSTS);
    const seeded = await stack.seed(db, { hostgroup: 'ti', proxies: [proxy], hosts: identities.map((name) => ({ name, proxy: 'ti-proxy' })) });
    const hostIds = (from: number, count: number) => identities.slice(from, from + count).map((n) => seeded.hostIds.get(n)!);
    const uis: UiProc[] = await Promise.all([stack.ui(db, 'ui-a'), stack.ui(db, 'ui-b')]);
    const byName = new Map(uis.map((u) => [u.instanceId, u]));
    const lb = await startBalancer(uis.map((u) => ({ name: u.instanceId, port: Number(new URL(u.url).port) })));
    stack.beforeKill(() => lb.close());

    // Jobs through either instance; each is long-polled through the balancer to its end.
    const createdBy = new Map<number, string>();
    for (let i = 0; i < 4; i++) {
      const r = await request(lb.url, 'POST', '/api/v2/remote_execution/jobs', AUTH_HEADER, { job: { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: hostIds(i * 20, 20) } } });
      expect(r.status).toBe(201);
      createdBy.set((r.body as Job).id, lb.servedBy(r.clientPort)!);
    }
    expect(new Set(createdBy.values())).toEqual(new Set(['ui-a', 'ui-b']));
    const allPolls: Array<Poll & { owner: string }> = [];
    for (const [jobId, owner] of createdBy) {
      const { polls, errors, state } = await pollUntilFinal(lb, jobId, 60_000);
      expect(state).toBe('succeeded');
      expect(errors).toBe(0);
      expect(await hostStates(db.dataSource, jobId)).toEqual({ succeeded: 20 });
      allPolls.push(...polls.map((p) => ({ ...p, owner })));
    }
    expect(new Set(allPolls.map((p) => p.by))).toEqual(new Set(['ui-a', 'ui-b']));
    // A long poll answered by the instance that is NOT running the job woke on that job's progress
    // (before its 10 s wait ran out): the wake-up crosses instances.
    const crossWoken = allPolls.filter((p) => p.by !== p.owner && p.since > 0 && p.version > p.since && p.ms < 10_000);
    expect(crossWoken.length).toBeGreaterThan(0);

    // Schedules made through either instance fire once each and their jobs succeed.
    const scheduled: Array<{ jobId: number; scheduleId: number; by: string }> = [];
    for (let i = 0; i < 2; i++) {
      const startAt = new Date(Date.now() + 4000).toISOString();
      const r = await request(lb.url, 'POST', '/api/v2/remote_execution/jobs', AUTH_HEADER, { job: { namespace: 'rpcutil', action: 'ping', targeting: { host_ids: hostIds(100 + i * 10, 10) }, scheduling: { start_at: startAt } } });
      expect(r.status).toBe(201);
      const job = r.body as Job & { schedule_id: number };
      expect(job.state).toBe('scheduled');
      scheduled.push({ jobId: job.id, scheduleId: job.schedule_id, by: lb.servedBy(r.clientPort)! });
    }
    expect(new Set(scheduled.map((s) => s.by))).toEqual(new Set(['ui-a', 'ui-b']));
    for (const s of scheduled) {
      // Read back through the balancer too (either instance answers).
      expect((await request(lb.url, 'GET', `/api/v2/remote_execution/schedules/${s.scheduleId}`, AUTH_HEADER)).status).toBe(200);
      expect(await waitForJobFinal(db.dataSource, s.jobId, 60_000)).toBe('succeeded');
      expect(await hostStates(db.dataSource, s.jobId)).toEqual({ succeeded: 10 });
    }
    const runs = (await db.dataSource.query('SELECT schedule_id, state FROM schedule_runs')) as Array<{ schedule_id: number; state: string }>;
    expect(runs.map((r) => ({ schedule_id: Number(r.schedule_id), state: r.state })).sort((a, b) => a.schedule_id - b.schedule_id)).toEqual(scheduled.map((s) => ({ schedule_id: s.scheduleId, state: 'fired' })).sort((a, b) => a.schedule_id - b.schedule_id));

    // The instance running a 600-host job is killed; the other one finishes it.
    const created = await request(lb.url, 'POST', '/api/v2/remote_execution/jobs', AUTH_HEADER, { job: { namespace: 'rpcutil', action: 'ping', targeting: { search: 'hostgroup = ti' }, batch_size: 25 } });
    expect(created.status).toBe(201);
    const jobId = (created.body as Job).id;
    const stored = () => storedHosts(db, jobId);
    const waitUntil = Date.now() + 60_000;
    while ((await stored()) < 100 && Date.now() < waitUntil) await sleep(100);
    const [{ lease_owner: owner }] = (await db.dataSource.query('SELECT lease_owner FROM job_invocations WHERE id = ?', [jobId])) as Array<{ lease_owner: string }>;
    const victim = byName.get(owner)!;
    const survivor = uis.find((u) => u !== victim)!;
    expect(await victim.kill('SIGKILL')).toBe('SIGKILL');
    const killedAt = Date.now();
    const storedAtKill = await stored();
    expect(storedAtKill).toBeLessThan(HOSTS);

    const { polls, errors, state } = await pollUntilFinal(lb, jobId, 120_000);
    const finalAfterKillMs = Date.now() - killedAt;
    expect(state).toBe('succeeded');
    // After the kill every poll is answered by the survivor (the balancer skips the dead backend).
    expect(new Set(polls.map((p) => p.by))).toEqual(new Set([survivor.instanceId]));
    const takeover = await survivor.waitForLine((l) => l.includes('"msg":"taking over an unfinished job"') && l.includes(`"jobId":${jobId},`), 1000);
    const takeoverAfterKillMs = (JSON.parse(takeover) as { time: number }).time - killedAt;
    const rows = (await db.dataSource.query('SELECT host_name, state, statuscode FROM job_invocation_hosts WHERE job_invocation_id = ?', [jobId])) as Array<{ host_name: string; state: string; statuscode: number | null }>;
    expect(rows).toHaveLength(HOSTS);
    expect(new Set(rows.map((r) => r.host_name)).size).toBe(HOSTS);
    expect(await hostStates(db.dataSource, jobId)).toEqual({ succeeded: HOSTS });
    const [job] = (await db.dataSource.query('SELECT count_succeeded, count_pending, count_running, lease_owner FROM job_invocations WHERE id = ?', [jobId])) as Array<Record<string, unknown>>;
    expect(job).toMatchObject({ lease_owner: null });
    expect([job.count_succeeded, job.count_pending, job.count_running].map(Number)).toEqual([HOSTS, 0, 0]);

    const figures = {
      hosts: HOSTS,
      killed: victim.instanceId,
      storedAtKill,
      takeoverAfterKillMs,
      jobFinalAfterKillMs: finalAfterKillMs,
      pollErrorsAroundKill: errors,
      resultsLost: HOSTS - rows.filter((r) => r.state === 'succeeded').length,
      duplicates: rows.length - new Set(rows.map((r) => r.host_name)).size,
      crossInstanceWokenPolls: crossWoken.length,
    };
    process.stdout.write(`two instances figures: ${JSON.stringify(figures)}\n`);
    expect(errors).toBeLessThanOrEqual(1);
  });
});

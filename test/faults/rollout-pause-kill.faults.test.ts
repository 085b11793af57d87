/**
 * A paused rollout survives a SIGKILL of its ui-extension (issue 17). Every part in its own process:
 * a private nats-server, the Choria test fleet (reporting what each node received), a proxy-plugin and
 * the ui-extension on MariaDB. A job with a 5-host canary that waits for a resume is killed while it
 * waits; started again (same instance id), the ui-extension keeps it paused, sends nothing more, and
 * after the resume sends every other host exactly once.
 */
import type { Job } from '@common/jobs';
import { startReportingFleet } from './support/rollout';
import { faultStack } from './support/fault-stack';
import { api, fleetIdentities, sleep, type UiProc } from './support/processes';

jest.setTimeout(300_000);

const HOSTS = 25;
const PREFIX = 'rpk-';
const COLLECTIVE = 'faultrpk';

describe('a paused rollout and a killed ui-extension', () => {
  const stack = faultStack();

  it('stays paused after a SIGKILL and a restart, and sends each host once after the resume', async () => {
    const natsUrl = (await stack.nats()).url;
    const fleet = await startReportingFleet({ natsUrl, count: HOSTS, prefix: PREFIX, collective: COLLECTIVE, latencyMs: 50 });
    const proxy = await stack.proxy({ name: 'rpk-proxy', natsUrl, collective: COLLECTIVE });
    const db = await stack.database();
    const identities = fleetIdentities(PREFIX, HOSTS);
    const seeded = await stack.seed(db, { hostgroup: 'rpk', proxies: [proxy], hosts: identities.map((host) => ({ name: host, proxy: 'rpk-proxy' })) });
    let ui: UiProc = await stack.ui(db, 'rpk-ui');

    const created = await api(ui.url, 'POST', '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: seeded.hostgroupIds.get('rpk')! }, rollout: { canary: { hosts: 5, then: 'wait' }, batch_size: 10 } } });
    expect(created.status).toBe(201);
    const id = (created.body as Job).id;
    const show = async (): Promise<Job> => (await api(ui.url, 'GET', `/api/v2/remote_execution/jobs/${id}`)).body as Job;
    let job = await show();
    for (let i = 0; i < 300 && !(job.rollout_progress?.paused && job.counts.succeeded === 5); i++) {
      await sleep(100);
      job = await show();
    }
    expect(job.rollout_progress).toMatchObject({ batch: 1, batches: 3, paused: true });

    expect(await ui.kill('SIGKILL')).toBe('SIGKILL');
    ui = await stack.ui(db, 'rpk-ui');
    // The restarted instance takes its own job back at once (same instance id) and must leave it paused.
    await ui.waitForLine((l) => l.includes('"msg":"taking over an unfinished job"') && l.includes(`"jobId":${id}`), 30_000);
    await sleep(3000);
    job = await show();
    expect(job.state).toBe('running');
    expect(job.counts).toMatchObject({ succeeded: 5, pending: 20, running: 0 });
    expect(job.rollout_progress).toMatchObject({ batch: 1, paused: true, pause_reason: 'canary of 5 hosts done; waiting for a resume' });
    const whilePaused = await fleet.report('rpcutil#ping');
    expect(Object.values(whilePaused.received).reduce((a, b) => a + b, 0)).toBe(5);

    expect((await api(ui.url, 'POST', `/api/v2/remote_execution/jobs/${id}/resume`)).status).toBe(200);
    for (let i = 0; i < 600 && !['succeeded', 'failed', 'cancelled'].includes(job.state); i++) {
      await sleep(100);
      job = await show();
    }
    expect(job.state).toBe('succeeded');
    expect(job.rollout_progress).toMatchObject({ batch: 3, batches: 3, paused: false });
    const after = await fleet.report('rpcutil#ping');
    expect(identities.map((n) => after.received[n] ?? 0)).toEqual(identities.map(() => 1));
  });
});

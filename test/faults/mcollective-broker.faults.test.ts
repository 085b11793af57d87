/**
 * Issue 27 on a real MCollective fleet (test/fleet/mcollective: mcollectived 2.12 daemons on a
 * private RabbitMQ), with the proxy-plugin and the ui-extension (MariaDB) in their own processes:
 *  1. The broker killed between two batches and back within the job's deadline: the proxy waits for
 *     its reconnect and for the daemons to subscribe again, then sends the remaining batches.
 *  2. Refused by the nodes' security: a proxy holding a psk the daemons do not share gets no reply
 *     at all (mcollectived drops such a request, logging "Received an invalid signature in message"),
 *     and a reply whose psk hash does not match: each host's reason names the security failure, and
 *     the proxy logs it.
 * Figures go to stdout and docs/RELIABILITY.md.
 */
import { startMcollectiveFleet, type McollectiveFleet } from '@test/fleet/mcollective/mcollective-fleet';
import { startRogueNode, type RogueNode } from '@test/fleet/mcollective/rogue-node';
import { openTestDataSource, type OpenTestDataSource } from '@test/support/databases';
import { portForLaterListen } from '@test/support/ports';
import { seedInventory, type SeededInventory } from '@test/ui-extension/jobs/support/job-stack';
import { api, killAll, seedAdmin, sleep, startUiProcess, waitForJobFinal, type Proc, type UiProc } from './support/processes';
import { startMcollectiveProxyProcess } from './support/mcollective';
import { countWhere, hostRows } from './support/rollout';

jest.setTimeout(300_000);

const ROGUE = 'rogue-01.mco.test';

describe('jobs on a real MCollective fleet when the broker or the security fails', () => {
  let fleet: McollectiveFleet;
  let db: OpenTestDataSource;
  let ui: UiProc;
  let seeded: SeededInventory;
  let proxy: Proc;
  let wrongPsk: Proc;
  let rogue: RogueNode | undefined;

  beforeAll(async () => {
    fleet = await startMcollectiveFleet({ count: 6 });
    const [port, wrongPort] = [await portForLaterListen(), await portForLaterListen()];
    proxy = await startMcollectiveProxyProcess(fleet, { name: 'mco-proxy', port });
    wrongPsk = await startMcollectiveProxyProcess(fleet, { name: 'mco-wrong-psk', port: wrongPort, psk: 'not-the-psk-of-the-fleet' });
    db = await openTestDataSource('mysql');
    seeded = await seedInventory(db.dataSource, {
      hostgroups: ['mco', 'wrong'],
      proxies: [
        { name: 'mco-proxy', url: `127.0.0.1:${port}`, capabilities: ['remote_execution', 'mcollective'] },
        { name: 'mco-wrong-psk', url: `127.0.0.1:${wrongPort}`, capabilities: ['remote_execution', 'mcollective'] },
      ],
      hosts: [...fleet.identities.map((name) => ({ name, hostgroup: 'mco', proxy: 'mco-proxy' })), { name: ROGUE, hostgroup: 'wrong', proxy: 'mco-proxy' }],
    });
    await seedAdmin(db.dataSource);
    ui = await startUiProcess({ database: db.database, instanceId: 'mco-ui' });
  }, 240_000);

  afterAll(async () => {
    await rogue?.stop();
    await killAll();
    await db?.close();
    await fleet?.stop();
  }, 120_000);

  async function runJob(hosts: string[], fields: Record<string, unknown>): Promise<{ jobId: number; startedAt: number }> {
    const startedAt = Date.now();
    const created = await api(ui.url, 'POST', '/api/v2/remote_execution/jobs', {
      job: { namespace: 'rexcheck', action: 'echo', arguments: { message: 'issue 27' }, targeting: { host_ids: hosts.map((h) => seeded.hostIds.get(h)!) }, ...fields },
    });
    expect(created.status).toBe(201);
    return { jobId: (created.body as { id: number }).id, startedAt };
  }

  it('sends the remaining batches after the broker was killed between batches and came back within the deadline', async () => {
    // Batches of 2 at a 10 s timeout (hosts go out in name order), the first with a stopped daemon:
    // the first batch waits its whole timeout, and the broker is down when the second is due. The
    // deadline is 40 s.
    const [silent, ...live] = [...fleet.identities].sort();
    await fleet.stopNode(silent);
    const { jobId, startedAt } = await runJob(fleet.identities, { batch_size: 2, timeout: 10 });
    for (let end = Date.now() + 30_000; (await countWhere(db.dataSource, jobId, "state = 'succeeded'")) < 1 && Date.now() < end;) await sleep(100);
    await fleet.killBroker();
    const killedAt = Date.now();
    // Past the end of batch 1: the proxy is now waiting for the broker to send batch 2.
    await sleep(Math.max(0, startedAt + 12_000 - Date.now()));
    await fleet.startBroker();
    const backAt = Date.now();
    expect(await waitForJobFinal(db.dataSource, jobId, 120_000)).toBe('failed');
    const jobMs = Date.now() - startedAt;
    const rows = await hostRows(db.dataSource, jobId);
    const [job] = (await db.dataSource.query('SELECT started_at, deadline_at, finished_at FROM job_invocations WHERE id = ?', [jobId])) as Array<{ started_at: Date; deadline_at: Date; finished_at: Date }>;
    const figures = {
      nodes: fleet.identities.length,
      batches: 3,
      brokerDownMs: backAt - killedAt,
      jobMs,
      finishedBeforeDeadlineMs: new Date(job.deadline_at).getTime() - new Date(job.finished_at).getTime(),
      succeeded: rows.filter((r) => r.state === 'succeeded').length,
      proxyReconnects: proxy.lines.filter((l) => l.includes('"msg":"stomp reconnected"')).length,
    };
    process.stdout.write(`mcollective broker kill figures: ${JSON.stringify(figures)}\n`);

    expect(rows.filter((r) => r.name !== silent)).toEqual(live.map((name) => expect.objectContaining({ name, state: 'succeeded', asked: true })));
    expect(rows.find((r) => r.name === silent)).toMatchObject({ state: 'no_response', asked: true, reason: 'asked; no reply within the 10 s timeout' });
    expect(figures.proxyReconnects).toBeGreaterThanOrEqual(1);
    expect(figures.finishedBeforeDeadlineMs).toBeGreaterThan(0);
  });

  it('names the security failure on every host, and logs it, when the proxy holds a psk the daemons do not share', async () => {
    const live = fleet.identities.filter((name) => name !== [...fleet.identities].sort()[0]);
    await db.dataSource.query('UPDATE hosts SET smart_proxy_id = ? WHERE id IN (?)', [seeded.proxyIds.get('mco-wrong-psk'), live.map((h) => seeded.hostIds.get(h))]);
    try {
      const { jobId } = await runJob(live, { timeout: 5 });
      expect(await waitForJobFinal(db.dataSource, jobId, 60_000)).toBe('failed');
      const rows = await hostRows(db.dataSource, jobId);
      expect(rows.map((r) => r.state)).toEqual(live.map(() => 'failed'));
      for (const r of rows) {
        expect(r.asked).toBe(true);
        expect(r.reason).toMatch(/^refused by the nodes' security \(suspected\): no node answers this proxy, not even discovery\. mcollectived drops, without a reply, every request whose psk hash does not match its plugin\.psk/);
      }
      expect(wrongPsk.lines.some((l) => l.includes('"level":"error"') && l.includes('no node answers this proxy, not even discovery'))).toBe(true);
      process.stdout.write(`mcollective wrong psk figures: ${JSON.stringify({ hosts: rows.length, refusedBySecurity: rows.filter((r) => r.reason?.includes('psk')).length })}\n`);
    } finally {
      await db.dataSource.query('UPDATE hosts SET smart_proxy_id = ? WHERE id IN (?)', [seeded.proxyIds.get('mco-proxy'), live.map((h) => seeded.hostIds.get(h))]);
    }
  });

  it('names the psk check on a host whose reply fails it, and logs it, while the other hosts succeed', async () => {
    rogue = await startRogueNode(fleet, { identity: ROGUE, tamper: true, data: { message: 'issue 27', length: 8 } });
    const live = fleet.identities.filter((name) => name !== [...fleet.identities].sort()[0]).slice(0, 2);
    const { jobId } = await runJob([...live, ROGUE], { timeout: 5 });
    expect(await waitForJobFinal(db.dataSource, jobId, 60_000)).toBe('failed');
    const rows = await hostRows(db.dataSource, jobId);
    expect(rows.filter((r) => r.name !== ROGUE).map((r) => r.state)).toEqual(['succeeded', 'succeeded']);
    expect(rows.find((r) => r.name === ROGUE)).toMatchObject({
      state: 'failed',
      statuscode: null,
      reason: `refused by security: the reply from ${ROGUE} failed the psk check (the node's plugin.psk differs from this proxy's, or the reply was altered on the way), so the proxy discarded it`,
    });
    expect(rogue.received()).toBe(1);
    expect(proxy.lines.some((l) => l.includes('"msg":"reply failed the psk check; discarded"') && l.includes(ROGUE))).toBe(true);
  });
});

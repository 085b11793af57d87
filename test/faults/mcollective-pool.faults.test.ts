/**
 * An MCollective broker pool (#26 items 5 and 6) on a real fleet (test/fleet/mcollective): two
 * private brokers, not clustered (RabbitMQ, then ActiveMQ), that the mcollectived daemons list as
 * plugin.<connector>.pool.1 and .2, and the proxy-plugin as mcollective.pool, both in that order. The first broker is
 * SIGKILLed while the job's second batch is in flight: the proxy fails over to the second broker
 * by itself, waits for the daemons to be back on it, and sends the remaining batches through it.
 * The batch in flight ends in a definite state (its replies were bound for the dead broker's temp
 * queue); no host is left without one and none is stored twice.
 */
import { startMcollectiveFleet, type FleetBroker, type McollectiveFleet } from '@test/fleet/mcollective/mcollective-fleet';
import { openTestDataSource, type OpenTestDataSource } from '@test/support/databases';
import { portForLaterListen } from '@test/support/ports';
import { seedInventory, type SeededInventory } from '@test/ui-extension/jobs/support/job-stack';
import { api, killAll, seedAdmin, sleep, startUiProcess, waitForJobFinal, type Proc, type UiProc } from './support/processes';
import { startMcollectiveProxyProcess } from './support/mcollective';
import { countWhere, hostRows } from './support/rollout';

jest.setTimeout(300_000);

const NODES = 8;
const BATCH = 2;
/** Each node sleeps this long before it answers, so a batch is in flight when the broker dies. */
const DELAY_S = 3;

const serverOf = (line: string): string => (JSON.parse(line) as { server?: string }).server ?? '';

describe.each<FleetBroker>(['rabbitmq', 'activemq'])('a proxy on an MCollective broker pool of %s', (broker) => {
  let fleet: McollectiveFleet;
  let db: OpenTestDataSource;
  let ui: UiProc;
  let seeded: SeededInventory;
  let proxy: Proc;

  beforeAll(async () => {
    fleet = await startMcollectiveFleet({ count: NODES, brokers: 2, broker });
    const port = await portForLaterListen();
    proxy = await startMcollectiveProxyProcess(fleet, {
      name: `mco-pool-${broker}`,
      port,
      // The pool replaces host and port: those two are unset ('' counts as unset).
      env: { PROXY_PLUGIN_MCOLLECTIVE_HOST: '', PROXY_PLUGIN_MCOLLECTIVE_PORT: '', PROXY_PLUGIN_MCOLLECTIVE_POOL: fleet.stompPorts.map((p) => `127.0.0.1:${p}`).join(',') },
    });
    db = await openTestDataSource('mysql');
    seeded = await seedInventory(db.dataSource, {
      hostgroups: ['pool'],
      proxies: [{ name: `mco-pool-${broker}`, url: `127.0.0.1:${port}`, capabilities: ['remote_execution', 'mcollective'] }],
      hosts: fleet.identities.map((name) => ({ name, hostgroup: 'pool', proxy: `mco-pool-${broker}` })),
    });
    await seedAdmin(db.dataSource);
    ui = await startUiProcess({ database: db.database, instanceId: `mco-pool-ui-${broker}` });
  }, 240_000);

  afterAll(async () => {
    await killAll();
    await db?.close();
    await fleet?.stop();
  }, 120_000);

  it('fails over to the second broker when the first is killed mid-job, and sends the remaining batches through it', async () => {
    const [first, second] = fleet.stompPorts.map((p) => `127.0.0.1:${p}`);
    // In order, as MCollective's pool: the first broker at start.
    expect(serverOf(await proxy.waitForLine((l) => l.includes('"msg":"stomp connected"'), 5000))).toBe(first);

    const startedAt = Date.now();
    const created = await api(ui.url, 'POST', '/api/v2/remote_execution/jobs', {
      job: { namespace: 'rexcheck', action: 'delay', arguments: { seconds: DELAY_S }, targeting: { host_ids: fleet.identities.map((h) => seeded.hostIds.get(h)!) }, batch_size: BATCH, timeout: 10 },
    });
    expect(created.status).toBe(201);
    const jobId = (created.body as { id: number }).id;
    // Batch 1 answered through the first broker; batch 2 is then published and its nodes sleep.
    for (const end = Date.now() + 60_000; (await countWhere(db.dataSource, jobId, "state = 'succeeded'")) < BATCH && Date.now() < end;) await sleep(50);
    await sleep(1000);
    expect(await countWhere(db.dataSource, jobId, "state = 'succeeded'")).toBe(BATCH);
    const killedAt = Date.now();
    await fleet.killBroker(0);
    const reconnected = await proxy.waitForLine((l) => l.includes('"msg":"stomp reconnected"'), 30_000);
    const failoverMs = Date.now() - killedAt;
    expect(serverOf(reconnected)).toBe(second);

    expect(await waitForJobFinal(db.dataSource, jobId, 180_000)).toMatch(/^(succeeded|failed)$/);
    const rows = await hostRows(db.dataSource, jobId);
    // Hosts go out in name order, BATCH at a time.
    const sorted = [...fleet.identities].sort();
    const batches = Array.from({ length: NODES / BATCH }, (_, i) => sorted.slice(i * BATCH, (i + 1) * BATCH));
    const stateOf = (name: string) => rows.find((r) => r.name === name);
    const figures = {
      nodes: NODES,
      broker,
      failoverMs,
      jobMs: Date.now() - startedAt,
      batchStates: batches.map((b) => b.map((h) => stateOf(h)?.state)),
      duplicates: rows.length - new Set(rows.map((r) => r.name)).size,
    };
    process.stdout.write(`mcollective pool figures (${broker}): ${JSON.stringify(figures)}\n`);

    expect(rows).toHaveLength(NODES);
    expect(figures.duplicates).toBe(0);
    for (const h of batches[0]) expect(stateOf(h)).toMatchObject({ state: 'succeeded', asked: true });
    // The batch in flight: answered (ActiveMQ: the reply queue is a named queue, which the proxy
    // subscribes to again on the second broker), or unanswered with the timeout's reason (RabbitMQ:
    // a temp queue of the dead broker); never left pending.
    for (const h of batches[1]) {
      const row = stateOf(h)!;
      if (row.state !== 'succeeded') expect(row).toMatchObject({ state: 'no_response', asked: true, reason: 'asked; no reply within the 10 s timeout' });
    }
    // Every later batch went out through the second broker and was answered.
    for (const h of batches.slice(2).flat()) expect(stateOf(h)).toMatchObject({ state: 'succeeded', asked: true, statuscode: 0 });
    expect(proxy.child.exitCode).toBeNull();
  });
});

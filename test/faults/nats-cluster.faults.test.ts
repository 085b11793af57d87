/**
 * A proxy on a 3-node NATS cluster (#26 item 5). The nodes are PRIVATE nats-servers on loopback
 * (/usr/sbin/nats-server, their own client and route ports, never the system one). The proxy lists
 * all three with the first one down at start: it connects to another and serves a job. Mid-job the
 * node the proxy is on is SIGKILLed: the proxy moves to another node by itself, and the job ends with
 * every host succeeded exactly once (none lost, none doubled). The node in use is read from the
 * proxy's log and from its rex_proxy_broker_server metric.
 */
import { openTestDataSource, type OpenTestDataSource } from '@test/support/databases';
import { portForLaterListen } from '@test/support/ports';
import { seedInventory } from '@test/ui-extension/jobs/support/job-stack';
import {
  api,
  fleetIdentities,
  hostStates,
  killAll,
  natsClusterNodes,
  seedAdmin,
  sleep,
  startFleetProcess,
  startNatsClusterNode,
  startProxyProcess,
  startUiProcess,
  waitForJobFinal,
  type NatsClusterNode,
  type Proc,
} from './support/processes';

jest.setTimeout(300_000);

const HOSTS = 400;
const BATCH = 50;
const PREFIX = 'nc-';
const COLLECTIVE = 'faultnc';

/** The `server` field of a JSON log line. */
const serverOf = (line: string): string => (JSON.parse(line) as { server?: string }).server ?? '';

async function brokerServerMetric(port: number): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(/^rex_proxy_broker_server\{[^}]*server="([^"]+)"[^}]*\} 1$/gm)].map((m) => m[1]);
}

describe('a proxy on a 3-node NATS cluster', () => {
  let db: OpenTestDataSource | undefined;

  afterAll(async () => {
    await killAll();
    await db?.close();
  });

  it('connects past a first node that is down, and loses and doubles nothing when its node is killed mid-job', async () => {
    const nodes = await natsClusterNodes(3);
    const procs = new Map<NatsClusterNode, Proc>();
    // The first listed node is down when the proxy starts.
    for (const node of nodes.slice(1)) procs.set(node, await startNatsClusterNode(node, nodes));

    const proxyPort = await portForLaterListen();
    const metricsPort = await portForLaterListen();
    const proxyStartedAt = Date.now();
    const proxy = await startProxyProcess({
      name: 'nc-proxy',
      natsUrl: nodes.map((n) => n.url).join(','),
      port: proxyPort,
      collective: COLLECTIVE,
      env: { PROXY_PLUGIN_METRICS_ENABLED: 'true', PROXY_PLUGIN_METRICS_PORT: String(metricsPort) },
    });
    const connectMs = Date.now() - proxyStartedAt;
    const firstServer = serverOf(await proxy.waitForLine((l) => l.includes('"msg":"nats connected"'), 5000));
    expect([`127.0.0.1:${nodes[1].port}`, `127.0.0.1:${nodes[2].port}`]).toContain(firstServer);
    expect(await brokerServerMetric(metricsPort)).toEqual([firstServer]);
    const proxyNode = nodes.find((n) => `127.0.0.1:${n.port}` === firstServer)!;

    // The first node comes up: a full cluster of three for the rest of the test.
    procs.set(nodes[0], await startNatsClusterNode(nodes[0], nodes));
    // The fleet sits on a node the proxy is not on, so killing the proxy's node never takes it down.
    const fleetNode = nodes.find((n) => n !== proxyNode && n !== nodes[0])!;
    // One second per reply: a batch's replies come long after its requests, and after the proxy's reconnect.
    await startFleetProcess({ natsUrl: fleetNode.url, count: HOSTS, prefix: PREFIX, collective: COLLECTIVE, latencyMs: 1000 });

    db = await openTestDataSource('mysql');
    const identities = fleetIdentities(PREFIX, HOSTS);
    await seedInventory(db.dataSource, {
      hostgroups: ['nc'],
      proxies: [{ name: 'nc-proxy', url: `127.0.0.1:${proxyPort}`, capabilities: ['remote_execution', 'choria'] }],
      hosts: identities.map((name) => ({ name, hostgroup: 'nc', proxy: 'nc-proxy' })),
    });
    await seedAdmin(db.dataSource);
    const ui = await startUiProcess({ database: db.database, instanceId: 'nc-ui' });

    const created = await api(ui.url, 'POST', '/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { search: 'hostgroup = nc' }, batch_size: BATCH, timeout: 10 } });
    expect(created.status).toBe(201);
    const jobId = (created.body as { id: number }).id;
    const stored = async () => Number(((await db!.dataSource.query("SELECT COUNT(*) AS n FROM job_invocation_hosts WHERE job_invocation_id = ? AND state NOT IN ('pending', 'running')", [jobId])) as Array<{ n: number | string }>)[0].n);
    // Two batches answered; the third has just been published and its replies are a second away.
    const waitUntil = Date.now() + 120_000;
    while ((await stored()) < 2 * BATCH && Date.now() < waitUntil) await sleep(20);
    await sleep(200);
    const storedAtKill = await stored();
    expect(storedAtKill).toBeLessThan(HOSTS);

    const killedAt = Date.now();
    expect(await procs.get(proxyNode)!.kill('SIGKILL')).toBe('SIGKILL');
    const reconnected = await proxy.waitForLine((l) => l.includes('"msg":"nats reconnected"'), 30_000);
    const reconnectMs = Date.now() - killedAt;
    const secondServer = serverOf(reconnected);
    expect(secondServer).not.toBe(firstServer);
    expect(nodes.map((n) => `127.0.0.1:${n.port}`)).toContain(secondServer);
    expect(proxy.lines.some((l) => l.includes('"msg":"nats disconnected"') && serverOf(l) === firstServer)).toBe(true);

    expect(await waitForJobFinal(db.dataSource, jobId, 120_000)).toBe('succeeded');
    const rows = (await db.dataSource.query('SELECT host_name, state FROM job_invocation_hosts WHERE job_invocation_id = ?', [jobId])) as Array<{ host_name: string; state: string }>;
    const figures = {
      hosts: HOSTS,
      proxyConnectWithFirstNodeDownMs: connectMs,
      storedAtKill,
      reconnectAfterKillMs: reconnectMs,
      from: firstServer,
      to: secondServer,
      states: await hostStates(db.dataSource, jobId),
      lost: HOSTS - new Set(rows.filter((r) => r.state === 'succeeded').map((r) => r.host_name)).size,
      duplicates: rows.length - new Set(rows.map((r) => r.host_name)).size,
    };
    process.stdout.write(`NATS cluster figures: ${JSON.stringify(figures)}\n`);
    expect(figures.states).toEqual({ succeeded: HOSTS });
    expect(figures.lost).toBe(0);
    expect(figures.duplicates).toBe(0);
    expect(new Set(rows.map((r) => r.host_name))).toEqual(new Set(identities));
    expect(await brokerServerMetric(metricsPort)).toEqual([secondServer]);
    expect(proxy.child.exitCode).toBeNull();
  });
});

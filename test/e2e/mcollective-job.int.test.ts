/**
 * A job end to end on MCollective: the real ui-extension app (HTTP API, job service, dispatcher,
 * database) reaches the real proxy-plugin (runProxy: config -> MCollective client -> gRPC server)
 * through the ui-extension's gRPC proxy client; the proxy runs the action on 10 real mcollectived
 * daemons. Every host's stored result must equal what the real `mco rpc --json` reports for the
 * same action on the same hosts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { JobHost, JobStatus } from '@common/jobs';
import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { RunningProxy } from '@proxy/main';
import { silentLogger } from '@server/logger';
import { createProxyClients, type ProxyClients } from '@server/proxies/proxy-client';
import { startMcollectiveFleet, type McollectiveFleet } from '@test/fleet/mcollective/mcollective-fleet';
import { startMcollectiveProxy, waitBrokerConnected } from '@test/fleet/mcollective/mcollective-proxy';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { AUTH, seedInventory, startJobApp, type JobApp } from '@test/ui-extension/jobs/support/job-stack';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';


const PROXY_NAME = 'puppet-mco.mco.test';

interface McoResult {
  sender: string;
  statuscode: number;
  statusmsg: string;
  data: Record<string, unknown>;
}

async function runJob(app: JobApp, body: Record<string, unknown>): Promise<{ job: JobStatus; hosts: JobHost[] }> {
  const created = await fetch(`${app.url}/api/v2/remote_execution/jobs`, { method: 'POST', headers: { Authorization: AUTH, 'Content-Type': 'application/json' }, body: JSON.stringify({ job: body }) });
  if (created.status !== 201) throw new Error(`POST answered ${created.status}: ${await created.text()}`);
  let job = (await created.json()) as JobStatus;
  while (!['succeeded', 'failed', 'cancelled'].includes(job.state)) {
    job = (await (await fetch(`${app.url}/api/v2/remote_execution/jobs/${job.id}?wait=20&since=${job.version}`, { headers: { Authorization: AUTH } })).json()) as JobStatus;
  }
  const page = (await (await fetch(`${app.url}/api/v2/remote_execution/jobs/${job.id}/hosts?per_page=100`, { headers: { Authorization: AUTH } })).json()) as { results: JobHost[] };
  return { job, hosts: page.results };
}

/** `mco rpc AGENT ACTION k=v ... -I host ... --json`: directed to the hosts, as our job is. */
async function mcoRpc(fleet: McollectiveFleet, agent: string, action: string, args: Record<string, string>, identities: string[]): Promise<McoResult[]> {
  const run = await fleet.mco(['rpc', agent, action, ...Object.entries(args).map(([k, v]) => `${k}=${v}`), ...identities.flatMap((id) => ['-I', id]), '--json', '--np']);
  // Application#halt_code: 0 all ok, 2 some host answered with a failure; anything else is an error.
  if (run.code !== 0 && run.code !== 2) throw new Error(`mco rpc exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as McoResult[];
}

function byHost(hosts: JobHost[]) {
  return Object.fromEntries(hosts.map((h) => [h.host_name, { statuscode: h.statuscode, statusmsg: h.statusmsg, data: h.data }]));
}

function byMcoSender(results: McoResult[]) {
  return Object.fromEntries(results.map((r) => [r.sender, { statuscode: r.statuscode, statusmsg: r.statusmsg, data: r.data }]));
}

describe('a job on an MCollective proxy', () => {
  let fleet: McollectiveFleet;
  let proxy: RunningProxy;
  let clients: ProxyClients;
  let url: string;
  const auditFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rex-mco-audit-')), 'audit.log');

  beforeAll(async () => {
    fleet = await startMcollectiveFleet({ count: 10 });
    proxy = await startMcollectiveProxy(fleet, { name: PROXY_NAME, auditFile });
    url = `127.0.0.1:${proxy.port}`;
    clients = createProxyClients({ deadlineMs: 10_000, logger: silentLogger(), plaintextLoopback: true, callerSecret: TEST_PROXY_SECRET });
    await waitBrokerConnected(clients, url);
  }, 180_000);

  afterAll(async () => {
    clients?.close();
    await proxy?.stop();
    await fleet?.stop();
    fs.rmSync(path.dirname(auditFile), { recursive: true, force: true });
  }, 60_000);

  it('lists the Ruby DDL agents and the fleet nodes with their facts through gRPC', async () => {
    const agents = await clients.listAgents(url);
    expect(agents.map((a) => a.metadata?.name)).toEqual(expect.arrayContaining(['rpcutil', 'rexcheck']));
    const rexcheck = agents.find((a) => a.metadata?.name === 'rexcheck')!;
    expect(rexcheck.actions.find((a) => a.name === 'echo')?.inputs.map((i) => i.name)).toEqual(['message', 'shout']);
    const nodes = await clients.listNodes(url);
    expect(nodes.map((n) => n.identity).sort()).toEqual([...fleet.identities].sort());
    expect(nodes.find((n) => n.identity === fleet.nodes[0].identity)?.facts).toEqual(fleet.nodes[0].facts);
  });

  describe.each(testDatabases())('with the ui-extension on $kind', (database) => {
    let db: OpenTestDataSource;
    let app: JobApp;
    let hostgroupId: number;

    beforeAll(async () => {
      db = await openTestDataSource(database);
      const seeded = await seedInventory(db.dataSource, {
        hostgroups: ['mco'],
        proxies: [{ name: PROXY_NAME, url, capabilities: ['remote_execution', 'mcollective'] }],
        hosts: fleet.nodes.map((n) => ({ name: n.identity, hostgroup: 'mco', proxy: PROXY_NAME, facts: n.facts })),
      });
      hostgroupId = seeded.hostgroupIds.get('mco')!;
      app = await startJobApp({ dataSource: db.dataSource, proxies: clients });
    });

    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    it('stores the per-host results mco rpc --json reports when running rexcheck echo', async () => {
      const { job, hosts } = await runJob(app, { namespace: 'rexcheck', action: 'echo', arguments: { message: 'same as mco' }, targeting: { hostgroup_id: hostgroupId }, timeout: 20 });
      expect(job.state).toBe('succeeded');
      expect(hosts).toHaveLength(10);
      const mco = await mcoRpc(fleet, 'rexcheck', 'echo', { message: 'same as mco' }, fleet.identities);
      expect(mco).toHaveLength(10);
      expect(byHost(hosts)).toEqual(byMcoSender(mco));
    });

    it('stores the per-host results mco rpc --json reports when running rpcutil get_fact', async () => {
      const { job, hosts } = await runJob(app, { namespace: 'rpcutil', action: 'get_fact', arguments: { fact: 'osfamily' }, targeting: { hostgroup_id: hostgroupId }, timeout: 20 });
      expect(job.state).toBe('succeeded');
      expect(byHost(hosts)).toEqual(byMcoSender(await mcoRpc(fleet, 'rpcutil', 'get_fact', { fact: 'osfamily' }, fleet.identities)));
    });

    it('stores the failures mco rpc --json reports when the action fails on every host', async () => {
      const { job, hosts } = await runJob(app, { namespace: 'rexcheck', action: 'reject', arguments: { reason: 'invalid' }, targeting: { hostgroup_id: hostgroupId }, timeout: 20 });
      expect(job.state).toBe('failed');
      expect(hosts.every((h) => h.state === 'failed' && h.statuscode === 4)).toBe(true);
      expect(byHost(hosts)).toEqual(byMcoSender(await mcoRpc(fleet, 'rexcheck', 'reject', { reason: 'invalid' }, fleet.identities)));
    });
  });

  it('cancels a running execution through gRPC, ending every host that has not answered cancelled', async () => {
    const events: ExecuteEvent__Output[] = [];
    const running = clients.execute(
      url,
      { execution_id: 'cancel-1', agent: 'rexcheck', action: 'delay', arguments_json: '{"seconds":5}', identities: fleet.identities, caller: 'test', timeout_seconds: 20 },
      (event) => events.push(event),
    );
    while (!events.some((e) => e.started)) await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    const outcome = await clients.cancel(url, 'cancel-1');
    await running;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(outcome).toEqual({ found: true, cancelled_hosts: 10 });
    const results = events.filter((e) => e.result).map((e) => e.result!);
    expect(results.map((r) => r.identity).sort()).toEqual([...fleet.identities].sort());
    expect(results.every((r) => r.state === 'HOST_STATE_CANCELLED')).toBe(true);
    expect(events[events.length - 1].summary).toMatchObject({ state: 'EXECUTION_STATE_CANCELLED', cancelled: 10 });
  });
});

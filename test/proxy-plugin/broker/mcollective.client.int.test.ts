/**
 * The MCollective transport against 10 real mcollectived daemons (Debian's MCollective 2.12 on a
 * private RabbitMQ with STOMP, psk security): directed rpcutil and custom-agent actions, discovery
 * with fact, identity, class and compound filters, the execution core's DDL check (nothing is
 * sent for a bad argument), a daemon stopped mid-test, and replies refused by the psk check.
 */
import fs from 'node:fs';
import path from 'node:path';

import { createAuditLog } from '@proxy/actions/audit';
import { createDdlRegistry, loadDdlDirectories } from '@proxy/actions/ddl-registry';
import { createExecutionRegistry, type Execution, type HostResultEvent, type SummaryEvent } from '@proxy/actions/executions';
import type { BrokerClient, NodeReply, RequestFilter } from '@proxy/broker/broker-client';
import { createMcollectiveClient, type McollectiveClient, type McollectiveClientOptions } from '@proxy/broker/mcollective.client';
import { silentLogger } from '@proxy/logger';
import { DEBIAN_AGENT_DDL_DIRECTORY, FLEET_AGENT_DIRECTORY, startMcollectiveFleet, type McollectiveFleet } from '@test/fleet/mcollective/mcollective-fleet';
import { startRogueNode } from '@test/fleet/mcollective/rogue-node';

const CALLERID = 'uid=rex';
/** Broadcast discovery waits this long for pongs: mco's own default, so a busy machine's slow daemon still counts. */
const DISCOVERY_MS = 2000;

function filter(overrides: Partial<RequestFilter> = {}): RequestFilter {
  return { fact: [], cf_class: [], identity: [], agent: [], compound: '', ...overrides };
}

function clientFor(fleet: McollectiveFleet, overrides: { psk?: string } = {}): McollectiveClient {
  return createMcollectiveClient({ ...optionsFor(fleet), ...overrides });
}

function optionsFor(fleet: McollectiveFleet): McollectiveClientOptions {
  return {
    host: fleet.host,
    port: fleet.stompPort,
    user: fleet.user,
    password: fleet.password,
    vhost: fleet.vhost,
    flavour: 'rabbitmq',
    psk: fleet.psk,
    collectives: [fleet.collective],
    mainCollective: fleet.collective,
    callerid: CALLERID,
    senderid: 'rex-proxy.mco.test',
  };
}

async function directed(client: BrokerClient, identities: string[], agent: string, action: string, data: Record<string, unknown> = {}, timeoutMs = 5000) {
  const replies: NodeReply[] = [];
  const started = Date.now();
  const result = await client.callDirected({
    request: { agent, action, data, collective: 'mcollective', callerid: CALLERID, ttlSeconds: 60 },
    identities,
    onReply: (reply) => replies.push(reply),
    signal: new AbortController().signal,
    timeoutMs,
  });
  return { result, replies, elapsedMs: Date.now() - started, byIdentity: new Map(replies.map((r) => [r.identity, r])) };
}

function finished(execution: Execution): Promise<{ results: HostResultEvent[]; summary: SummaryEvent }> {
  return execution.done.then(() => ({
    results: execution.events.filter((e): e is HostResultEvent => e.kind === 'result'),
    summary: execution.events.find((e): e is SummaryEvent => e.kind === 'summary')!,
  }));
}

describe(createMcollectiveClient.name, () => {
  let fleet: McollectiveFleet;
  let client: McollectiveClient;
  /** Counts what reaches the broker, to prove a refused request sent nothing. */
  const sent = { discover: 0, callDirected: 0 };
  let counted: BrokerClient;

  beforeAll(async () => {
    fleet = await startMcollectiveFleet({ count: 10 });
    client = clientFor(fleet);
    await client.connect();
    counted = {
      ...client,
      discover: (...args) => {
        sent.discover++;
        return client.discover(...args);
      },
      callDirected: (call) => {
        sent.callDirected++;
        return client.callDirected(call);
      },
    };
  }, 180_000);

  afterAll(async () => {
    await client?.close();
    await fleet?.stop();
  }, 60_000);

  function registry() {
    const ddls = createDdlRegistry(loadDdlDirectories([DEBIAN_AGENT_DDL_DIRECTORY, FLEET_AGENT_DIRECTORY]).agents);
    return createExecutionRegistry({
      broker: counted,
      ddls,
      audit: createAuditLog({ sender: 'rex-proxy.mco.test', sink: () => undefined }),
      logger: silentLogger(),
      callerid: CALLERID,
      collectives: ['mcollective'],
      mainCollective: 'mcollective',
      defaultDiscoveryTimeoutMs: DISCOVERY_MS,
      retentionMs: 60_000,
      maxRetained: 100,
    });
  }

  it('answers rpcutil ping from all 10 daemons when sending directed requests, without waiting for the timeout', async () => {
    const { result, replies, elapsedMs } = await directed(client, fleet.identities, 'rpcutil', 'ping', {}, 10_000);
    expect(result.silent).toEqual([]);
    expect(result.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(replies.map((r) => r.identity).sort()).toEqual([...fleet.identities].sort());
    for (const reply of replies) {
      expect(reply).toMatchObject({ statuscode: 0, statusmsg: 'OK' });
      expect(Math.abs((reply.data.pong as number) - Date.now() / 1000)).toBeLessThan(60);
    }
    expect(elapsedMs).toBeLessThan(5000);
  });

  it('returns each node its own fact when calling rpcutil get_fact', async () => {
    const { byIdentity } = await directed(client, fleet.identities, 'rpcutil', 'get_fact', { fact: 'hostgroup' });
    for (const node of fleet.nodes) expect(byIdentity.get(node.identity)?.data).toEqual({ fact: 'hostgroup', value: node.role });
  });

  it('lists facts, classes, agents and collectives of every daemon when taking the inventory', async () => {
    const nodes = await client.inventory('mcollective', DISCOVERY_MS);
    expect(nodes.map((n) => n.identity).sort()).toEqual([...fleet.identities].sort());
    for (const node of fleet.nodes) {
      const found = nodes.find((n) => n.identity === node.identity)!;
      expect(found.facts).toEqual(node.facts);
      expect(found.classes).toEqual(node.classes);
      expect(found.agents).toEqual(expect.arrayContaining(['rpcutil', 'rexcheck', 'discovery']));
      expect(found.collectives).toEqual(['mcollective']);
    }
  });

  it('runs the custom rexcheck agent with string, boolean, integer and float inputs', async () => {
    const echo = await directed(client, fleet.identities.slice(0, 3), 'rexcheck', 'echo', { message: 'hello rex', shout: true });
    for (const identity of fleet.identities.slice(0, 3)) expect(echo.byIdentity.get(identity)?.data).toEqual({ message: 'HELLO REX', length: 9, identity });
    // A whole number for a float input must still arrive as a Ruby Float, or Integer * Float differs.
    const multiply = await directed(client, [fleet.identities[0]], 'rexcheck', 'multiply', { value: 7, factor: 1.5 });
    expect(multiply.replies[0].data).toEqual({ product: 10.5 });
    const uptime = await directed(client, [fleet.identities[1]], 'rexcheck', 'uptime');
    expect(uptime.replies[0].data.role).toBe(fleet.nodes[1].role);
    expect(typeof uptime.replies[0].data.seconds).toBe('number');
  });

  it('reports the statuscode and message of an action that fails on the node', async () => {
    const aborted = await directed(client, [fleet.identities[0]], 'rexcheck', 'reject', { reason: 'aborted' });
    expect(aborted.replies[0]).toMatchObject({ statuscode: 1, statusmsg: 'rexcheck was asked to abort', data: { reason: 'aborted' } });
    const invalid = await directed(client, [fleet.identities[0]], 'rexcheck', 'reject', { reason: 'invalid' });
    expect(invalid.replies[0]).toMatchObject({ statuscode: 4, statusmsg: 'rexcheck was asked to fail as invalid data' });
  });

  it('discovers only the nodes whose fact matches when filtering by fact', async () => {
    const found = await client.discover(filter({ fact: [{ fact: 'hostgroup', operator: '==', value: 'web' }] }), 'mcollective', DISCOVERY_MS);
    expect(found.sort()).toEqual(fleet.nodes.filter((n) => n.role === 'web').map((n) => n.identity).sort());
    const redhat = await client.discover(filter({ fact: [{ fact: 'osfamily', operator: '=~', value: '/^Red/' }] }), 'mcollective', DISCOVERY_MS);
    expect(redhat.sort()).toEqual(fleet.nodes.filter((n) => n.facts.osfamily === 'RedHat').map((n) => n.identity).sort());
  });

  it('discovers only the named nodes when filtering by identity, exact or as a regex', async () => {
    expect(await client.discover(filter({ identity: [fleet.identities[2]] }), 'mcollective', DISCOVERY_MS)).toEqual([fleet.identities[2]]);
    const found = await client.discover(filter({ identity: ['/^db-/'] }), 'mcollective', DISCOVERY_MS);
    expect(found.sort()).toEqual(fleet.identities.filter((id) => id.startsWith('db-')).sort());
  });

  it('discovers by class, agent and compound expression when the daemons evaluate them', async () => {
    const apps = await client.discover(filter({ cf_class: ['role::app'], agent: ['rexcheck'] }), 'mcollective', DISCOVERY_MS);
    expect(apps.sort()).toEqual(fleet.nodes.filter((n) => n.role === 'app').map((n) => n.identity).sort());
    const compound = await client.discover(filter({ compound: 'hostgroup=web or (hostgroup=db and not osfamily=Debian)' }), 'mcollective', DISCOVERY_MS);
    const expected = fleet.nodes.filter((n) => n.role === 'web' || (n.role === 'db' && n.facts.osfamily !== 'Debian')).map((n) => n.identity);
    expect(compound.sort()).toEqual(expected.sort());
  });

  it('runs on the discovered nodes only when an execution names a fact filter instead of identities', async () => {
    const execution = registry().execute({
      executionId: 'filter-1',
      agent: 'rpcutil',
      action: 'get_fact',
      arguments: { fact: 'datacenter' },
      identities: [],
      filter: filter({ fact: [{ fact: 'datacenter', operator: '==', value: 'dc2' }] }),
      timeoutSeconds: 5,
      batchSize: 0,
      batchSleepMs: 0,
      caller: 'test',
      collective: '',
      discoveryTimeoutMs: DISCOVERY_MS,
    });
    const { results, summary } = await finished(execution);
    const dc2 = fleet.nodes.filter((n) => n.facts.datacenter === 'dc2').map((n) => n.identity);
    expect(dc2.length).toBeGreaterThan(0);
    expect(results.map((r) => r.identity).sort()).toEqual(dc2.sort());
    expect(results.every((r) => r.state === 'SUCCEEDED' && JSON.parse(r.dataJson).value === 'dc2')).toBe(true);
    expect(summary).toMatchObject({ state: 'COMPLETED', expected: dc2.length, succeeded: dc2.length });
  });

  it('refuses an argument that fails the Ruby DDL before anything reaches the broker', () => {
    const before = { ...sent };
    const stats = client.stats();
    const run = () =>
      registry().execute({
        executionId: 'bad-1',
        agent: 'rpcutil',
        action: 'get_fact',
        arguments: { fact: 'os;reboot' },
        identities: fleet.identities,
        timeoutSeconds: 5,
        batchSize: 0,
        batchSleepMs: 0,
        caller: 'test',
        collective: '',
        discoveryTimeoutMs: 0,
      });
    expect(run).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { input: 'fact', rule: 'regex' } }));
    expect(sent).toEqual(before);
    expect(client.stats()).toEqual(stats);
    const logs = fleet.identities.map((id) => fs.readFileSync(path.join(fleet.dir, 'nodes', id, 'mcollectived.log'), 'utf8')).join('\n');
    expect(logs).not.toContain('os;reboot');
  });

  it('refuses a compound filter MCollective could not parse before anything reaches the broker', () => {
    const before = { ...sent };
    expect(() =>
      registry().execute({
        executionId: 'bad-2',
        agent: 'rpcutil',
        action: 'ping',
        arguments: {},
        identities: [],
        filter: filter({ compound: 'hostgroup=web or' }),
        timeoutSeconds: 5,
        batchSize: 0,
        batchSleepMs: 0,
        caller: 'test',
        collective: '',
        discoveryTimeoutMs: 0,
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { input: 'filter.compound', rule: 'compound' } }));
    expect(sent).toEqual(before);
  });

  it('drops a reply whose body was changed after the psk hash was taken, and accepts an untouched one', async () => {
    const tampered = await startRogueNode(fleet, { identity: 'forged.mco.test', tamper: true, data: { pong: 1 } });
    const honest = await startRogueNode(fleet, { identity: 'relayed.mco.test', tamper: false, data: { pong: 2 } });
    try {
      const before = client.stats();
      const { result, byIdentity } = await directed(client, ['forged.mco.test', 'relayed.mco.test', fleet.identities[0]], 'rpcutil', 'ping', {}, 1500);
      expect(tampered.received()).toBe(1);
      expect(byIdentity.has('forged.mco.test')).toBe(false);
      expect(result.silent).toEqual(['forged.mco.test']);
      expect(byIdentity.get('relayed.mco.test')?.data).toEqual({ pong: 2 });
      expect(byIdentity.get(fleet.identities[0])?.statuscode).toBe(0);
      expect(client.stats().repliesRejected - before.repliesRejected).toBe(1);
    } finally {
      await tampered.stop();
      await honest.stop();
    }
  });

  it('fails to connect with a message naming the broker but not the password when the broker refuses the login', async () => {
    const refused = createMcollectiveClient({ ...optionsFor(fleet), password: 'wrong-password-123' });
    const failure = await refused.connect().then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(/^broker unreachable: stomp:\/\/127\.0\.0\.1:\d+\/mcollective \(rabbitmq\): /);
    expect(failure?.message).not.toContain('wrong-password-123');
    expect(refused.isConnected()).toBe(false);
  });

  it('gets no reply at all when the proxy holds another psk, because the daemons refuse the request', async () => {
    const stranger = clientFor(fleet, { psk: 'not-the-fleet-psk' });
    await stranger.connect();
    try {
      const { result } = await directed(stranger, fleet.identities.slice(0, 2), 'rpcutil', 'ping', {}, 1500);
      expect(result.silent.sort()).toEqual(fleet.identities.slice(0, 2).sort());
    } finally {
      await stranger.close();
    }
  });

  it('ends a host no_response when its daemon was stopped mid-test, while the others succeed', async () => {
    const victim = fleet.identities[4];
    await fleet.stopNode(victim);
    const execution = registry().execute({
      executionId: 'stopped-1',
      agent: 'rpcutil',
      action: 'ping',
      arguments: {},
      identities: fleet.identities,
      timeoutSeconds: 2,
      batchSize: 0,
      batchSleepMs: 0,
      caller: 'test',
      collective: '',
      discoveryTimeoutMs: 0,
    });
    const { results, summary } = await finished(execution);
    expect(results.find((r) => r.identity === victim)).toMatchObject({ state: 'NO_RESPONSE', statuscode: -1 });
    expect(results.filter((r) => r.state === 'SUCCEEDED').map((r) => r.identity).sort()).toEqual(fleet.identities.filter((id) => id !== victim).sort());
    expect(summary).toMatchObject({ state: 'COMPLETED', expected: 10, succeeded: 9, noResponse: 1 });
  });
});

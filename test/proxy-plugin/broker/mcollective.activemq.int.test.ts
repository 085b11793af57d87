/**
 * The MCollective transport with the activemq connector conventions (topics per agent, the shared
 * nodes queue with an mc_identity selector, a reply queue of our own) against a real ActiveMQ
 * 5.17 broker and 4 real mcollectived daemons whose connector is activemq. The RabbitMQ fleet
 * (mcollective.client.int.test.ts) covers the protocol in depth; this covers the destinations.
 */
import type { NodeReply, RequestFilter } from '@proxy/broker/broker-client';
import { createMcollectiveClient, type McollectiveClient } from '@proxy/broker/mcollective.client';
import { startMcollectiveFleet, type McollectiveFleet } from '@test/fleet/mcollective/mcollective-fleet';

/** Broadcast discovery waits this long for pongs: mco's own default, so a busy machine's slow daemon still counts. */
const DISCOVERY_MS = 2000;

function filter(overrides: Partial<RequestFilter> = {}): RequestFilter {
  return { fact: [], cf_class: [], identity: [], agent: [], compound: '', ...overrides };
}

function clientFor(fleet: McollectiveFleet, psk = fleet.psk): McollectiveClient {
  return createMcollectiveClient({
    host: fleet.host,
    port: fleet.stompPort,
    user: fleet.user,
    password: fleet.password,
    // The proxy's default vhost setting; ActiveMQ ignores the STOMP host header.
    vhost: fleet.vhost,
    flavour: 'activemq',
    psk,
    collectives: [fleet.collective],
    mainCollective: fleet.collective,
    callerid: 'uid=rex',
    senderid: 'rex-proxy.mco.test',
  });
}

async function directed(client: McollectiveClient, identities: string[], agent: string, action: string, data: Record<string, unknown> = {}, timeoutMs = 5000) {
  const replies: NodeReply[] = [];
  const result = await client.callDirected({
    request: { agent, action, data, collective: 'mcollective', callerid: 'uid=rex', ttlSeconds: 60 },
    identities,
    onReply: (reply) => replies.push(reply),
    signal: new AbortController().signal,
    timeoutMs,
  });
  return { result, byIdentity: new Map(replies.map((r) => [r.identity, r])) };
}

describe(`${createMcollectiveClient.name} on ActiveMQ`, () => {
  let fleet: McollectiveFleet;
  let client: McollectiveClient;

  beforeAll(async () => {
    fleet = await startMcollectiveFleet({ count: 4, broker: 'activemq' });
    client = clientFor(fleet);
    await client.connect();
  }, 180_000);

  afterAll(async () => {
    await client?.close();
    await fleet?.stop();
  }, 60_000);

  it('reaches each named daemon through the nodes queue and reports an unknown identity silent', async () => {
    const { result, byIdentity } = await directed(client, [...fleet.identities, 'ghost.mco.test'], 'rexcheck', 'echo', { message: 'via activemq' }, 1500);
    expect(result.silent).toEqual(['ghost.mco.test']);
    for (const identity of fleet.identities) expect(byIdentity.get(identity)?.data).toEqual({ message: 'via activemq', length: 12, identity });
  });

  it('sends a request to one daemon only, not to every subscriber of the nodes queue', async () => {
    const { byIdentity } = await directed(client, [fleet.identities[1]], 'rpcutil', 'get_fact', { fact: 'hostgroup' });
    expect([...byIdentity.keys()]).toEqual([fleet.identities[1]]);
    expect(byIdentity.get(fleet.identities[1])?.data).toEqual({ fact: 'hostgroup', value: fleet.nodes[1].role });
  });

  it('discovers through the agent topic with fact and identity filters', async () => {
    const redhat = await client.discover(filter({ fact: [{ fact: 'osfamily', operator: '==', value: 'RedHat' }] }), 'mcollective', DISCOVERY_MS);
    expect(redhat.sort()).toEqual(fleet.nodes.filter((n) => n.facts.osfamily === 'RedHat').map((n) => n.identity).sort());
    expect(await client.discover(filter({ identity: [fleet.identities[3]] }), 'mcollective', DISCOVERY_MS)).toEqual([fleet.identities[3]]);
  });

  it('takes the inventory of every daemon', async () => {
    const nodes = await client.inventory('mcollective', DISCOVERY_MS);
    expect(nodes.map((n) => n.identity).sort()).toEqual([...fleet.identities].sort());
    expect(nodes.find((n) => n.identity === fleet.identities[0])?.facts).toEqual(fleet.nodes[0].facts);
  });

  it('gets no reply when the psk differs, because the daemons refuse the request', async () => {
    const stranger = clientFor(fleet, 'not-the-fleet-psk');
    await stranger.connect();
    try {
      const { result } = await directed(stranger, fleet.identities.slice(0, 2), 'rpcutil', 'ping', {}, 1500);
      expect(result.silent.sort()).toEqual(fleet.identities.slice(0, 2).sort());
    } finally {
      await stranger.close();
    }
  });
});

/**
 * STOMP over TLS (#26 item 6) against real mcollectived daemons, on RabbitMQ and on ActiveMQ. Each
 * broker listens with a certificate of a throwaway CA (test/support/pki.ts); the daemons and the
 * real `mco` connect only there, in MCollective's verified SSL mode, and so does this client, which
 * checks the broker's certificate against the CA. A client trusting another CA is refused in the
 * handshake, naming the broker; a pool whose first member is down fails over to the TLS broker.
 */
import net from 'node:net';
import fs from 'node:fs';

import os from 'node:os';
import path from 'node:path';

import type { NodeReply } from '@proxy/broker/broker-client';
import { silentLogger } from '@server/logger';
import { createProxyClients } from '@server/proxies/proxy-client';
import { createMcollectiveClient, type McollectiveClient, type McollectiveClientOptions } from '@proxy/broker/mcollective.client';
import { startMcollectiveFleet, type FleetBroker, type McollectiveFleet } from '@test/fleet/mcollective/mcollective-fleet';
import { startMcollectiveProxy, waitBrokerConnected } from '@test/fleet/mcollective/mcollective-proxy';
import { makePki, type TestPki } from '@test/support/pki';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

function clientFor(fleet: McollectiveFleet, overrides: Partial<McollectiveClientOptions> = {}): McollectiveClient {
  const tls = fleet.tls!;
  return createMcollectiveClient({
    host: '127.0.0.1',
    port: tls.ports[0],
    tls: { caPem: fs.readFileSync(tls.ca, 'utf8'), certPem: fs.readFileSync(tls.cert, 'utf8'), keyPem: fs.readFileSync(tls.key, 'utf8') },
    user: fleet.user,
    password: fleet.password,
    vhost: fleet.vhost,
    flavour: fleet.connector,
    psk: fleet.psk,
    collectives: [fleet.collective],
    mainCollective: fleet.collective,
    callerid: 'uid=rex',
    senderid: 'rex-proxy-tls.mco.test',
    ...overrides,
  });
}

/** A loopback port nobody listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function echo(client: McollectiveClient, identities: string[]) {
  const replies: NodeReply[] = [];
  const result = await client.callDirected({
    request: { agent: 'rexcheck', action: 'echo', data: { message: 'over tls' }, collective: 'mcollective', callerid: 'uid=rex', ttlSeconds: 60 },
    identities,
    onReply: (reply) => replies.push(reply),
    signal: new AbortController().signal,
    timeoutMs: 5000,
  });
  return { result, byIdentity: new Map(replies.map((r) => [r.identity, r])) };
}

describe.each<FleetBroker>(['rabbitmq', 'activemq'])('the MCollective transport over STOMP with TLS on %s', (broker) => {
  let fleet: McollectiveFleet;
  let client: McollectiveClient | undefined;
  let otherPki: TestPki | undefined;

  beforeAll(async () => {
    fleet = await startMcollectiveFleet({ count: 3, broker, tls: true });
  }, 240_000);

  afterAll(async () => {
    await client?.close();
    otherPki?.cleanup();
    await fleet?.stop();
  }, 60_000);

  it('runs an action on every daemon, all of them connected with TLS, and discovers them', async () => {
    client = clientFor(fleet);
    await client.connect();
    expect(client.displayUrl).toBe(`stomp+ssl://127.0.0.1:${fleet.tls!.ports[0]}${broker === 'rabbitmq' ? fleet.vhost : ''} (${broker})`);
    expect(client.currentServer?.()).toBe(`127.0.0.1:${fleet.tls!.ports[0]}`);
    const { result, byIdentity } = await echo(client, fleet.identities);
    expect(result.silent).toEqual([]);
    for (const identity of fleet.identities) expect(byIdentity.get(identity)).toMatchObject({ statuscode: 0, data: { message: 'over tls', length: 8, identity } });
    const found = await client.discover({ fact: [], cf_class: [], identity: [], agent: ['rexcheck'], compound: '' }, 'mcollective', 2000);
    expect(found.sort()).toEqual([...fleet.identities].sort());
    // The daemons are on the TLS listener only: their config names no plain port.
    for (const node of fleet.nodes) {
      const cfg = fs.readFileSync(`${fleet.dir}/nodes/${node.identity}/server.cfg`, 'utf8');
      expect(cfg).toContain(`plugin.${broker}.pool.1.port = ${fleet.tls!.ports[0]}`);
      expect(cfg).toContain(`plugin.${broker}.pool.1.ssl = 1`);
    }
  });

  it('fails over from a pool member that is down to the TLS broker', async () => {
    const down = await closedPort();
    const pooled = clientFor(fleet, { senderid: 'rex-proxy-pool.mco.test', pool: [{ host: '127.0.0.1', port: down }, { host: '127.0.0.1', port: fleet.tls!.ports[0] }] });
    try {
      await pooled.connect();
      expect(pooled.currentServer?.()).toBe(`127.0.0.1:${fleet.tls!.ports[0]}`);
      expect((await echo(pooled, fleet.identities.slice(0, 1))).result.silent).toEqual([]);
    } finally {
      await pooled.close();
    }
  });

  it('serves the daemons through the real proxy configured by env: TLS files and a pool with a broker down first', async () => {
    const auditDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-mco-tls-audit-'));
    const tls = fleet.tls!;
    const proxy = await startMcollectiveProxy(fleet, {
      name: `tls-${broker}`,
      auditFile: path.join(auditDir, 'audit.log'),
      env: {
        PROXY_PLUGIN_MCOLLECTIVE_HOST: '',
        PROXY_PLUGIN_MCOLLECTIVE_PORT: '',
        PROXY_PLUGIN_MCOLLECTIVE_POOL: `127.0.0.1:${await closedPort()},127.0.0.1:${tls.ports[0]}`,
        PROXY_PLUGIN_MCOLLECTIVE_TLS: 'true',
        PROXY_PLUGIN_MCOLLECTIVE_TLS_CA_FILE: tls.ca,
        PROXY_PLUGIN_MCOLLECTIVE_TLS_CERT_FILE: tls.cert,
        PROXY_PLUGIN_MCOLLECTIVE_TLS_KEY_FILE: tls.key,
      },
    });
    const clients = createProxyClients({ deadlineMs: 10_000, logger: silentLogger(), plaintextLoopback: true, callerSecret: TEST_PROXY_SECRET });
    try {
      const url = `127.0.0.1:${proxy.port}`;
      await waitBrokerConnected(clients, url);
      const nodes = await clients.listNodes(url);
      expect(nodes.map((n) => n.identity).sort()).toEqual([...fleet.identities].sort());
    } finally {
      clients.close();
      await proxy.stop();
      fs.rmSync(auditDir, { recursive: true, force: true });
    }
  });

  it('refuses a broker whose certificate another CA signed, naming the broker', async () => {
    otherPki = makePki('rex-mco-other-');
    const stranger = clientFor(fleet, { senderid: 'rex-proxy-stranger.mco.test', tls: { caPem: fs.readFileSync(otherPki.ca, 'utf8') } });
    try {
      // Node's reason for a certificate it cannot chain to a trusted CA.
      await expect(stranger.connect()).rejects.toThrow(new RegExp(`^broker unreachable: stomp\\+ssl://127\\.0\\.0\\.1:${fleet.tls!.ports[0]}.*: (self-signed certificate in certificate chain|unable to verify the first certificate|unable to get local issuer certificate)$`));
      expect(stranger.isConnected()).toBe(false);
    } finally {
      await stranger.close();
    }
  });
});

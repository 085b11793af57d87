import type { BrokerClient, NodeReply, RequestFilter } from '@proxy/broker/broker-client';
import { createDemoClient } from '@proxy/broker/demo.client';

const COLLECTIVE = 'mcollective';

function emptyFilter(overrides: Partial<RequestFilter> = {}): RequestFilter {
  return { fact: [], cf_class: [], identity: [], agent: [], compound: '', ...overrides };
}

async function aConnectedClient(nodeCount = 24): Promise<BrokerClient> {
  const client = createDemoClient({ name: 'puppet1', nodeCount, identityPrefix: 'demo-', seed: 3 });
  await client.connect();
  return client;
}

function call(client: BrokerClient, identities: string[], agent: string, action: string, data: Record<string, unknown> = {}, timeoutMs = 1000) {
  const replies: NodeReply[] = [];
  return client
    .callDirected({
      request: { agent, action, data, collective: COLLECTIVE, callerid: 'choria=rex.mcollective', ttlSeconds: 60 },
      identities,
      onReply: (r) => replies.push(r),
      signal: new AbortController().signal,
      timeoutMs,
    })
    .then((result) => ({ result, replies }));
}

describe(createDemoClient.name, () => {
  it('does not double the demo domain when the proxy name already ends in .demo', async () => {
    const client = createDemoClient({ name: 'puppet-a.demo', nodeCount: 2, identityPrefix: 'node-a', seed: 3 });
    await client.connect();
    expect((await client.inventory(COLLECTIVE, 1000)).map((n) => n.identity)).toEqual(['node-a00001.puppet-a.demo', 'node-a00002.puppet-a.demo']);
  });

  it('labels every node as demo and gives it realistic facts when asked for inventory', async () => {
    const nodes = await (await aConnectedClient()).inventory(COLLECTIVE, 1000);
    expect(nodes).toHaveLength(24);
    for (const node of nodes) {
      expect(node.identity).toMatch(/^demo-\d{5}\.puppet1\.demo$/);
      expect(node.facts).toMatchObject({ rex_demo: 'true', kernel: 'Linux', fqdn: node.identity });
      expect(['Debian', 'RedHat']).toContain(node.facts['os::family']);
      expect(node.facts.osfamily).toBe(node.facts['os::family']);
      expect(node.classes).toContain('profile::base');
    }
  });

  it('builds the same fleet when given the same seed', async () => {
    const a = await (await aConnectedClient()).inventory(COLLECTIVE, 1000);
    const b = await (await aConnectedClient()).inventory(COLLECTIVE, 1000);
    expect(a).toEqual(b);
  });

  it('discovers exactly the nodes whose facts match when filtering', async () => {
    const client = await aConnectedClient();
    const inventory = await client.inventory(COLLECTIVE, 1000);
    const found = await client.discover(emptyFilter({ fact: [{ fact: 'os.family', operator: '==', value: 'RedHat' }] }), COLLECTIVE, 1000);
    const expected = inventory.filter((n) => n.facts['os::family'] === 'RedHat').map((n) => n.identity);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(24);
    expect(found.sort()).toEqual(expected.sort());
  });

  it('resolves with every reply and no silent node when all targets answer', async () => {
    const client = await aConnectedClient();
    const ids = (await client.inventory(COLLECTIVE, 1000)).map((n) => n.identity);
    const { result, replies } = await call(client, ids, 'rpcutil', 'ping');
    expect(result.silent).toEqual([]);
    expect(result.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(replies.map((r) => r.identity).sort()).toEqual([...ids].sort());
  });

  it('passes statuscode 2 through when the action is unknown', async () => {
    const client = await aConnectedClient(1);
    const { replies } = await call(client, ['demo-00001.puppet1.demo'], 'service', 'explode');
    expect(replies).toEqual([expect.objectContaining({ statuscode: 2, statusmsg: 'Unknown action explode for agent service' })]);
  });

  it('reports an unknown identity as silent once the timeout passes', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const client = await aConnectedClient(2);
      let settled = false;
      const pending = call(client, ['demo-00001.puppet1.demo', 'ghost.puppet1.demo'], 'rpcutil', 'ping', {}, 5000).then((r) => {
        settled = true;
        return r;
      });
      await new Promise((r) => setImmediate(r));
      await jest.advanceTimersByTimeAsync(4999);
      expect(settled).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      const { result, replies } = await pending;
      expect(result.silent).toEqual(['ghost.puppet1.demo']);
      expect(replies.map((r) => r.identity)).toEqual(['demo-00001.puppet1.demo']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses calls when not connected', async () => {
    const client = createDemoClient({ name: 'p', nodeCount: 1, identityPrefix: 'd-', seed: 1 });
    expect(client.isConnected()).toBe(false);
    await expect(client.discover(emptyFilter(), COLLECTIVE, 10)).rejects.toThrow('not connected');
  });
});

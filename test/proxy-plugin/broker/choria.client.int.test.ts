import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { connect, type NatsConnection } from 'nats';

import type { BrokerClient, NodeReply, RequestFilter } from '@proxy/broker/broker-client';
import { createChoriaClient, type ChoriaClientOptions } from '@proxy/broker/choria.client';
import { md5Hex, newRequestId } from '@proxy/broker/choria/protocol';
import { buildNodeProfiles } from '@proxy/broker/fleet/node-profiles';
import type { VirtualNodeOptions } from '@proxy/broker/fleet/virtual-node';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { compileProtocolValidators } from '@test/fleet/protocol-schemas';

const NATS_URL = process.env.PROXY_PLUGIN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const CALLERID = 'choria=rex.mcollective';
const certs = join(__dirname, '..', '..', 'fleet', 'certs');
const certPem = readFileSync(join(certs, 'rex.mcollective.pem'), 'utf8');
const keyPem = readFileSync(join(certs, 'rex.mcollective.key'), 'utf8');

/** Other engineers share this NATS server: a private collective keeps our traffic apart. */
function aCollective(): string {
  return `rextest${newRequestId().slice(0, 10)}`;
}

async function requireNats(): Promise<void> {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 2000, maxReconnectAttempts: 0 });
    await nc.close();
  } catch (cause) {
    // Never skipped, in CI or not: the acceptance criteria depend on the real broker.
    throw new Error(`NATS is not reachable at ${NATS_URL}; start nats-server on 127.0.0.1:4222 (see README). ${(cause as Error).message}`);
  }
}

function emptyFilter(overrides: Partial<RequestFilter> = {}): RequestFilter {
  return { fact: [], cf_class: [], identity: [], agent: [], compound: '', ...overrides };
}

const SEED = 42;
const profiles: VirtualNodeOptions[] = buildNodeProfiles({ count: 40, identityPrefix: 'node-', domain: 'example.net', seed: SEED });
const SILENT = [profiles[3].identity, profiles[17].identity];
const answering = profiles.filter((p) => !SILENT.includes(p.identity));

function clientOptions(collective: string, overrides: Partial<ChoriaClientOptions> = {}): ChoriaClientOptions {
  return {
    natsUrl: NATS_URL,
    collectives: [collective],
    mainCollective: collective,
    callerid: CALLERID,
    senderid: 'proxy1.example.net',
    security: { mode: 'insecure' },
    ...overrides,
  };
}

function directed(client: BrokerClient, collective: string, identities: string[], action: string, opts: { agent?: string; data?: Record<string, unknown>; timeoutMs?: number; signal?: AbortSignal } = {}) {
  const replies: NodeReply[] = [];
  const started = Date.now();
  return client
    .callDirected({
      request: { agent: opts.agent ?? 'rpcutil', action, data: opts.data ?? {}, collective, callerid: CALLERID, ttlSeconds: 60 },
      identities,
      onReply: (r) => replies.push(r),
      signal: opts.signal ?? new AbortController().signal,
      timeoutMs: opts.timeoutMs ?? 3000,
    })
    .then((result) => ({ result, replies, elapsedMs: Date.now() - started }));
}

describe(createChoriaClient.name, () => {
  const collective = aCollective();
  let fleet: ChoriaFleet;
  let client: BrokerClient;

  beforeAll(async () => {
    await requireNats();
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, count: profiles.length, collective, nodes: profiles, silentIdentities: SILENT, seed: SEED });
    client = createChoriaClient(clientOptions(collective));
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await fleet?.stop();
  });

  it('reports itself connected with a credential-free URL when connected', () => {
    expect(client.isConnected()).toBe(true);
    expect(client.kind).toBe('choria');
    const withCreds = createChoriaClient(clientOptions(collective, { natsUrl: 'nats://user:secret@127.0.0.1:4222' }));
    expect(withCreds.displayUrl).not.toContain('secret');
  });

  it('discovers every answering node when broadcasting an empty filter', async () => {
    const found = await client.discover(emptyFilter(), collective, 500);
    expect(found.sort()).toEqual(answering.map((p) => p.identity).sort());
  });

  it('discovers only matching nodes when filtering by fact', async () => {
    const found = await client.discover(emptyFilter({ fact: [{ fact: 'os.family', operator: '==', value: 'RedHat' }] }), collective, 500);
    const expected = answering.filter((p) => p.facts.osfamily === 'RedHat').map((p) => p.identity);
    expect(expected.length).toBeGreaterThan(0);
    expect(found.sort()).toEqual(expected.sort());
  });

  it('discovers only matching nodes when filtering by class and agent', async () => {
    const found = await client.discover(emptyFilter({ cf_class: ['roles::db'], agent: ['package'] }), collective, 500);
    const expected = answering.filter((p) => p.classes.includes('roles::db')).map((p) => p.identity);
    expect(expected.length).toBeGreaterThan(0);
    expect(found.sort()).toEqual(expected.sort());
  });

  it('discovers only matching nodes when filtering by identity regex', async () => {
    const found = await client.discover(emptyFilter({ identity: ['/^node-0000[1-5]\\./'] }), collective, 500);
    expect(found.sort()).toEqual(answering.filter((p) => /^node-0000[1-5]\./.test(p.identity)).map((p) => p.identity).sort());
  });

  it('resolves as soon as every expected node replied when all answer', async () => {
    const ids = answering.map((p) => p.identity);
    const { result, replies, elapsedMs } = await directed(client, collective, ids, 'ping', { timeoutMs: 10_000 });
    expect(result.silent).toEqual([]);
    expect(result.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(replies.map((r) => r.identity).sort()).toEqual([...ids].sort());
    expect(replies.every((r) => r.statuscode === 0 && typeof r.data.pong === 'number')).toBe(true);
    expect(elapsedMs).toBeLessThan(2000);
  });

  it('asks only the given subset when called with some identities', async () => {
    const subset = answering.slice(5, 12).map((p) => p.identity);
    const before = fleet.stats.replied;
    const { result, replies } = await directed(client, collective, subset, 'status', { agent: 'package', data: { package: 'bash' } });
    expect(result.silent).toEqual([]);
    expect(replies.map((r) => r.identity).sort()).toEqual([...subset].sort());
    expect(replies.every((r) => r.statuscode === 0 && r.data.ensure === '5.2.15-2')).toBe(true);
    expect(fleet.stats.replied - before).toBe(subset.length);
  });

  it('passes statuscode 2 through when the action is unknown', async () => {
    const { replies } = await directed(client, collective, [answering[0].identity], 'no_such_action');
    expect(replies).toEqual([expect.objectContaining({ statuscode: 2, statusmsg: 'Unknown action no_such_action for agent rpcutil' })]);
  });

  it('passes statuscode 4 through when the data is invalid', async () => {
    const { replies } = await directed(client, collective, [answering[0].identity], 'install', { agent: 'package', data: { package: 'x; rm -rf /' } });
    expect(replies).toEqual([expect.objectContaining({ statuscode: 4 })]);
  });

  it('reports silent nodes at the timeout while the others replied early', async () => {
    const ids = [...answering.slice(0, 6).map((p) => p.identity), ...SILENT];
    const { result, replies, elapsedMs } = await directed(client, collective, ids, 'ping', { timeoutMs: 800 });
    expect(result.silent.sort()).toEqual([...SILENT].sort());
    expect(replies).toHaveLength(6);
    expect(elapsedMs).toBeGreaterThanOrEqual(800);
    expect(Math.max(...replies.map((r) => r.receivedAtMs)) - result.publishedAtMs).toBeLessThan(500);
  });

  it('reports a node that does not exist as silent', async () => {
    const { result } = await directed(client, collective, ['ghost.example.net', answering[0].identity], 'ping', { timeoutMs: 300 });
    expect(result.silent).toEqual(['ghost.example.net']);
  });

  it('resolves right away when aborted while waiting', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const { result, elapsedMs } = await directed(client, collective, [...SILENT, answering[0].identity], 'ping', { timeoutMs: 10_000, signal: controller.signal });
    expect(elapsedMs).toBeLessThan(1000);
    expect(result.silent.sort()).toEqual([...SILENT].sort());
  });

  it('publishes nothing when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const before = fleet.stats.received;
    const { result } = await directed(client, collective, [answering[0].identity], 'ping', { signal: controller.signal });
    expect(result.silent).toEqual([answering[0].identity]);
    await new Promise((r) => setTimeout(r, 100));
    expect(fleet.stats.received).toBe(before);
  });

  it('refuses a collective it is not configured for', async () => {
    await expect(directed(client, 'elsewhere', [answering[0].identity], 'ping')).rejects.toThrow('collective elsewhere is not configured');
  });

  it('returns flattened facts, classes and agents when asked for inventory', async () => {
    const nodes = await client.inventory(collective, 500);
    expect(nodes.map((n) => n.identity).sort()).toEqual(answering.map((p) => p.identity).sort());
    const node = nodes.find((n) => n.identity === answering[0].identity);
    const profile = answering[0];
    expect(node?.facts['os::family']).toBe((profile.facts.os as { family: string }).family);
    expect(node?.facts.processorcount).toBe(String(profile.facts.processorcount));
    expect(node?.classes).toEqual(profile.classes);
    expect(node?.agents).toEqual(['discovery', 'rpcutil', 'package', 'service', 'puppet']);
    expect(node?.collectives).toEqual([collective]);
  });

  it('never had a request dropped by the fleet schema checks', () => {
    expect(fleet.stats.lastErrors).toEqual([]);
    expect(fleet.stats.invalid).toBe(0);
    expect(fleet.stats.badSignature).toBe(0);
  });
});

describe('choria client x509 mode', () => {
  const collective = aCollective();
  let fleet: ChoriaFleet;

  beforeAll(async () => {
    await requireNats();
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, count: 5, collective, identityPrefix: 'signed-', allowInsecure: false });
  });

  afterAll(async () => {
    await fleet?.stop();
  });

  it('gets replies from nodes that verify signatures when it signs', async () => {
    const client = createChoriaClient(clientOptions(collective, { security: { mode: 'x509', certPem, keyPem } }));
    await client.connect();
    try {
      const { result, replies } = await directed(client, collective, fleet.identities, 'ping');
      expect(result.silent).toEqual([]);
      expect(replies).toHaveLength(5);
    } finally {
      await client.close();
    }
  });

  it('is dropped by nodes that refuse insecure requests when it does not sign', async () => {
    const client = createChoriaClient(clientOptions(collective));
    await client.connect();
    const before = fleet.stats.badSignature;
    try {
      const { result } = await directed(client, collective, fleet.identities, 'ping', { timeoutMs: 300 });
      expect(result.silent.sort()).toEqual([...fleet.identities].sort());
      expect(fleet.stats.badSignature - before).toBe(5);
    } finally {
      await client.close();
    }
  });
});

describe('choria client traffic on the wire', () => {
  const collective = aCollective();
  let fleet: ChoriaFleet;
  let spy: NatsConnection;
  const captured: Array<{ subject: string; data: string }> = [];

  beforeAll(async () => {
    await requireNats();
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, count: 6, collective, identityPrefix: 'wire-', silentIdentities: ['wire-00006'] });
    spy = await connect({ servers: NATS_URL });
    spy.subscribe(`${collective}.>`, { callback: (_err, msg) => captured.push({ subject: msg.subject, data: new TextDecoder().decode(msg.data) }) });
    await spy.flush();
  });

  afterAll(async () => {
    await spy?.close();
    await fleet?.stop();
  });

  it('publishes only messages that validate against the official schemas at every layer', async () => {
    const validators = compileProtocolValidators();
    for (const security of [{ mode: 'insecure' as const }, { mode: 'x509' as const, certPem, keyPem }]) {
      const client = createChoriaClient(clientOptions(collective, { security }));
      await client.connect();
      try {
        await client.discover(emptyFilter({ fact: [{ fact: 'kernel', operator: '==', value: 'Linux' }], cf_class: ['profile::base'], compound: "with('profile::base')" }), collective, 300);
        await directed(client, collective, fleet.identities, 'status', { agent: 'service', data: { service: 'sshd' }, timeoutMs: 300 });
        await client.inventory(collective, 300);
      } finally {
        await client.close();
      }
    }
    await spy.flush();

    const requests = captured.filter((m) => !m.subject.startsWith(`${collective}.reply.`));
    const replies = captured.filter((m) => m.subject.startsWith(`${collective}.reply.`));
    expect(requests.length).toBeGreaterThanOrEqual(2 * (1 + 6 + 1 + 5));
    expect(replies.length).toBeGreaterThan(0);

    const requestIdsBySubject = new Map<string, string>();
    for (const m of requests) {
      expect(m.subject).toMatch(new RegExp(`^${collective}\\.(node\\.wire-\\d{5}|broadcast\\.agent\\.discovery)$`));
      const transport = JSON.parse(m.data);
      expect(validators.transport(transport)).toBe(true);
      const secure = JSON.parse(Buffer.from(transport.data, 'base64').toString('utf8'));
      expect(validators.secureRequest(secure)).toBe(true);
      const request = JSON.parse(secure.message);
      expect({ request: validators.request(request), errors: validators.request.errors }).toEqual({ request: true, errors: null });
      expect(request.envelope.requestid).toMatch(/^[0-9a-f]{32}$/);
      expect(request.envelope.ttl).toBeGreaterThanOrEqual(30);
      expect(Math.abs(request.envelope.time - Date.now() / 1000)).toBeLessThan(60);
      expect(transport.headers['reply-to']).toBe(`${collective}.reply.${md5Hex(CALLERID)}.${request.envelope.requestid}`);
      requestIdsBySubject.set(`${request.envelope.requestid}|${m.subject}`, secure.signature);
    }
    // Sign once: every directed copy of one request carries the same signature.
    const signaturesPerRequest = new Map<string, Set<string>>();
    for (const [key, signature] of requestIdsBySubject) {
      const id = key.split('|')[0];
      signaturesPerRequest.set(id, (signaturesPerRequest.get(id) ?? new Set()).add(signature));
    }
    for (const signatures of signaturesPerRequest.values()) expect(signatures.size).toBe(1);

    for (const m of replies) {
      const transport = JSON.parse(m.data);
      expect(validators.transport(transport)).toBe(true);
      const secure = JSON.parse(Buffer.from(transport.data, 'base64').toString('utf8'));
      expect(validators.secureReply(secure)).toBe(true);
      expect(validators.reply(JSON.parse(secure.message))).toBe(true);
    }
    expect(fleet.stats.invalid).toBe(0);
  });
});

describe('choria client against a slow and partly failing fleet', () => {
  const collective = aCollective();
  let fleet: ChoriaFleet;
  let client: BrokerClient;

  beforeAll(async () => {
    await requireNats();
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, count: 30, collective, identityPrefix: 'slow-', latencyMs: 150, failureRate: 0.5, seed: 9 });
    client = createChoriaClient(clientOptions(collective));
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await fleet?.stop();
  });

  it('waits for the node latency but not for the timeout when every node answers', async () => {
    const { result, replies, elapsedMs } = await directed(client, collective, fleet.identities, 'ping', { timeoutMs: 5000 });
    expect(result.silent).toEqual([]);
    expect(replies).toHaveLength(30);
    expect(elapsedMs).toBeGreaterThanOrEqual(150);
    expect(elapsedMs).toBeLessThan(1500);
  });

  it('passes statuscodes 1 and 5 of failing nodes through', async () => {
    const { replies } = await directed(client, collective, fleet.identities, 'status', { agent: 'puppet' });
    const failing = fleet.identities.filter((id) => fleet.nodes.get(id)?.failing);
    expect(failing.length).toBeGreaterThan(0);
    expect(replies.filter((r) => r.statuscode !== 0).map((r) => r.identity).sort()).toEqual(failing.sort());
    expect(new Set(replies.filter((r) => r.statuscode !== 0).map((r) => r.statuscode))).toEqual(new Set([1, 5]));
  });
});

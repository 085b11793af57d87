import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { connect, type NatsConnection } from 'nats';

import { createChoriaClient } from '@proxy/broker/choria.client';
import { newRequestId } from '@proxy/broker/choria/protocol';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';

// RSA PKCS#1 v1.5 signatures are deterministic, so identical bytes on the wire cannot prove that the
// client signed once; counting the calls can.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, sign: jest.fn(actual.sign) };
});
// Imported after jest.mock, to make the wrapped sign visible.
import { sign } from 'node:crypto';

const NATS_URL = process.env.PROXY_PLUGIN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const certs = join(__dirname, '..', '..', 'fleet', 'certs');

describe('choria client signing', () => {
  const collective = `rextest${newRequestId().slice(0, 10)}`;
  let fleet: ChoriaFleet;
  let spy: NatsConnection;
  const payloads: string[] = [];

  beforeAll(async () => {
    try {
      spy = await connect({ servers: NATS_URL, timeout: 2000, maxReconnectAttempts: 0 });
    } catch (cause) {
      throw new Error(`NATS is not reachable at ${NATS_URL}: ${(cause as Error).message}`);
    }
    spy.subscribe(`${collective}.node.>`, { callback: (_e, m) => payloads.push(Buffer.from(m.data).toString('utf8')) });
    await spy.flush();
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, count: 200, collective, identityPrefix: 'sig-', allowInsecure: false });
  });

  afterAll(async () => {
    await spy?.close();
    await fleet?.stop();
  });

  it('signs once and sends the same bytes to every target when calling 200 nodes', async () => {
    const client = createChoriaClient({
      natsUrl: NATS_URL,
      collectives: [collective],
      mainCollective: collective,
      callerid: 'choria=rex.mcollective',
      senderid: 'proxy.example.net',
      security: { mode: 'x509', certPem: readFileSync(join(certs, 'rex.mcollective.pem'), 'utf8'), keyPem: readFileSync(join(certs, 'rex.mcollective.key'), 'utf8') },
    });
    await client.connect();
    try {
      (sign as jest.Mock).mockClear();
      let replies = 0;
      const result = await client.callDirected({
        request: { agent: 'rpcutil', action: 'ping', data: {}, collective, callerid: 'choria=rex.mcollective', ttlSeconds: 60 },
        identities: fleet.identities,
        onReply: () => replies++,
        signal: new AbortController().signal,
        timeoutMs: 5000,
      });
      expect(result.silent).toEqual([]);
      expect(replies).toBe(200);
      expect(sign).toHaveBeenCalledTimes(1);
      await spy.flush();
      expect(payloads).toHaveLength(200);
      expect(new Set(payloads).size).toBe(1);
    } finally {
      await client.close();
    }
  });
});

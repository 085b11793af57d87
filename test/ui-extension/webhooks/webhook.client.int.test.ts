/**
 * Webhook deliveries never reach a link-local address (the cloud metadata services), whatever a name
 * resolves to when the delivery connects: the dispatcher, the real client and a real receiver on
 * loopback, over both databases. Names are resolved by an injected resolver, not DNS: no DNS server
 * is reachable here, and a test cannot make a real name answer 169.254.169.254 (or change its answer
 * between two deliveries, as DNS rebinding does).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { createLogger } from '@server/logger';
import { createSendWebhook } from '@server/webhooks/webhook.client';
import { createWebhookDispatcher } from '@server/webhooks/webhook-dispatcher';
import { createWebhookRepository } from '@server/webhooks/webhook.repository';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

jest.setTimeout(60_000);

describe.each(testDatabases())('webhook deliveries and link-local addresses on $kind', (database) => {
  let db: OpenTestDataSource;
  let server: Server;
  let port: number;
  let received: string[];
  /** What each name resolves to, now; a test changes it between deliveries. */
  let names: Record<string, LookupAddress[]>;
  const now = new Date('2026-03-01T10:00:00Z');
  const logger = createLogger({ level: 'silent' });
  const send = createSendWebhook({ resolve: async (host) => names[host] ?? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })) });

  /** One webhook at `url` with one pending delivery, sent by one tick; returns its log entry. */
  async function deliverOnce(name: string, url: string) {
    const repo = createWebhookRepository(db.dataSource);
    const webhookId = await repo.create({ name, url, secret: 'a-webhook-secret-of-length', events: ['job_succeeded'], enabled: true, now });
    await repo.enqueue({ webhookId, deliveryUuid: `${name}-delivery`, event: 'job_succeeded', jobId: null, payload: JSON.stringify({ event: 'job_succeeded', name }), now });
    const dispatcher = createWebhookDispatcher({ repo, send, clock: () => now, logger, config: { poll_interval_ms: 60_000, timeout_ms: 5000, max_attempts: 3, retry_base_ms: 1000 } });
    await dispatcher.tick();
    const [entry] = (await repo.deliveries(webhookId, 1, 10)).results;
    return entry;
  }

  beforeAll(async () => {
    db = await openTestDataSource(database);
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        received.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await db?.close();
  });

  beforeEach(() => {
    received = [];
    names = {};
  });

  it('refuses a delivery to a name that resolves to 169.254.169.254, with the reason in the log, and sends nothing', async () => {
    names['metadata.test'] = [{ address: '169.254.169.254', family: 4 }];
    const entry = await deliverOnce('metadata', `http://metadata.test:${port}/hooks`);
    expect(entry).toMatchObject({ state: 'pending', attempts: 1, lastStatusCode: null, lastError: 'refused: metadata.test resolves to 169.254.169.254, a link-local or cloud metadata address' });
    expect(received).toEqual([]);
  });

  it('sends nothing to a name with a loopback and a link-local address, though the loopback one answers', async () => {
    names['mixed.test'] = [{ address: '127.0.0.1', family: 4 }, { address: '::ffff:169.254.169.254', family: 6 }];
    const entry = await deliverOnce('mixed', `http://mixed.test:${port}/hooks`);
    expect(entry.lastError).toBe('refused: mixed.test resolves to ::ffff:169.254.169.254, a link-local or cloud metadata address');
    expect(received).toEqual([]);
  });

  it('refuses a stored URL that names a link-local address itself, which the route refuses now', async () => {
    const entry = await deliverOnce('literal', 'http://[::ffff:a9fe:a9fe]/latest/meta-data/');
    expect(entry.lastError).toBe('refused: [::ffff:a9fe:a9fe] is a link-local or cloud metadata address');
  });

  it('delivers to a loopback receiver by name, and resolves again at the next delivery (a rebound name is refused)', async () => {
    names['receiver.test'] = [{ address: '127.0.0.1', family: 4 }];
    const first = await deliverOnce('receiver', `http://receiver.test:${port}/hooks`);
    expect(first).toMatchObject({ state: 'delivered', lastStatusCode: 200, lastError: null });
    expect(received.map((b) => JSON.parse(b) as unknown)).toEqual([{ event: 'job_succeeded', name: 'receiver' }]);

    names['receiver.test'] = [{ address: '169.254.169.254', family: 4 }];
    const second = await deliverOnce('rebound', `http://receiver.test:${port}/hooks`);
    expect(second.lastError).toBe('refused: receiver.test resolves to 169.254.169.254, a link-local or cloud metadata address');
    expect(received).toHaveLength(1);
  });
});

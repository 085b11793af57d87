/**
 * The Foreman client reads an answer only up to foreman.max_answer_bytes, against loopback servers
 * that answer too much: a body that grows past the cap (endless, or merely large), and one whose
 * Content-Length says so up front. Each fails with an error naming the URL (never its user:pass@)
 * and the cap, and the connection is closed, so the server stops sending. The whole answer must
 * arrive within foreman.timeout_ms: a trickle of bytes does not reset it.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '@server/errors';
import { createForemanClient, type ForemanClient } from '@server/foreman/foreman.client';

jest.setTimeout(30_000);

const CAP = 64 * 1024;
const page = (results: unknown[]) => JSON.stringify({ total: results.length, subtotal: results.length, page: 1, per_page: 250, results });

describe(createForemanClient.name, () => {
  let server: Server;
  let base: string;
  let client: ForemanClient;
  /** How the next request is answered. */
  let answer: (res: ServerResponse) => void;
  /** Bytes the server wrote before its client went away, per request. */
  let written: number[];

  beforeAll(async () => {
    server = createServer((_req, res) => answer(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = createForemanClient({ url: base, login: 'rex-sync', token: 'pat', timeoutMs: 10_000, maxAnswerBytes: CAP });
  });

  afterAll(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    written = [];
  });

  /** Chunked JSON that never ends: 16 KiB at a time until the client closes the connection. */
  const endless = (res: ServerResponse) => {
    let n = 0;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"subtotal": 1, "page": 1, "per_page": 250, "results": [');
    const chunk = `${'"web.example.com",'.repeat(1024)}`;
    const push = () => {
      if (res.destroyed || res.writableEnded) return void written.push(n);
      n += chunk.length;
      res.write(chunk, () => setImmediate(push));
    };
    res.on('close', () => written.push(n));
    push();
  };

  it('fails naming the URL and the cap when an answer grows past the cap, and closes the connection', async () => {
    answer = endless;
    const error = await client.hostgroups().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'FAILED_PRECONDITION', message: `Foreman's answer to ${base}/api/v2/hostgroups?page=1&per_page=250 is larger than foreman.max_answer_bytes (65536 bytes); lower foreman.per_page or raise the cap` });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The server was stopped by the closed connection, not by reaching an end: a few chunks past the cap at most.
    expect(written.length).toBeGreaterThan(0);
    expect(written[0]).toBeLessThan(CAP + 16 * 64 * 1024);
  });

  it('fails when a complete answer is larger than the cap', async () => {
    const big = page(Array.from({ length: 5000 }, (_, i) => ({ id: i, title: `group-${i}` })));
    expect(big.length).toBeGreaterThan(CAP);
    answer = (res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(big);
    await expect(client.hostgroups()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('larger than foreman.max_answer_bytes') as unknown as string });
  });

  it('fails before reading when the Content-Length is above the cap', async () => {
    answer = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(CAP + 1) });
      res.write('{');
    };
    await expect(client.hostgroups()).rejects.toMatchObject({ message: expect.stringContaining(`${base}/api/v2/hostgroups?page=1&per_page=250 is larger than foreman.max_answer_bytes`) as unknown as string });
  });

  it('reads an answer up to the cap', async () => {
    answer = (res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(page([{ id: 1, title: 'base' }]));
    await expect(client.hostgroups()).resolves.toEqual([{ id: 1, title: 'base' }]);
  });

  it('names the URL without its user name and password when an answer is larger than the cap', async () => {
    const secret = createForemanClient({ url: base.replace('http://', 'http://u:s3cret@'), login: 'rex-sync', token: 'pat', timeoutMs: 10_000, maxAnswerBytes: 16 });
    try {
      answer = (res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(page([{ id: 1, title: 'base' }]));
      await expect(secret.hostgroups()).rejects.toMatchObject({ message: `Foreman's answer to ${base}/api/v2/hostgroups?page=1&per_page=250 is larger than foreman.max_answer_bytes (16 bytes); lower foreman.per_page or raise the cap` });
    } finally {
      secret.close();
    }
  });

  it('fails with DEADLINE_EXCEEDED naming the URL and foreman.timeout_ms when the whole answer takes longer, though bytes keep coming', async () => {
    const slow = createForemanClient({ url: base.replace('http://', 'http://u:s3cret@'), login: 'rex-sync', token: 'pat', timeoutMs: 500 });
    try {
      // A byte every 100 ms, well within the 500 ms an idle timer would allow between bytes.
      answer = (res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{');
        const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write(' ')), 100);
      };
      const started = Date.now();
      await expect(slow.hostgroups()).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', message: `Foreman gave no complete answer to ${base}/api/v2/hostgroups?page=1&per_page=250 within 500 ms (foreman.timeout_ms)` });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      slow.close();
    }
  });
});

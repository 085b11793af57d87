/**
 * The PuppetDB client reads an answer only up to puppetdb.max_answer_bytes (the Foreman client's
 * cap, the same helper), against a loopback server answering PuppetDB's shapes: an endless answer
 * and one with a Content-Length above the cap fail naming the URL and the cap; a small one is read.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPuppetDbClient, type PuppetDbClient } from '@server/puppetdb/puppetdb.client';

jest.setTimeout(30_000);

const CAP = 64 * 1024;

describe(createPuppetDbClient.name, () => {
  let server: Server;
  let base: string;
  let client: PuppetDbClient;
  let answer: (res: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = createPuppetDbClient({ url: base, timeoutMs: 10_000, maxAnswerBytes: CAP });
  });

  afterAll(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const tooLarge = () => `PuppetDB's answer to ${base}/pdb/query/v4 is larger than puppetdb.max_answer_bytes (65536 bytes); narrow the query or raise the cap`;

  it('fails naming the URL and the cap when an answer grows past the cap', async () => {
    answer = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('[');
      const chunk = '{"certname": "web.example.com"},'.repeat(512);
      const push = () => {
        if (!res.destroyed) res.write(chunk, () => setImmediate(push));
      };
      push();
    };
    await expect(client.certnames('nodes { }')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: tooLarge() });
  });

  it('fails before reading when the Content-Length is above the cap', async () => {
    answer = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(CAP + 1) });
      res.write('[');
    };
    await expect(client.query('nodes { }')).rejects.toMatchObject({ message: tooLarge() });
  });

  it('reads an answer up to the cap', async () => {
    answer = (res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('[{"certname": "web1.example.com"}, {"certname": "db1.example.com"}]');
    await expect(client.certnames('nodes { }')).resolves.toEqual(['db1.example.com', 'web1.example.com']);
  });
});

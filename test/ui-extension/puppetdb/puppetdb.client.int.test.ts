/**
 * The PuppetDB client bounds each query, against a loopback server answering PuppetDB's shapes: the
 * answer is read only up to puppetdb.max_answer_bytes (the Foreman client's cap, the same helper),
 * an endless answer and one with a Content-Length above the cap fail naming the URL and the cap;
 * the whole answer must arrive within puppetdb.timeout_ms (a trickle does not reset it), which is
 * also sent to PuppetDB as its `timeout` parameter unless PuppetDB (before 7.13) refuses it.
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
  let answer: (res: ServerResponse, body: { query: string; timeout?: unknown }) => void;
  let bodies: unknown[];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (text += c));
      req.on('end', () => {
        const body = JSON.parse(text) as { query: string; timeout?: unknown };
        bodies.push(body);
        answer(res, body);
      });
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

  beforeEach(() => {
    bodies = [];
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

  it('sends puppetdb.timeout_ms to PuppetDB as its timeout parameter, in whole seconds', async () => {
    answer = (res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('[]');
    await client.query('nodes { }');
    expect(bodies).toEqual([{ query: 'nodes { }', timeout: 10 }]);
  });

  it('asks again without timeout when PuppetDB refuses the parameter (before 7.13), and does not send it again', async () => {
    const old = createPuppetDbClient({ url: base, timeoutMs: 2500 });
    try {
      // What PuppetDB 7.12.1 answers, recorded (puppetlabs/puppetdb/http/query.clj, validate-query-params).
      answer = (res, body) => (body.timeout === undefined ? res.writeHead(200, { 'Content-Type': 'application/json' }).end('[{"certname": "web1.example.com"}]') : res.writeHead(400, { 'Content-Type': 'text/plain;charset=utf-8' }).end("Unsupported query parameter 'timeout'"));
      await expect(old.certnames('nodes { }')).resolves.toEqual(['web1.example.com']);
      await expect(old.certnames('nodes { }')).resolves.toEqual(['web1.example.com']);
      expect(bodies).toEqual([{ query: 'nodes { }', timeout: 3 }, { query: 'nodes { }' }, { query: 'nodes { }' }]);
    } finally {
      old.close();
    }
  });

  it('fails with DEADLINE_EXCEEDED naming the URL when the whole answer takes longer than puppetdb.timeout_ms, though bytes keep coming', async () => {
    const slow = createPuppetDbClient({ url: base, timeoutMs: 500 });
    try {
      answer = (res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('[');
        const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write(' ')), 50);
      };
      const started = Date.now();
      await expect(slow.query('nodes { }')).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', message: `PuppetDB gave no complete answer to ${base}/pdb/query/v4 within 500 ms (puppetdb.timeout_ms)` });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      slow.close();
    }
  });

  it('keeps sending timeout when a 400 only echoes the words in a query PuppetDB cannot parse', async () => {
    const echoing = createPuppetDbClient({ url: base, timeoutMs: 2500 });
    const pql = `nodes { certname = "query parameter 'timeout" (`;
    try {
      // PuppetDB 7.12.1's answer to that query, recorded: a parse error repeats the query's text.
      const parseError = `PQL parse error at line 1, column 47:\n\n${pql}\n                                              ^\n\nExpected one of:\n\n}\n`;
      answer = (res, body) => (body.query === pql ? res.writeHead(400, { 'Content-Type': 'text/plain;charset=utf-8' }).end(parseError) : res.writeHead(200, { 'Content-Type': 'application/json' }).end('[]'));
      await expect(echoing.query(pql)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('PQL parse error') as unknown as string });
      await echoing.query('nodes { }');
      expect(bodies).toEqual([{ query: pql, timeout: 3 }, { query: 'nodes { }', timeout: 3 }]);
    } finally {
      echoing.close();
    }
  });

  describe('with a user name and password in its URL', () => {
    let secret: PuppetDbClient;
    let withUser: string;
    beforeAll(() => {
      withUser = base.replace('http://', 'http://u:s3cret@');
      secret = createPuppetDbClient({ url: withUser, timeoutMs: 300, maxAnswerBytes: 16 });
    });
    afterAll(() => secret.close());

    it('names the URL without them when an answer is larger than the cap', async () => {
      answer = (res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(`[${'"x",'.repeat(20)}"x"]`);
      await expect(secret.query('nodes { }')).rejects.toMatchObject({ message: `PuppetDB's answer to ${base}/pdb/query/v4 is larger than puppetdb.max_answer_bytes (16 bytes); narrow the query or raise the cap` });
    });

    it('names the URL without them when the deadline runs out', async () => {
      answer = () => undefined;
      await expect(secret.query('nodes { }')).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', message: `PuppetDB gave no complete answer to ${base}/pdb/query/v4 within 300 ms (puppetdb.timeout_ms)` });
    });
  });

  it('fails with DEADLINE_EXCEEDED when PuppetDB does not answer at all', async () => {
    const slow = createPuppetDbClient({ url: base, timeoutMs: 300 });
    try {
      answer = () => undefined;
      await expect(slow.query('nodes { }')).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    } finally {
      slow.close();
    }
  });
});

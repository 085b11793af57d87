/**
 * A small loopback TCP balancer for the two-instance test: each incoming connection goes to the next
 * backend in turn; a backend that refuses the connection (killed) is skipped, as a real balancer's
 * health check would do. It records which backend served each connection.
 */
import http from 'node:http';
import net from 'node:net';

export interface Backend {
  name: string;
  port: number;
}

export interface Balancer {
  url: string;
  /** Backend name per accepted connection, in order. */
  served: string[];
  /** The backend that served the connection from this client port. */
  servedBy(clientPort: number): string | undefined;
  close(): Promise<void>;
}

export function startBalancer(backends: Backend[]): Promise<Balancer> {
  let next = 0;
  const served: string[] = [];
  const byClientPort = new Map<number, string>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const connect = (tries: number) => {
      const backend = backends[next++ % backends.length];
      const upstream = net.connect(backend.port, '127.0.0.1');
      sockets.add(upstream);
      upstream.once('close', () => sockets.delete(upstream));
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        served.push(backend.name);
        byClientPort.set(client.remotePort!, backend.name);
        upstream.once('close', () => client.destroy());
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', () => {
        if (connected) client.destroy();
        else if (tries + 1 < backends.length) connect(tries + 1);
        else client.destroy();
      });
    };
    connect(0);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        served,
        servedBy: (clientPort) => byClientPort.get(clientPort),
        close: () => new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

/**
 * One HTTP request on a connection of its own (no keep-alive), so that consecutive requests through
 * the balancer go to alternating instances. Resolves status, parsed body and the local port (for `servedBy`).
 */
export function request(base: string, method: string, pathAndQuery: string, auth: string, body?: unknown, timeoutMs = 60_000): Promise<{ status: number; body: unknown; clientPort: number }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${pathAndQuery}`, {
      method,
      agent: false,
      timeout: timeoutMs,
      headers: { authorization: auth, connection: 'close', ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}) },
    }, (res) => {
      const clientPort = res.socket.localPort ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown, clientPort });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text, clientPort });
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${pathAndQuery}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

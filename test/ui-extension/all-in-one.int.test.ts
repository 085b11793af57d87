/**
 * `npm start` (ui-extension/src/server/all-in-one.ts) as a real process tree, from the sources:
 * it gives its demo proxies a throwaway caller secret they then require, it ends them however it
 * ends itself (SIGKILL included), and it refuses to say "running" when one of them could not take
 * its port (issue 24: an orphan of an earlier start held it, and the UI talked to the orphan).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadProxyProto } from '@protos/load';
import { startProcess, type Proc } from '@test/faults/support/processes';
import { portForLaterListen } from '@test/support/ports';
import { withCallerSecret } from '@test/support/proxy-secret';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.cjs');
const ALL_IN_ONE = path.join(ROOT, 'ui-extension', 'src', 'server', 'all-in-one.ts');
const PASSWORD = 'all-in-one-password';

interface Started {
  proc: Proc;
  dir: string;
  ports: [number, number];
}

/** The demo inventory with its two demo proxies moved to free ports, and a private SQLite file. */
async function startAllInOne(ports?: [number, number], env: Record<string, string> = {}, entry: string[] = ['-r', REGISTER, ALL_IN_ONE]): Promise<Started> {
  const chosen: [number, number] = ports ?? [await portForLaterListen(), await portForLaterListen()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-all-in-one-'));
  const inventory = fs.readFileSync(path.join(ROOT, 'ui-extension', 'demo', 'inventory.yaml'), 'utf8').replace('127.0.0.1:50051', `127.0.0.1:${chosen[0]}`).replace('127.0.0.1:50052', `127.0.0.1:${chosen[1]}`);
  fs.writeFileSync(path.join(dir, 'inventory.yaml'), inventory);
  const proc = startProcess('all-in-one', process.execPath, entry, {
    UI_EXTENSION_DEMO_INVENTORY_FILE: path.join(dir, 'inventory.yaml'),
    UI_EXTENSION_PORT: '0',
    UI_EXTENSION_SQLITE_PATH: path.join(dir, 'db.sqlite'),
    UI_EXTENSION_ADMIN_PASSWORD: PASSWORD,
    UI_EXTENSION_ADMIN_PASSWORD_FILE: path.join(dir, 'pw'),
    UI_EXTENSION_LOG_LEVEL: 'info',
    ...env,
  });
  return { proc, dir, ports: chosen };
}

function getInfo(port: number, interceptors: grpc.Interceptor[] = []): Promise<{ name: string }> {
  const client = new (loadProxyProto().rex.proxy.v1.ProxyService)(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { interceptors });
  return new Promise<{ name: string }>((resolve, reject) => client.GetInfo({}, { deadline: Date.now() + 10_000 }, (error, value) => (error ? reject(error) : resolve(value as { name: string })))).finally(() => client.close());
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

describe('the all-in-one start', () => {
  const dirs: string[] = [];

  it('starts from the build, as npm start runs it, and serves its demo hosts', async () => {
    // The other cases run the sources; the build is tsc's CommonJS, which once failed at start
    // where the sources did not (a parameter named exports shadowed the module's exports).
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    const { proc, dir } = await startAllInOne(undefined, {}, [path.join(ROOT, 'dist', 'ui-extension', 'src', 'server', 'all-in-one.js')]);
    dirs.push(dir);
    try {
      const running = await proc.waitForLine((line) => line.includes('mco-rex is running') || line.includes('failed to start'), 150_000);
      expect(running).toContain('mco-rex is running');
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(running)![1];
      const hosts = await fetch(`${url}/api/v2/hosts?per_page=1`, { headers: { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` } });
      expect(((await hosts.json()) as { total: number }).total).toBe(60);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await proc.kill('SIGTERM');
    }
  }, 400_000);

  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives its demo proxies a throwaway secret they require, and they end when it is killed with SIGKILL', async () => {
    const { proc, dir, ports } = await startAllInOne();
    dirs.push(dir);
    const running = await proc.waitForLine((line) => line.includes('mco-rex is running'), 150_000);
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(running)![1];
    const children = proc.lines.filter((line) => line.includes('"msg":"demo proxy started"')).map((line) => JSON.parse(line) as { proxy: string; port: number; pid: number });
    expect(children.map((c) => c.port).sort()).toEqual([...ports].sort());

    // The sync reached both proxies through the secret: the 60 demo nodes are hosts now.
    const hosts = await fetch(`${url}/api/v2/hosts?per_page=1`, { headers: { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` } });
    expect(((await hosts.json()) as { total: number }).total).toBe(60);

    // Each child was handed the same secret, made for this start, and never printed.
    const secrets = children.map((c) => /(?:^|\0)PROXY_PLUGIN_GRPC_CALLER_SECRET=([^\0]*)/.exec(fs.readFileSync(`/proc/${c.pid}/environ`, 'utf8'))?.[1]);
    expect(secrets[0]).toMatch(/^[\w-]{43}$/);
    expect(secrets[1]).toBe(secrets[0]);
    expect(proc.lines.join('\n')).not.toContain(secrets[0]!);
    for (const port of ports) {
      await expect(getInfo(port)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      await expect(getInfo(port, [withCallerSecret('a-guess-that-is-long-enough-to-be-a-secret')])).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      await expect(getInfo(port, [withCallerSecret(secrets[0])])).resolves.toMatchObject({ name: expect.stringMatching(/^puppet-[ab]\.demo$/) });
    }

    await proc.kill('SIGKILL');
    const gone = await waitUntil('demo proxies ended after their parent was SIGKILLed', () => children.every((c) => !alive(c.pid)), 20_000);
    for (const port of ports) expect(await listening(port)).toBe(false);
    process.stdout.write(`all-in-one: demo proxies gone ${gone} ms after SIGKILL of their parent\n`);
  });

  it('exits non-zero naming the port and the setting, says nothing is running, and leaves no proxy behind when a port is taken', async () => {
    const taken = net.createServer();
    const ports: [number, number] = [await portForLaterListen(), await portForLaterListen()];
    await new Promise<void>((resolve) => taken.listen(ports[0], '127.0.0.1', () => resolve()));
    try {
      const { proc, dir } = await startAllInOne(ports);
      dirs.push(dir);
      expect(await Promise.race([proc.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 150_000))])).toBe(1);
      const output = proc.lines.join('\n');
      expect(output).toContain(`mco-rex failed to start: demo proxy puppet-a.demo did not start on 127.0.0.1:${ports[0]}`);
      expect(output).toContain('EADDRINUSE');
      expect(output).toContain('demo.inventory_file, env UI_EXTENSION_DEMO_INVENTORY_FILE');
      expect(output).toContain('demo.proxy_ports: auto, env UI_EXTENSION_DEMO_PROXY_PORTS=auto');
      expect(output).not.toContain('mco-rex is running');
      // The other demo proxy had started (or was starting): it must not live on as an orphan.
      await waitUntil(`nothing left listening on ${ports[1]}`, async () => !(await listening(ports[1])), 20_000);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('starts beside another checkout when its demo proxies take free ports (demo.proxy_ports: auto), printing them and pointing the demo smart proxies at them', async () => {
    // Both ports of its inventory are held, as by another checkout's `npm start`.
    const ports: [number, number] = [await portForLaterListen(), await portForLaterListen()];
    const sockets: net.Socket[] = [];
    const held = await Promise.all(ports.map((port) => new Promise<net.Server>((resolve) => {
      // Accepts and keeps connections as a live process would (the proxy monitor of the starting
      // instance tries the stored URLs before they are moved); they are cut when the test ends.
      const server = net.createServer((socket) => sockets.push(socket));
      server.listen(port, '127.0.0.1', () => resolve(server));
    })));
    try {
      const { proc, dir } = await startAllInOne(ports, { UI_EXTENSION_DEMO_PROXY_PORTS: 'auto' });
      dirs.push(dir);
      const running = await proc.waitForLine((line) => line.includes('mco-rex is running'), 150_000);
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(running)![1];
      const printed = await proc.waitForLine((line) => line.includes('Demo proxies:'), 10_000);
      const chosen = [...printed.matchAll(/(puppet-[ab]\.demo) on 127\.0\.0\.1:(\d+)/g)].map((m) => [m[1], Number(m[2])] as const);
      expect(chosen.map(([name]) => name)).toEqual(['puppet-a.demo', 'puppet-b.demo']);
      for (const [, port] of chosen) expect(ports).not.toContain(port);

      const auth = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
      const proxies = (await (await fetch(`${url}/api/v2/smart_proxies`, { headers: auth })).json()) as { results: Array<{ name: string; url: string }> };
      expect(proxies.results.map((p) => [p.name, p.url])).toEqual(chosen.map(([name, port]) => [name, `127.0.0.1:${port}`]));
      // The sync reached both proxies on their new ports: the 60 demo nodes are hosts.
      const hosts = (await (await fetch(`${url}/api/v2/hosts?per_page=1`, { headers: auth })).json()) as { total: number };
      expect(hosts.total).toBe(60);
      await proc.kill('SIGKILL');
    } finally {
      for (const socket of sockets) socket.destroy();
      for (const server of held) await new Promise((resolve) => server.close(resolve));
    }
  });
});

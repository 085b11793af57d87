import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@server/config';
import { silentLogger } from '@server/logger';
import { startServer } from '@server/server';
import { openTestDataSource, testDatabases } from '@test/support/databases';

function configFor(database: { type: 'sqlite' | 'mysql'; url?: string; sqlite_path: string }, dir: string, port = 0) {
  return loadConfig({
    env: {},
    overrides: {
      'http.port': port,
      'database.type': database.type,
      'database.url': database.url,
      'database.sqlite_path': database.sqlite_path,
      'admin.password_file': path.join(dir, 'initial-admin-password'),
      'proxies.sync_interval_s': 0,
    },
  });
}

describe.each(testDatabases())('startServer on $kind', (db) => {
  it('fails with EADDRINUSE naming the port when another process holds it', async () => {
    const scratch = await openTestDataSource(db);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-server-'));
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const port = (taken.address() as net.AddressInfo).port;
    const config = configFor(scratch.database, dir, port);
    try {
      // Before, listen's error reached the callback that resolved the server, and the start died on
      // "Cannot read properties of null (reading 'port')", the all-in-one's hint never shown.
      await expect(startServer({ config, logger: silentLogger(), migrate: false })).rejects.toMatchObject({ code: 'EADDRINUSE', message: expect.stringContaining(`127.0.0.1:${port}`) });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      await scratch.close();
    }
  });

  it('refuses to start when migrations are pending, naming the command to run', async () => {
    const scratch = await openTestDataSource(db, { migrate: false });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-server-'));
    try {
      await expect(startServer({ config: configFor(scratch.database, dir), logger: silentLogger(), migrate: false })).rejects.toThrow(/pending migration.*npm run db:migrate/);
    } finally {
      await scratch.close();
    }
  });

  it('serves status, creates admin with a 0600 password file, and accepts it over HTTP Basic', async () => {
    const scratch = await openTestDataSource(db, { migrate: false });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-server-'));
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const server = await startServer({ config: configFor(scratch.database, dir), logger: silentLogger(), migrate: true });
    write.mockRestore();
    try {
      const status = await fetch(`${server.url}/api/v2/status`);
      expect(status.status).toBe(200);
      const body = (await status.json()) as { database: { kind: string; reachable: boolean } };
      expect(body.database).toMatchObject({ kind: db.kind, reachable: true });

      const file = path.join(dir, 'initial-admin-password');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const password = fs.readFileSync(file, 'utf8').trim();
      const auth = (p: string) => ({ authorization: `Basic ${Buffer.from(`admin:${p}`).toString('base64')}` });
      expect((await fetch(`${server.url}/api/v2/hosts`, { headers: auth(password) })).status).toBe(200);
      const denied = await fetch(`${server.url}/api/v2/hosts`, { headers: auth('wrong-password') });
      expect(denied.status).toBe(401);
      expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
      const missing = await fetch(`${server.url}/api/v2/nothing-here`, { headers: auth(password) });
      expect(missing.status).toBe(404);
    } finally {
      await server.close();
      await scratch.close();
    }
  });
});

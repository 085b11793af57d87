/**
 * The progress bar on a real terminal: `rex job run --wait` inside a private tmux server (its own
 * socket, killed at the end) during a 2,000-host job on the real app, proxy-plugin and Choria
 * fleet. The pane is captured repeatedly while the job runs; the percentage must grow.
 * Needs tmux (Debian package tmux).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import request from 'supertest';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { createTestProxyClient, startTestProxy, type TestProxy } from '../jobs/support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp } from '../jobs/support/job-stack';
import { rexCommand } from './support/rex-process';

jest.setTimeout(240_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const HOSTS = 2000;
const exec = promisify(execFile);

describe('rex job run --wait on a terminal', () => {
  const prefix = `bar-${randomBytes(3).toString('hex')}-`;
  const socket = `rex-cli-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  let db: OpenTestDataSource;
  let fleet: ChoriaFleet;
  let proxy: TestProxy;
  let client: ProxyClients;
  let app: JobApp;
  let dir: string;
  const tmux = (...args: string[]) => exec('tmux', ['-L', socket, ...args]);

  beforeAll(async () => {
    db = await openTestDataSource(testDatabases().find((d) => d.kind === 'mysql')!);
    const collective = `rexbar${randomBytes(4).toString('hex')}`;
    // Every reply takes 150 ms and the job goes in batches of 100: about 20 rounds, a few seconds.
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: HOSTS, identityPrefix: prefix, seed: prefix, latencyMs: 150, failureRate: 0, subscription: 'wildcard' });
    proxy = await startTestProxy({ name: `${prefix}proxy`, natsUrl: NATS_URL, collective });
    client = createTestProxyClient();
    await seedInventory(db.dataSource, {
      hostgroups: [`${prefix}all`],
      proxies: [{ name: proxy.name, url: proxy.url, capabilities: ['remote_execution', 'choria'] }],
      hosts: fleet.identities.map((name) => ({ name, hostgroup: `${prefix}all`, proxy: proxy.name })),
    });
    app = await startJobApp({ dataSource: db.dataSource, proxies: client });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-tmux-'));
  });

  afterAll(async () => {
    await tmux('kill-server').catch(() => undefined);
    await app?.close();
    client?.close();
    await proxy?.stop();
    await fleet?.stop();
    await db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('advances the progress bar while a 2,000-host job runs and ends with the closing line', async () => {
    const token = ((await request(app.url).post('/api/v2/users/admin/personal_access_tokens').set('Authorization', AUTH).send({ personal_access_token: { name: `${prefix}tty` } }).expect(201)).body as { token_value: string }).token_value;
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const script = path.join(dir, 'run.sh');
    fs.writeFileSync(script, [
      '#!/bin/sh',
      `export REX_URL=${quote(app.url)} REX_USER=admin REX_TOKEN=${quote(token)} HOME=${quote(dir)}`,
      `${[process.execPath, ...rexCommand()].map(quote).join(' ')} job run rpcutil ping --hostgroup ${quote(`${prefix}all`)} --batch-size 100 --wait`,
      `echo "exit=$?"`,
      'sleep 600',
    ].join('\n'), { mode: 0o755 });
    await tmux('new-session', '-d', '-x', '160', '-y', '20', script);

    const percents: number[] = [];
    let screen = '';
    const until = Date.now() + 180_000;
    while (Date.now() < until) {
      screen = (await tmux('capture-pane', '-p')).stdout;
      const bars = [...screen.matchAll(/\] +(\d+)% (\d+)\/2000 hosts/g)];
      if (bars.length > 0) percents.push(Number(bars[bars.length - 1][1]));
      if (/^exit=\d+$/m.test(screen)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // At the start of its line: the bar was cleared before the closing line was written.
    expect(screen).toMatch(/^Job finished\. 2000\/2000 hosts succeeded, 0 failed\.$/m);
    expect(screen).toMatch(/^exit=0$/m);
    // Seen at several points on the way, never going back.
    const distinct = [...new Set(percents)];
    expect(distinct.filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(3);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
  });
});

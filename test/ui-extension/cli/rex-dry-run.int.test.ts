/**
 * `rex job run ... --dry-run` and `rex job replay ... --dry-run` (issue #17) as a child process
 * against the real app on MariaDB, with a real proxy-plugin on the virtual Choria fleet: the preview
 * (hosts per smart proxy, skipped hosts with reasons, host names), exit 0, nothing created; and the
 * same targeting without --dry-run refused with the API's 422 (exit 2) when it matches no host.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { JobPreview } from '@common/job-preview';
import type { Job } from '@common/jobs';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import { createTestProxyClient, startTestProxy, type TestProxy } from '../jobs/support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp } from '../jobs/support/job-stack';
import { runRex, type RexResult } from './support/rex-process';

jest.setTimeout(180_000);

const NATS_URL = 'nats://127.0.0.1:4222';

describe('rex job run --dry-run against the real app', () => {
  const database = testDatabases().find((d) => d.kind === 'mysql')!;
  const prefix = `dry-${randomBytes(3).toString('hex')}-`;
  let db: OpenTestDataSource;
  let fleet: ChoriaFleet;
  let proxy: TestProxy;
  let client: ProxyClients;
  let app: JobApp;
  let env: Record<string, string>;
  const rex = (...args: string[]): Promise<RexResult> => runRex(args, env);
  const jobCount = async () => Number(((await db.dataSource.query('SELECT COUNT(*) AS n FROM job_invocations')) as Array<{ n: number | string }>)[0].n);

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const collective = `rexdry${randomBytes(4).toString('hex')}`;
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: 3, identityPrefix: prefix, seed: prefix, failureRate: 0 });
    proxy = await startTestProxy({ name: `${prefix}proxy`, natsUrl: NATS_URL, collective });
    client = createTestProxyClient();
    // Three hosts on the proxy and one without any: a run asks three and skips one.
    await seedInventory(db.dataSource, {
      hostgroups: [`${prefix}web`],
      proxies: [{ name: proxy.name, url: proxy.url, capabilities: ['remote_execution', 'choria'] }],
      hosts: [
        ...fleet.identities.map((name) => ({ name, hostgroup: `${prefix}web`, proxy: proxy.name as string | null })),
        { name: `${prefix}orphan`, hostgroup: `${prefix}web`, proxy: null },
      ],
    });
    app = await startJobApp({ dataSource: db.dataSource, proxies: client });
    const token = await request(app.url).post('/api/v2/users/admin/personal_access_tokens').set('Authorization', AUTH).send({ personal_access_token: { name: `${prefix}cli` } }).expect(201);
    env = { REX_URL: app.url, REX_USER: 'admin', REX_TOKEN: (token.body as { token_value: string }).token_value };
  });

  afterAll(async () => {
    await app?.close();
    client?.close();
    await proxy?.stop();
    await fleet?.stop();
    await db?.close();
  });

  it('prints the hosts per smart proxy, the skipped ones with their reason and the host names, exits 0 and creates nothing', async () => {
    const before = await jobCount();
    const result = await rex('job', 'run', 'package', 'status', 'package=nginx', '--hostgroup', `${prefix}web`, '--dry-run');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const names = [...fleet.identities].sort();
    expect(result.stdout.split('\n').map((l) => l.trimEnd())).toEqual([
      'Dry run, nothing created: 3 hosts on 1 smart proxy will run; 1 skipped: host has no smart proxy.',
      '',
      `SMART PROXY${' '.repeat(proxy.name.length - 11)}  HOSTS`,
      `${proxy.name.padEnd(Math.max(11, proxy.name.length))}  3`,
      '',
      'SKIPPED  REASON                   HOSTS',
      `1        host has no smart proxy  ${prefix}orphan`,
      '',
      expect.stringMatching(/^HOST\s+SMART PROXY\s+WILL$/),
      ...names.map((n) => expect.stringMatching(new RegExp(`^${n}\\s+${proxy.name}\\s+run$`))),
      expect.stringMatching(new RegExp(`^${prefix}orphan\\s+skip: host has no smart proxy$`)),
      '',
    ]);
    expect(await jobCount()).toBe(before);
  });

  it('prints the API\'s preview with --json, as POST /jobs/preview answers it', async () => {
    const result = await rex('--json', 'job', 'run', 'package', 'status', 'package=nginx', '--search', `name ~ ${prefix}`, '--dry-run');
    expect(result.code).toBe(0);
    const direct = (await request(app.url).post('/api/v2/remote_execution/jobs/preview?per_page=100').set('Authorization', AUTH).send({ job: { namespace: 'package', action: 'status', arguments: { package: 'nginx' }, targeting: { search: `name ~ ${prefix}` } } }).expect(200)).body as JobPreview;
    expect(JSON.parse(result.stdout)).toEqual(direct);
    expect(direct).toMatchObject({ total_hosts: 4, will_run: 3, skipped: 1 });
  });

  it('says a targeting matches no host on a dry run (exit 0), and the run itself is refused with the 422 (exit 2)', async () => {
    const before = await jobCount();
    const dry = await rex('job', 'run', 'package', 'status', 'package=nginx', '--search', `name = ${prefix}nowhere`, '--dry-run');
    expect(dry).toMatchObject({ code: 0, stdout: 'Dry run, nothing created: no host you may run on matches this targeting.\n' });
    const real = await rex('job', 'run', 'package', 'status', 'package=nginx', '--search', `name = ${prefix}nowhere`);
    expect(real.code).toBe(2);
    expect(real.stderr).toContain(`targeting: search "name = ${prefix}nowhere" matches no host you may run package.status on; nothing was created`);
    expect(await jobCount()).toBe(before);
  });

  it('previews a replay of a job\'s hosts with job replay --dry-run', async () => {
    const job = (await request(app.url).post('/api/v2/remote_execution/jobs').set('Authorization', AUTH).send({ job: { namespace: 'rpcutil', action: 'ping', targeting: { search: `name ~ ${prefix}` }, timeout: 5 } }).expect(201)).body as Job;
    await app.service.whenDispatched(job.id);
    const before = await jobCount();
    const result = await rex('job', 'replay', String(job.id), '--all', '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('Dry run, nothing created: 3 hosts on 1 smart proxy will run; 1 skipped: host has no smart proxy.');
    expect(await jobCount()).toBe(before);
    expect((await rex('job', 'replay', String(job.id), '--all', '--dry-run', '--wait')).code).toBe(2);
  });
});

/**
 * The `rex` CLI as a child process against the real app (createApp over buildServices on MariaDB)
 * with a real proxy-plugin gRPC server whose Choria client talks to the virtual Choria fleet on the
 * local NATS: job run --wait (lines and exit status), --json against the API, validation errors
 * (exit 2 with the API's message), an unreachable server (exit 3), history search and replay,
 * the completion scripts run by bash and zsh (Debian package zsh), and the route -> command table
 * against openapi.json.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import request from 'supertest';
import type { Command } from 'commander';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { listRoutes } from '@test/support/routes';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import type { JobStatus } from '@common/jobs';
import { ROUTE_COMMANDS } from '../../../ui-extension/src/cli/command-table';
import { allCommands, buildProgram } from '../../../ui-extension/src/cli/program';
import { createContext } from '../../../ui-extension/src/cli/context';
import { createTestProxyClient, startTestProxy, unreachableProxyUrl, type TestProxy } from '../jobs/support/grpc-proxies';
import { ADMIN_PASSWORD, AUTH, seedInventory, startJobApp, type JobApp, type SeededInventory } from '../jobs/support/job-stack';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { rexBinDir, runRex, type RexResult } from './support/rex-process';

jest.setTimeout(180_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const pad = (i: number) => String(i).padStart(5, '0');
const run = promisify(execFile);

describe('rex CLI against the real app', () => {
  const database = testDatabases().find((d) => d.kind === 'mysql')!;
  const prefix = `cli-${randomBytes(3).toString('hex')}-`;
  const silent = [3, 7].map((i) => `${prefix}${pad(i)}`);
  let db: OpenTestDataSource;
  let fleet: ChoriaFleet;
  let proxy: TestProxy;
  let client: ProxyClients;
  let app: JobApp;
  let ids: SeededInventory;
  let env: Record<string, string>;
  const web = () => `${prefix}web`;
  const hostsOf = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${pad(from + i)}`);
  const api = (p: string) => request(app.url).get(p).set('Authorization', AUTH);
  const rex = (...args: string[]): Promise<RexResult> => runRex(args, env);

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const collective = `rexcli${randomBytes(4).toString('hex')}`;
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: 16, identityPrefix: prefix, silentIdentities: silent, seed: prefix, failureRate: 0 });
    proxy = await startTestProxy({ name: `${prefix}proxy`, natsUrl: NATS_URL, collective });
    client = createTestProxyClient();
    // Hosts 1-10 in <prefix>web (3 and 7 never answer; each has a marker fact), 11-16 in <prefix>db.
    ids = await seedInventory(db.dataSource, {
      hostgroups: [web(), `${prefix}db`],
      proxies: [{ name: proxy.name, url: proxy.url, capabilities: ['remote_execution', 'choria'] }],
      hosts: [
        ...hostsOf(1, 10).map((name, i) => ({ name, hostgroup: web(), proxy: proxy.name, facts: { [`${prefix.replace(/-/g, '_')}marker`]: `m${i}` } })),
        ...hostsOf(11, 16).map((name) => ({ name, hostgroup: `${prefix}db`, proxy: proxy.name })),
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

  it('prints a Started and a Finished line per host and the closing line, and exits 1 when hosts did not respond', async () => {
    const result = await rex('job', 'run', 'service', 'status', 'service=sshd', '--hostgroup', web(), '--timeout', '2', '--wait');
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 1, stderr: '' });
    const lines = result.stdout.trim().split('\n');
    const jobId = Number(/^Job (\d+) queued on 10 hosts\.$/.exec(lines[0])?.[1]);
    expect(jobId).toBeGreaterThan(0);
    const answering = hostsOf(1, 10).filter((h) => !silent.includes(h));
    for (const host of answering) {
      const started = lines.indexOf(`Started on ${host} ...`);
      const finished = lines.indexOf(`Finished on ${host}: succeeded`);
      expect({ host, started: started > 0, finishedAfter: finished > started }).toEqual({ host, started: true, finishedAfter: true });
    }
    for (const host of silent) expect(lines.filter((l) => l.startsWith(`Finished on ${host}: no_response`))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('Finished on '))).toHaveLength(10);
    expect(lines[lines.length - 1]).toBe('Job finished. 8/10 hosts succeeded, 2 failed (2 no response).');
    const job = (await api(`/api/v2/remote_execution/jobs/${jobId}`).expect(200)).body as JobStatus;
    expect(job.counts).toMatchObject({ succeeded: 8, no_response: 2 });
  });

  it('exits 0 with the closing line when every host succeeded', async () => {
    const result = await rex('job', 'run', 'rpcutil', 'ping', '--hostgroup', `${prefix}db`, '--wait');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').pop()).toBe('Job finished. 6/6 hosts succeeded, 0 failed.');
    expect(result.stdout.match(/^Finished on .*: succeeded$/gm)).toHaveLength(6);
  });

  it('prints JSON that parses and equals the API answer when --json is given', async () => {
    const waited = await rex('--json', 'job', 'run', 'rpcutil', 'ping', '--hosts', hostsOf(11, 12).join(','), '--wait');
    expect(waited.code).toBe(0);
    const final = JSON.parse(waited.stdout) as JobStatus;
    expect(final).toMatchObject({ state: 'succeeded', total_hosts: 2, targeting: { host_ids: [ids.hostIds.get(hostsOf(11, 11)[0]), ids.hostIds.get(hostsOf(12, 12)[0])] } });
    const shown = await rex('job', 'show', String(final.id), '--json');
    expect(JSON.parse(shown.stdout)).toEqual((await api(`/api/v2/remote_execution/jobs/${final.id}`).expect(200)).body);
    expect(JSON.parse(shown.stdout)).toEqual(final);
    const hosts = await rex('hosts', 'list', '--search', `hostgroup = ${web()}`, '--per-page', '5', '--json');
    expect(JSON.parse(hosts.stdout)).toEqual((await api(`/api/v2/hosts?search=${encodeURIComponent(`hostgroup = ${web()}`)}&per_page=5`).expect(200)).body);
    const jobHosts = await rex('job', 'hosts', String(final.id), '--json');
    expect(JSON.parse(jobHosts.stdout)).toEqual((await api(`/api/v2/remote_execution/jobs/${final.id}/hosts`).expect(200)).body);
  });

  it('shows a job in the style of puppet job show', async () => {
    const ran = JSON.parse((await rex('--json', 'job', 'run', 'rpcutil', 'ping', '--hostgroup', `${prefix}db`, '--wait')).stdout) as JobStatus;
    const shown = await rex('job', 'show', String(ran.id));
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^Job ID: +${ran.id}$`, 'm'));
    expect(shown.stdout).toMatch(/^Status: +succeeded$/m);
    expect(shown.stdout).toMatch(/^Action: +rpcutil#ping$/m);
    // The hostgroup as it was typed, not its id.
    expect(shown.stdout).toMatch(new RegExp(`^Targeting: +hostgroup: ${prefix}db$`, 'm'));
    expect(shown.stdout).toContain('SUCCEEDED (6/6)');
    for (const host of hostsOf(11, 16)) expect(shown.stdout).toContain(`\n${host}\n`);
  });

  it('runs a rollout with a canary, shows where it stands, and pauses and resumes it', async () => {
    const started = await rex('--json', 'job', 'run', 'rpcutil', 'ping', '--hostgroup', `${prefix}db`, '--canary', '2', '--rollout-batch', '50%', '--max-failures', '1');
    expect(started.code).toBe(0);
    const id = (JSON.parse(started.stdout) as JobStatus).id;
    expect(JSON.parse(started.stdout)).toMatchObject({ rollout: { canary: { hosts: 2, then: 'wait' }, batch_size: '50%', max_failures: 1 } });
    let job = (await api(`/api/v2/remote_execution/jobs/${id}`).expect(200)).body as JobStatus;
    for (let i = 0; i < 200 && !(job.rollout_progress?.paused && job.counts.succeeded === 2); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await api(`/api/v2/remote_execution/jobs/${id}`).expect(200)).body as JobStatus;
    }
    // 6 hosts: a canary of 2, then batches of 3 (50%, rounded up): 3 and 1.
    const shown = await rex('job', 'show', String(id));
    expect(shown.stdout).toMatch(new RegExp(`^Rollout: +batch 1 of 3, failures 0 of max 1, paused: canary of 2 hosts done; waiting for a resume \\(rex job resume ${id}\\)$`, 'm'));
    const paused = await rex('job', 'pause', String(id));
    expect(paused.stdout.trim()).toBe(`Job ${id} paused: batch 1 of 3, failures 0 of max 1, paused: canary of 2 hosts done; waiting for a resume (rex job resume ${id}).`);
    const resumed = await rex('job', 'resume', String(id));
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`Job ${id} resumed: batch 1 of 3`);
    const waited = await rex('job', 'wait', String(id));
    expect(waited.code).toBe(0);
    expect(waited.stdout.trim().split('\n').pop()).toBe('Job finished. 6/6 hosts succeeded, 0 failed.');
    expect(waited.stdout).toMatch(/^Rollout: batch 3 of 3 \(1 hosts\), stops at 1 failures \(0 so far\)$/m);
    const bad = await rex('job', 'run', 'rpcutil', 'ping', '--hostgroup', `${prefix}db`, '--canary-then', 'later', '--canary', '1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--canary-then: must be wait or continue');
  });

  it('exits 2 with the API\'s message when the API refuses the request', async () => {
    const result = await rex('job', 'run', 'rpcutil', 'ping', '--hostgroup', web(), '--timeout', '90000');
    const direct = await request(app.url).post('/api/v2/remote_execution/jobs').set('Authorization', AUTH).send({ job: { namespace: 'rpcutil', action: 'ping', arguments: {}, targeting: { hostgroup_id: ids.hostgroupIds.get(web()) }, timeout: 90000 } });
    expect(direct.status).toBe(400);
    const message = (direct.body as { error: { message: string } }).error.message;
    expect(message).toContain('timeout');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`rex: ${message}`);
    expect(result.stdout).toBe('');
  });

  it('exits 2 with the API\'s message when the arguments break the action\'s DDL', async () => {
    const result = await rex('job', 'run', 'service', 'status', 'nosuchinput=1', '--hostgroup', web());
    const direct = await request(app.url).post('/api/v2/remote_execution/jobs').set('Authorization', AUTH).send({ job: { namespace: 'service', action: 'status', arguments: { nosuchinput: '1' }, targeting: { hostgroup_id: ids.hostgroupIds.get(web()) } } });
    expect(direct.status).toBeGreaterThanOrEqual(400);
    expect(direct.status).toBeLessThan(500);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`rex: ${(direct.body as { error: { message: string } }).error.message}`);
  });

  it('exits 2 on a usage error without calling the API', async () => {
    const both = await rex('job', 'run', 'rpcutil', 'ping', '--hostgroup', web(), '--search', 'name ~ x');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give only one of --search, --hostgroup, --hosts, --pql');
    const unknown = await rex('job', 'frobnicate');
    expect(unknown.code).toBe(2);
    // An unset shell variable (`--search "$HOSTS"`) must not become every host: refused before any job exists.
    for (const blank of ['', '   ']) {
      for (const args of [['job', 'run', 'rpcutil', 'ping', '--search', blank], ['ping', '--search', blank], ['job', 'run', 'rpcutil', 'ping', '--search', blank, '--dry-run']]) {
        const refused = await rex(...args);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toContain('--search: must not be empty');
      }
    }
  });

  it('exits 3 when the server cannot be reached', async () => {
    const url = `http://${await unreachableProxyUrl()}`;
    const result = await runRex(['hosts', 'list'], { ...env, REX_URL: url });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot reach ${url}`);
  });

  it('exits 2 naming the problem when the token is wrong', async () => {
    const result = await runRex(['hosts', 'list'], { ...env, REX_TOKEN: 'not-a-token' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/HTTP 401/);
  });

  it('exits 2 saying a token needs its user when only the token is given', async () => {
    const result = await runRex(['hosts', 'list'], { REX_URL: env.REX_URL, REX_TOKEN: env.REX_TOKEN, REX_CONFIG: '/dev/null' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('a token needs its user: set --user, REX_USER or user in');
  });

  it('reads the server, user and token from the config file when flags and env are absent', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-config-'));
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, `url: ${app.url}\nuser: admin\ntoken: ${env.REX_TOKEN}\n`);
    const result = await runRex(['--json', 'users', 'current', '--config', file], {});
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ login: 'admin' });
    // A flag wins over the file.
    const flagged = await runRex(['hosts', 'list', '--config', file, '--token', 'wrong'], {});
    expect(flagged.code).toBe(2);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('asks for the password on --ask-password and never takes it from the command line', async () => {
    const asked = await runRex(['--json', '--user', 'admin', '--ask-password', 'users', 'current'], { REX_URL: app.url }, { input: `${ADMIN_PASSWORD}\n` });
    expect(asked.code).toBe(0);
    expect(JSON.parse(asked.stdout)).toMatchObject({ login: 'admin' });
    expect(asked.stderr).toContain(`Password for admin at ${app.url}: `);
    expect(asked.stderr).not.toContain(ADMIN_PASSWORD);
    const noOption = await runRex(['users', 'current', '--password', ADMIN_PASSWORD], { REX_URL: app.url, REX_USER: 'admin' });
    expect(noOption.code).toBe(2);
    expect(noOption.stderr).toContain("unknown option '--password'");
  });

  it('finds past jobs by arguments with history search and replays the failed hosts of one', async () => {
    const ran = await rex('--json', 'job', 'run', 'service', 'status', `service=${prefix}unique`, '--hostgroup', web(), '--timeout', '2', '--wait');
    expect(ran.code).toBe(1);
    const job = JSON.parse(ran.stdout) as JobStatus;
    const found = await rex('history', 'search', `${prefix}unique`, '--json');
    expect((JSON.parse(found.stdout) as { results: Array<{ id: number }> }).results.map((j) => j.id)).toEqual([job.id]);
    const table = await rex('history', 'search', `${prefix}unique`);
    expect(table.stdout).toContain(`service=${prefix}unique`);
    const replay = await rex('job', 'replay', String(job.id), '--failed', '--wait');
    // The service does not exist: the answering hosts fail, the silent ones do not respond; all
    // of them are replayed, and fail the same way again.
    expect(job.counts).toMatchObject({ succeeded: 0, failed: 8, no_response: 2 });
    expect(replay.code).toBe(1);
    expect(replay.stdout.match(/^Finished on /gm)).toHaveLength(10);
    expect(replay.stdout.trim().split('\n').pop()).toBe('Job finished. 0/10 hosts succeeded, 10 failed (8 failed, 2 no response).');
    const replayed = (await api(`/api/v2/remote_execution/jobs?search=${encodeURIComponent(`parent_id = ${job.id}`)}`).expect(200)).body as { results: JobStatus[] };
    expect(replayed.results.map((j) => j.total_hosts)).toEqual([10]);

    // sshd answers on the 8 hosts that reply: --failed replays only the 2 silent ones.
    const mixed = JSON.parse((await rex('--json', 'job', 'run', 'service', 'status', 'service=sshd', '--hostgroup', web(), '--timeout', '2', '--wait')).stdout) as JobStatus;
    expect(mixed.counts).toMatchObject({ succeeded: 8, no_response: 2 });
    const failedOnly = await rex('job', 'replay', String(mixed.id), '--failed', '--wait');
    expect(failedOnly.code).toBe(1);
    expect(failedOnly.stdout.match(/^Finished on .*: no_response/gm)).toHaveLength(2);
    expect(failedOnly.stdout.trim().split('\n').pop()).toBe('Job finished. 0/2 hosts succeeded, 2 failed (2 no response).');
  });

  it('runs an action again with the arguments of an earlier job (--from-job), the given ones replacing them', async () => {
    const first = JSON.parse((await rex('--json', 'job', 'run', 'service', 'status', `service=${prefix}again`, '--hosts', `${prefix}${pad(1)}`, '--timeout', '2', '--wait')).stdout) as JobStatus;
    const again = await rex('--json', 'job', 'run', 'service', 'status', '--from-job', String(first.id), '--hosts', `${prefix}${pad(2)}`, '--timeout', '2');
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as JobStatus).arguments).toEqual({ service: `${prefix}again` });
    const replaced = await rex('--json', 'job', 'run', 'service', 'status', 'service=sshd', '--from-job', String(first.id), '--hosts', `${prefix}${pad(2)}`, '--timeout', '2');
    expect((JSON.parse(replaced.stdout) as JobStatus).arguments).toEqual({ service: 'sshd' });
    const other = await rex('job', 'run', 'rpcutil', 'ping', '--from-job', String(first.id), '--hosts', `${prefix}${pad(2)}`);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`job ${first.id} ran service status, not rpcutil ping`);
    const listed = await rex('--json', 'actions', 'history', 'service', 'status', '--search', `arguments ~ ${prefix}again`);
    expect((JSON.parse(listed.stdout) as { results: Array<{ arguments: unknown; run_count: number }> }).results).toEqual([expect.objectContaining({ arguments: { service: `${prefix}again` }, run_count: 2 })]);
  });

  it('exports a job\'s hosts as CSV and JSON lines to stdout, narrowed by --search', async () => {
    const ran = JSON.parse((await rex('--json', 'job', 'run', 'service', 'status', 'service=sshd', '--hostgroup', web(), '--timeout', '2', '--wait')).stdout) as JobStatus;
    const csv = await rex('job', 'hosts', String(ran.id), '--export', 'csv');
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe('host_id,host_name,state,smart_proxy_id,statuscode,statusmsg,reason,output,data,started_at,finished_at,late');
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(hostsOf(1, 10));
    const jsonl = await rex('job', 'hosts', String(ran.id), '--export', 'jsonl', '--search', 'state = no_response');
    expect(jsonl.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { host_name: string }).host_name)).toEqual(silent);
    const bad = await rex('job', 'hosts', String(ran.id), '--export', 'csv', '--search', 'colour = red');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown field 'colour'");
  });

  it('creates, disables, lists, shows and deletes a webhook, its secret from a file and never printed', async () => {
    const secretFile = path.join(os.tmpdir(), `${prefix}hook.secret`);
    await fs.promises.writeFile(secretFile, 'a-cli-webhook-secret-123\n', { mode: 0o600 });
    try {
      const created = await rex('--json', 'webhooks', 'create', `${prefix}hook`, '--endpoint', 'http://127.0.0.1:1/hook', '--events', 'job_failed', '--secret-file', secretFile);
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const hook = JSON.parse(created.stdout) as { id: number; events: string[]; secret_set: boolean };
      expect(hook).toMatchObject({ events: ['job_failed'], secret_set: true });
      expect(created.stdout).not.toContain('a-cli-webhook-secret');
      expect((await rex('webhooks', 'update', String(hook.id), '--disable')).code).toBe(0);
      expect((await rex('webhooks', 'show', String(hook.id))).stdout).toMatch(/Enabled:\s+false/);
      expect((await rex('webhooks', 'list')).stdout).toContain(`${prefix}hook`);
      expect((await rex('webhooks', 'deliveries', String(hook.id))).code).toBe(0);
      const noSecret = await rex('webhooks', 'create', `${prefix}hook2`, '--endpoint', 'http://127.0.0.1:1/hook');
      expect(noSecret.code).toBe(2);
      expect(noSecret.stderr).toContain('--secret-file');
      expect((await rex('webhooks', 'delete', String(hook.id))).stdout).toContain(`Webhook ${hook.id} (${prefix}hook) deleted.`);
    } finally {
      await fs.promises.rm(secretFile, { force: true });
    }
  });

  it('imports a job template from YAML, exports it back, runs it by name with inputs, and refuses a wrong input', async () => {
    const file = path.join(os.tmpdir(), `${prefix}template.yaml`);
    await fs.promises.writeFile(file, [
      `name: ${prefix}svc-status`,
      'description_format: Status of %{service}',
      'namespace: service',
      'action: status',
      'inputs:',
      '  - name: service',
      '    type: string',
      '    required: true',
      '    description: the service',
      'targeting:',
      `  search: hostgroup = ${web()}`,
      'timeout: 2',
      '',
    ].join('\n'));
    try {
      const imported = await rex('template', 'import', file);
      expect(imported.stderr).toBe('');
      expect(imported.stdout).toMatch(new RegExp(`^Job template \\d+ \\(${prefix}svc-status\\) created\\.`));
      const exported = await rex('template', 'export', `${prefix}svc-status`);
      expect(exported.stdout).toContain('description_format: Status of %{service}');
      await fs.promises.writeFile(file, exported.stdout.replace('timeout: 2', 'timeout: 3'));
      expect((await rex('template', 'import', file, '--replace')).stdout).toContain('replaced');
      const ran = await rex('--json', 'template', 'run', `${prefix}svc-status`, 'service=sshd', '--wait');
      const job = JSON.parse(ran.stdout) as JobStatus;
      expect(job).toMatchObject({ description: 'Status of sshd', arguments: { service: 'sshd' }, total_hosts: 10 });
      expect(ran.code).toBe(1);
      const bad = await rex('template', 'run', `${prefix}svc-status`, 'service=5');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('inputs.service');
      expect((await rex('template', 'delete', `${prefix}svc-status`)).code).toBe(0);
    } finally {
      await fs.promises.rm(file, { force: true });
    }
  });

  it('creates, disables, enables, shows and deletes a schedule', async () => {
    const created = await rex('--json', 'schedule', 'create', 'rpcutil', 'ping', '--hostgroup', `${prefix}db`, '--cron', '0 2 * * 6', '--tz', 'Europe/Berlin', '--description', `${prefix}weekly`);
    expect(created.code).toBe(0);
    const job = JSON.parse(created.stdout) as JobStatus;
    expect(job).toMatchObject({ state: 'scheduled', namespace: 'rpcutil', action: 'ping' });
    const id = String(job.schedule_id);
    expect((await rex('schedule', 'disable', id)).stdout.trim()).toBe(`Schedule ${id} disabled.`);
    expect(JSON.parse((await rex('schedule', 'show', id, '--json')).stdout)).toMatchObject({ id: job.schedule_id, enabled: false });
    expect((await rex('schedule', 'enable', id)).code).toBe(0);
    // The schedules themselves, as Foreman lists recurring logics: state, cron line and zone, iterations.
    const listed = await rex('schedule', 'definitions', '--per-page', '1000');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+STATE\s+ACTION\s+RECURRENCE\s+NEXT RUN\s+LAST RUN\s+LAST STATE\s+ITERATIONS\s+DESCRIPTION/m);
    expect(listed.stdout.split('\n').find((line) => line.includes(`${prefix}weekly`))).toMatch(new RegExp(`^${id}\\s+active\\s+rpcutil#ping\\s+0 2 \\* \\* 6 \\(Europe/Berlin\\)`));
    const shown = JSON.parse((await rex('schedule', 'show', id, '--json')).stdout) as Record<string, unknown>;
    expect(shown).toEqual((await api(`/api/v2/remote_execution/schedules/${id}`).expect(200)).body);
    expect(shown).toMatchObject({ enabled: true });
    expect((await rex('schedule', 'delete', id)).code).toBe(0);
    const gone = await rex('schedule', 'show', id);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/HTTP 404/);
  });

  it('exits 2 with the API\'s message for a time zone that does not exist', async () => {
    const result = await rex('schedule', 'create', 'rpcutil', 'ping', '--hostgroup', `${prefix}db`, '--cron', '0 2 * * 6', '--tz', 'Mars/Olympus');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/time_zone/);
    expect(result.stderr).toMatch(/HTTP 422/);
  });

  it('creates a user with a prompted password, gives it a token that works, and revokes the token', async () => {
    const login = `${prefix}ops`;
    const created = await runRex(['--json', 'users', 'create', login, '--firstname', 'Op'], env, { input: 'a-long-password\n' });
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ login, firstname: 'Op' });
    const token = JSON.parse((await rex('--json', 'tokens', 'create', 'laptop', '--for-user', login)).stdout) as { id: number; token_value: string };
    const asUser = { REX_URL: app.url, REX_USER: login, REX_TOKEN: token.token_value };
    const me = await runRex(['--json', 'users', 'current'], asUser);
    expect(JSON.parse(me.stdout)).toMatchObject({ login });
    const listed = await runRex(['tokens', 'list'], asUser);
    expect(listed.stdout).toMatch(new RegExp(`^${token.id} +laptop `, 'm'));
    expect((await runRex(['tokens', 'revoke', String(token.id)], asUser)).stdout.trim()).toBe(`Token ${token.id} revoked.`);
    const refused = await runRex(['users', 'current'], asUser);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/HTTP 401/);
  });

  it('describes an agent like mco plugin doc', async () => {
    const result = await rex('namespace', 'describe', 'service');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ACTIONS:$/m);
    expect(result.stdout).toMatch(/^ {3}status action:$/m);
    expect(result.stdout).toMatch(/^ {11}service:$/m);
  });

  it('registers a smart proxy with the capabilities it reports, exits 2 with the API\'s reason for one that is down, and renames one', async () => {
    const created = await rex('smart-proxy', 'create', `${prefix}second`, '--proxy-url', proxy.url);
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^capabilities: +remote_execution,choria$/m);
    expect(created.stdout).toMatch(/^features: +Remote Execution,Choria$/m);
    const down = await unreachableProxyUrl();
    const refused = await rex('smart-proxy', 'create', `${prefix}down`, '--proxy-url', down);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`rex: smart_proxy.url: the smart proxy at ${down} cannot be reached`);
    const renamed = await rex('--json', 'smart-proxy', 'update', `${prefix}second`, '--name', `${prefix}renamed`);
    expect(renamed.code).toBe(0);
    expect(JSON.parse(renamed.stdout)).toEqual((await api(`/api/v2/smart_proxies/${prefix}renamed`).expect(200)).body);
  });

  describe('completion', () => {
    let binDir: string;
    let script: string;

    beforeAll(async () => {
      binDir = rexBinDir();
      script = path.join(binDir, 'rex.bash');
      const generated = await rex('completion', 'bash');
      expect(generated.code).toBe(0);
      fs.writeFileSync(script, generated.stdout);
    });

    afterAll(() => fs.rmSync(binDir, { recursive: true, force: true }));

    /** Runs bash with the generated script, as a shell would on TAB after `words`. */
    async function bashComplete(words: string[], shellEnv: Record<string, string> = env): Promise<string[]> {
      const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
      const program = `source '${script}'\nCOMP_WORDS=(${quoted})\nCOMP_CWORD=${words.length - 1}\n_rex_complete\nprintf '%s\\n' "\${COMPREPLY[@]}"`;
      const { stdout } = await run('bash', ['-c', program], { env: { PATH: `${binDir}:${process.env.PATH ?? ''}`, HOME: binDir, ...shellEnv } });
      return stdout.split('\n').filter(Boolean);
    }

    it('wires the script to the hidden __complete command', () => {
      const text = fs.readFileSync(script, 'utf8');
      expect(text).toContain('rex __complete -- ');
      expect(text).toContain('complete -o default -F _rex_complete rex');
    });

    it('offers hostgroup titles from the server after --hostgroup', async () => {
      expect((await bashComplete(['rex', 'job', 'run', 'rpcutil', 'ping', '--hostgroup', prefix])).sort()).toEqual([`${prefix}db`, web()]);
      // The server and token typed on the line are the ones asked.
      expect(await bashComplete(['rex', '--url', app.url, '--user', 'admin', '--token', env.REX_TOKEN, 'hostgroups', 'show', `${prefix}d`], {})).toEqual([`${prefix}db`]);
    });

    it('offers fact names from the server in a search', async () => {
      const fact = `${prefix.replace(/-/g, '_')}marker`;
      expect(await bashComplete(['rex', 'job', 'run', 'rpcutil', 'ping', '--search', `facts.${fact.slice(0, 8)}`])).toEqual([`facts.${fact}`]);
      expect(await bashComplete(['rex', 'facts', 'jobs', fact.slice(0, 8)])).toEqual([fact]);
    });

    it('offers commands, namespaces, actions and input names', async () => {
      expect(await bashComplete(['rex', 'jo'])).toEqual(['job']);
      expect(await bashComplete(['rex', 'job', 'run', 'serv'])).toEqual(['service']);
      expect((await bashComplete(['rex', 'job', 'run', 'service', ''])).sort()).toEqual(expect.arrayContaining(['restart', 'start', 'status', 'stop']));
      expect(await bashComplete(['rex', 'job', 'run', 'service', 'status', 'serv'])).toEqual(['service=']);
    });

    it('offers hostgroups and fact names through the zsh script too', async () => {
      const zshScript = path.join(binDir, '_rex');
      fs.writeFileSync(zshScript, (await rex('completion', 'zsh')).stdout);
      // compadd and compdef are the completion system's; stand-ins print what the script adds, so
      // this runs the script's own code (word slicing, the __complete call, the = handling).
      const complete = async (words: string[]) => {
        const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
        const program = `compdef() { :; }\ncompadd() { while [[ $1 == -* && $1 != -- ]]; do [[ $1 == -S ]] && shift; shift; done; [[ $1 == -- ]] && shift; print -l -- "$@"; }\nsource '${zshScript}'\nwords=(${quoted})\nCURRENT=${words.length}\n_rex`;
        const { stdout } = await run('zsh', ['-f', '-c', program], { env: { PATH: `${binDir}:${process.env.PATH ?? ''}`, HOME: binDir, ...env } });
        return stdout.split('\n').filter(Boolean);
      };
      expect((await complete(['rex', 'job', 'run', 'rpcutil', 'ping', '--hostgroup', prefix])).sort()).toEqual([`${prefix}db`, web()]);
      const fact = `${prefix.replace(/-/g, '_')}marker`;
      expect(await complete(['rex', 'job', 'run', 'rpcutil', 'ping', '--search', `facts.${fact.slice(0, 8)}`])).toEqual([`facts.${fact}`]);
      expect(await complete(['rex', 'job', 'run', 'service', 'status', 'serv'])).toEqual(['service=']);
    });
  });

  describe('coverage', () => {
    it('documents exactly the routes the app mounts in openapi.json', async () => {
      const doc = JSON.parse((await rex('api', 'openapi')).stdout) as { paths: Record<string, Record<string, unknown>> };
      const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{([^}]+)\}/g, ':$1')}`)).sort();
      // The document describes the REST API; GET /metrics (Prometheus' scrape) and the load
      // balancer's /healthz (/livez) and /readyz, and /apidoc (the page that shows it) sit beside it.
      expect(documented).toEqual(listRoutes(app.app).filter((route) => route.split(' ')[1].startsWith('/api/v2/')));
      expect(listRoutes(app.app).filter((route) => !route.split(' ')[1].startsWith('/api/v2/'))).toEqual(['GET /apidoc', 'GET /healthz', 'GET /livez', 'GET /metrics', 'GET /readyz']);
    });

    it('has a CLI command for every route in openapi.json', async () => {
      const doc = (await api('/api/v2/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
      const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
      expect(routes.filter((r) => !(r in ROUTE_COMMANDS))).toEqual([]);
      expect(Object.keys(ROUTE_COMMANDS).filter((r) => !routes.includes(r))).toEqual([]);
      const program = buildProgram(createContext({ out: process.stdout, err: process.stderr, env: {}, askSecret: async () => '' }, '0.0.0'), '0.0.0', () => undefined);
      const names = new Set(allCommands(program).map((c) => commandPath(c)));
      const missing = Object.entries(ROUTE_COMMANDS).filter(([, cmd]) => cmd !== null && !names.has(cmd));
      expect(missing).toEqual([]);
      // Only the web UI's cookie session goes without a command.
      expect(Object.entries(ROUTE_COMMANDS).filter(([, cmd]) => cmd === null).map(([r]) => r).sort()).toEqual(['DELETE /api/v2/session', 'GET /api/v2/session', 'POST /api/v2/session']);
    });

    it('describes parameters with the schemas the server validates with', async () => {
      const doc = (await api('/api/v2/openapi.json').expect(200)).body as { paths: Record<string, Record<string, { parameters: Array<{ name: string; schema: Record<string, unknown> }>; requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>> };
      const perPage = doc.paths['/api/v2/hosts'].get.parameters.find((p) => p.name === 'per_page')!;
      expect(perPage.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000, default: 20 });
      const body = doc.paths['/api/v2/remote_execution/jobs'].post.requestBody!.content['application/json'].schema as { properties: { job: { required: string[]; properties: Record<string, Record<string, unknown>> } } };
      expect(body.properties.job.required).toEqual(expect.arrayContaining(['namespace', 'action', 'targeting']));
      expect(body.properties.job.properties.timeout).toMatchObject({ maximum: 86400 });
    });
  });
});

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * The `rex` CLI's output as hammer users expect it, as a child process against the real app
 * (MariaDB), a real proxy-plugin and the virtual Choria fleet on the local NATS: every `--output`
 * format, `--fields` and `--no-headers` on hosts, jobs, job hosts and schedule occurrences; local,
 * second-precision times in tables (TZ=Asia/Kolkata, +05:30 all year); the schedule list's columns;
 * `job cancel` wording; mco-style aggregate summaries; `rex ping` and `rex facts values` against
 * the fleet; the fish completion script run by fish (Debian package fish).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import request from 'supertest';
import YAML from 'yaml';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';
import type { JobHost, JobStatus } from '@common/jobs';
import type { ProxyClients } from '@server/proxies/proxy-client';
import { createTestProxyClient, startTestProxy, type TestProxy } from '../jobs/support/grpc-proxies';
import { AUTH, seedInventory, startJobApp, type JobApp } from '../jobs/support/job-stack';
import { rexBinDir, runRex, type RexResult } from './support/rex-process';

jest.setTimeout(180_000);

const NATS_URL = 'nats://127.0.0.1:4222';
const TZ = 'Asia/Kolkata';
const LATENCY_MS = 25;
const pad = (i: number) => String(i).padStart(5, '0');
const run = promisify(execFile);

/** An API time as the CLI must print it in a table under TZ=Asia/Kolkata (UTC+05:30, no DST). */
const kolkata = (iso: string) => new Date(Date.parse(iso) + 330 * 60_000).toISOString().slice(0, 19).replace('T', ' ');

/** CSV as RFC 4180 writes it (quoted fields may hold commas and doubled quotes). */
function parseCsv(text: string): string[][] {
  return text.trimEnd().split('\n').map((line) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].filter((m, i, all) => i < all.length - 1 || m[0] !== '').map((m) => (m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1])));
}

interface ListBody<T> {
  total: number;
  subtotal: number;
  results: T[];
}

describe('rex output formats against the real app', () => {
  const database = testDatabases().find((d) => d.kind === 'mysql')!;
  const prefix = `out-${randomBytes(3).toString('hex')}-`;
  const factPrefix = prefix.replace(/-/g, '_');
  const silent = [3, 7].map((i) => `${prefix}${pad(i)}`);
  let db: OpenTestDataSource;
  let fleet: ChoriaFleet;
  let proxy: TestProxy;
  let client: ProxyClients;
  let app: JobApp;
  let env: Record<string, string>;
  let pingJob: JobStatus;
  const web = `${prefix}web`;
  const hostsOf = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${pad(from + i)}`);
  const api = async <T>(p: string): Promise<T> => (await request(app.url).get(p).set('Authorization', AUTH).expect(200)).body as T;
  const rex = (...args: string[]): Promise<RexResult> => runRex(args, env);
  const ok = async (...args: string[]): Promise<string> => {
    const result = await rex(...args);
    expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
    return result.stdout;
  };

  beforeAll(async () => {
    db = await openTestDataSource(database);
    const collective = `rexout${randomBytes(4).toString('hex')}`;
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, collective, count: 16, identityPrefix: prefix, silentIdentities: silent, seed: prefix, failureRate: 0, latencyMs: LATENCY_MS });
    proxy = await startTestProxy({ name: `${prefix}proxy`, natsUrl: NATS_URL, collective });
    client = createTestProxyClient();
    // Hosts 1-10 in <prefix>web (3 and 7 never answer), 11-16 in <prefix>db; <prefix>os: 12 Debian, 4 RedHat.
    await seedInventory(db.dataSource, {
      hostgroups: [web, `${prefix}db`],
      proxies: [{ name: proxy.name, url: proxy.url, capabilities: ['remote_execution', 'choria'] }],
      hosts: [
        ...hostsOf(1, 10).map((name, i) => ({ name, hostgroup: web, proxy: proxy.name, facts: { [`${factPrefix}os`]: i < 8 ? 'Debian' : 'RedHat', [`${factPrefix}note`]: 'a "quoted", text' } })),
        ...hostsOf(11, 16).map((name, i) => ({ name, hostgroup: `${prefix}db`, proxy: proxy.name, facts: { [`${factPrefix}os`]: i < 4 ? 'Debian' : 'RedHat' } })),
      ],
    });
    app = await startJobApp({ dataSource: db.dataSource, proxies: client });
    const token = await request(app.url).post('/api/v2/users/admin/personal_access_tokens').set('Authorization', AUTH).send({ personal_access_token: { name: `${prefix}cli` } }).expect(201);
    env = { REX_URL: app.url, REX_USER: 'admin', REX_TOKEN: (token.body as { token_value: string }).token_value, TZ };
    // Exit 1: the 2 silent hosts do not respond.
    const ran = await rex('--json', 'job', 'run', 'service', 'status', 'service=sshd', '--hostgroup', web, '--timeout', '2', '--description', `${prefix}fmt`, '--wait');
    expect(ran.code).toBe(1);
    pingJob = JSON.parse(ran.stdout) as JobStatus;
  });

  afterAll(async () => {
    await app?.close();
    client?.close();
    await proxy?.stop();
    await fleet?.stop();
    await db?.close();
  });

  /**
   * One list command in every format: json and yaml are the API's answer; csv, table and base with
   * --fields print the chosen fields of each result (times local to the second in table and base,
   * ISO in csv and json); --no-headers drops the header line.
   */
  async function checkList<T>(args: string[], apiPath: string, fields: Array<[field: string, value: (row: T) => string | number, time?: boolean]>): Promise<T[]> {
    const body = await api<ListBody<T>>(apiPath);
    expect(body.results.length).toBeGreaterThan(0);
    expect(JSON.parse(await ok(...args, '--output', 'json'))).toEqual(body);
    expect(JSON.parse(await ok(...args, '--json'))).toEqual(body);
    expect(YAML.parse(await ok(...args, '--output', 'yaml'))).toEqual(body);

    const names = fields.map(([f]) => f).join(',');
    const text = (v: string | number, human: boolean, time?: boolean) => (time && human ? kolkata(String(v)) : String(v));
    const csv = parseCsv(await ok(...args, '--output', 'csv', '--fields', names));
    expect(csv[0]).toEqual(fields.map(([f]) => f));
    expect(csv.slice(1)).toEqual(body.results.map((row) => fields.map(([, value, time]) => text(value(row), false, time))));
    const bare = parseCsv(await ok(...args, '--output', 'csv', '--fields', names, '--no-headers'));
    expect(bare).toEqual(csv.slice(1));

    const picked = JSON.parse(await ok(...args, '--output', 'json', '--fields', names)) as Array<Record<string, unknown>>;
    expect(picked).toEqual(body.results.map((row) => Object.fromEntries(fields.map(([f, value]) => [f, value(row)]))));
    expect(YAML.parse(await ok(...args, '--output', 'yaml', '--fields', names))).toEqual(picked);

    const table = (await ok(...args, '--fields', names)).trimEnd().split('\n');
    expect(table[0].split(/\s{2,}/)).toEqual(fields.map(([f]) => f.replace(/_/g, ' ').toUpperCase()));
    expect(table.slice(1).map((line) => line.split(/\s{2,}/))).toEqual(body.results.map((row) => fields.map(([, value, time]) => text(value(row), true, time))));
    const headless = (await ok(...args, '--fields', names, '--no-headers')).trimEnd().split('\n');
    expect(headless.map((line) => line.split(/\s{2,}/))).toEqual(table.slice(1).map((line) => line.split(/\s{2,}/)));

    const base = (await ok(...args, '--output', 'base', '--fields', names)).trimEnd().split('\n\n');
    expect(base).toHaveLength(body.results.length);
    base.forEach((block, i) => {
      expect(block.split('\n').map((line) => line.replace(/:\s+/, ': '))).toEqual(fields.map(([f, value, time]) => `${f[0].toUpperCase()}${f.slice(1).replace(/_/g, ' ')}: ${text(value(body.results[i]), true, time)}`));
    });
    return body.results;
  }

  it('prints hosts in every format, --fields and --no-headers, with local times in tables', async () => {
    const search = encodeURIComponent(`hostgroup = ${web}`);
    const hosts = await checkList<{ id: number; name: string; last_seen_at: string }>(['hosts', 'list', '--search', `hostgroup = ${web}`, '--per-page', '10'], `/api/v2/hosts?search=${search}&per_page=10`, [['id', (h) => h.id], ['name', (h) => h.name], ['last_seen', (h) => h.last_seen_at, true]]);
    expect(hosts.map((h) => h.name)).toEqual(hostsOf(1, 10));
    // The default table shows every column, times to the second in local time.
    const table = await ok('hosts', 'list', '--search', `name = ${hostsOf(1, 1)[0]}`);
    expect(table).toMatch(/^ID\s+NAME\s+HOSTGROUP\s+SMART PROXY\s+ORGANIZATION\s+LOCATION\s+LAST SEEN$/m);
    expect(table).toContain(kolkata(hosts[0].last_seen_at));
    expect(table).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });

  it('prints jobs and a job\'s hosts in every format and with --fields', async () => {
    expect(pingJob.id).toBeGreaterThan(0);
    const search = `description = ${prefix}fmt`;
    await checkList<JobStatus>(['job', 'list', '--search', search], `/api/v2/remote_execution/jobs?search=${encodeURIComponent(search)}`, [['id', (j) => j.id], ['state', (j) => j.state], ['created', (j) => j.created_at, true]]);
    const jobHosts = await checkList<JobHost>(['job', 'hosts', String(pingJob.id), '--per-page', '100'], `/api/v2/remote_execution/jobs/${pingJob.id}/hosts?per_page=100`, [['host', (h) => h.host_name], ['state', (h) => h.state]]);
    expect(jobHosts.filter((h) => h.state === 'no_response').map((h) => h.host_name).sort()).toEqual(silent);
  });

  it('lists schedule occurrences with their action, recurrence and description in every format', async () => {
    const created = (await request(app.url).post('/api/v2/remote_execution/jobs').set('Authorization', AUTH).send({ job: { namespace: 'rpcutil', action: 'ping', targeting: { hostgroup_id: (await api<{ id: number }>(`/api/v2/hostgroups/${prefix}db`)).id }, recurrence: { cron_line: '0 2 * * *', time_zone: 'UTC' }, description: `${prefix}nightly` } }).expect(201)).body as JobStatus;
    const from = new Date(Date.now() + 60_000).toISOString();
    const to = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const query = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&per_page=1000`;
    type Occurrence = { at: string; schedule_id: number; schedule: { namespace: string; action: string; description: string; next_run_at: string | null; next_job_id: number | null } };
    const occurrences = await checkList<Occurrence>(['schedule', 'list', '--from', from, '--to', to, '--per-page', '1000'], `/api/v2/remote_execution/schedules?${query}`, [['schedule', (o) => o.schedule_id], ['at', (o) => o.at, true], ['action', (o) => `${o.schedule.namespace}#${o.schedule.action}`], ['description', (o) => o.schedule.description]]);
    const mine = occurrences.filter((o) => o.schedule_id === created.schedule_id);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    // The default table: the occurrence's schedule fills ACTION, RECURRENCE, JOB (the next one's) and DESCRIPTION.
    const table = (await ok('schedule', 'list', '--from', from, '--to', to, '--per-page', '1000')).split('\n');
    expect(table[0]).toMatch(/^SCHEDULE\s+AT\s+ACTION\s+RECURRENCE\s+JOB\s+DESCRIPTION$/);
    const rows = table.filter((line) => line.startsWith(`${created.schedule_id} `));
    expect(rows[0].split(/\s{2,}/)).toEqual([String(created.schedule_id), kolkata(mine[0].at), 'rpcutil#ping', '0 2 * * * (UTC)', String(created.id), `${prefix}nightly`]);
    expect(rows[1].split(/\s{2,}/)).toEqual([String(created.schedule_id), kolkata(mine[1].at), 'rpcutil#ping', '0 2 * * * (UTC)', `${prefix}nightly`]);
    await request(app.url).delete(`/api/v2/remote_execution/schedules/${created.schedule_id}`).set('Authorization', AUTH).expect(200);
  });

  it('prints a record in every format with --fields, and the puppet job show layout only as a table', async () => {
    const id = String(pingJob.id);
    const apiJob = await api<JobStatus>(`/api/v2/remote_execution/jobs/${id}`);
    expect(YAML.parse(await ok('job', 'show', id, '--output', 'yaml'))).toEqual(apiJob);
    expect(parseCsv(await ok('job', 'show', id, '--output', 'csv', '--fields', 'job_id,status,start_time'))).toEqual([['job_id', 'status', 'start_time'], [id, apiJob.state, apiJob.started_at!]]);
    expect(JSON.parse(await ok('job', 'show', id, '--output', 'json', '--fields', 'Job ID,status'))).toEqual([{ job_id: apiJob.id, status: apiJob.state }]);
    expect((await ok('job', 'show', id, '--fields', 'status,start time')).split('\n').filter(Boolean)).toEqual([`Status:     ${apiJob.state}`, `Start Time: ${kolkata(apiJob.started_at!)}`]);
    expect((await ok('job', 'show', id, '--fields', 'status', '--no-headers')).trim()).toBe(apiJob.state);
    expect(parseCsv(await ok('hosts', 'show', hostsOf(1, 1)[0], '--output', 'csv', '--fields', 'name,hostgroup'))).toEqual([['name', 'hostgroup'], [hostsOf(1, 1)[0], web]]);
  });

  it('prints the aggregates as mco rpc does in job show and at the end of --wait', async () => {
    const apiJob = await api<JobStatus>(`/api/v2/remote_execution/jobs/${pingJob.id}`);
    const summary = apiJob.aggregates!.find((a) => a.output === 'status')!;
    const entries = Object.entries(summary.value as Record<string, number>).sort((a, b) => b[1] - a[1]);
    expect(entries.reduce((n, [, c]) => n + c, 0)).toBe(8);
    const width = Math.max(...entries.map(([k]) => k.length));
    const block = ['Summary of Service Status:', '', ...entries.map(([k, n]) => `   ${k.padStart(width)} = ${n}`)].join('\n');
    expect(await ok('job', 'show', String(pingJob.id))).toContain(`\n${block}\n`);
    const waited = await rex('job', 'run', 'service', 'status', 'service=sshd', '--hosts', hostsOf(11, 12).join(','), '--wait');
    expect(waited.code).toBe(0);
    const lines = waited.stdout.trimEnd().split('\n');
    expect(lines.slice(-6)).toEqual(['', 'Summary of Service Status:', '', expect.stringMatching(/^ {3}\S+ = 2$/), '', 'Job finished. 2/2 hosts succeeded, 0 failed.']);
  });

  it('refuses an unknown format or field, naming what it takes', async () => {
    const format = await rex('hosts', 'list', '--output', 'xml');
    expect({ code: format.code, stderr: format.stderr.trim() }).toEqual({ code: 2, stderr: 'rex: --output: must be one of table, base, csv, json, yaml (got "xml")' });
    const field = await rex('hosts', 'list', '--fields', 'name,colour');
    expect(field.code).toBe(2);
    expect(field.stderr.trim()).toBe('rex: --fields: no field "colour" here; the fields are id, name, hostgroup, smart_proxy, organization, location, last_seen');
  });

  it('says a scheduled job is cancelled and a running one is cancelling, and --wait follows it to cancelled', async () => {
    const scheduled = JSON.parse(await ok('--json', 'job', 'run', 'rpcutil', 'ping', '--hosts', hostsOf(11, 11)[0], '--at', new Date(Date.now() + 3_600_000).toISOString())) as JobStatus;
    expect((await ok('job', 'cancel', String(scheduled.id))).trim()).toBe(`Job ${scheduled.id} cancelled.`);
    const running = JSON.parse(await ok('--json', 'job', 'run', 'rpcutil', 'ping', '--hostgroup', web, '--timeout', '60')) as JobStatus;
    // The 8 answering hosts finish at once; the 2 silent ones keep the job running until it is cancelled.
    for (let i = 0; i < 100 && (await api<JobStatus>(`/api/v2/remote_execution/jobs/${running.id}`)).counts.succeeded < 8; i++) await new Promise((r) => setTimeout(r, 100));
    const cancelled = await rex('job', 'cancel', String(running.id), '--wait');
    const lines = cancelled.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Job ${running.id} (cancelling: nothing more is sent; hosts already asked are stopped on their proxies and end no_response unless they reply, hosts not asked end cancelled\\. Follow it with: rex job wait ${running.id}|cancelled\\.)$`));
    expect(lines[lines.length - 1]).toBe('Job cancelled. 8/10 hosts succeeded, 2 failed (2 no response).');
    expect(cancelled.code).toBe(1);
  });

  it('pings hosts like mco ping: a round trip per host that answered, then min/avg/max', async () => {
    const result = await rex('ping', '--hostgroup', web, '--timeout', '2');
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    const replies = lines.filter((l) => / time=\d+\.\d\d ms$/.test(l));
    expect(replies.map((l) => l.split(/\s+/)[0]).sort()).toEqual(hostsOf(1, 10).filter((h) => !silent.includes(h)));
    const times = replies.map((l) => Number(/time=(\S+) ms/.exec(l)![1]));
    // The fleet answers after LATENCY_MS; the round trip is what the proxy measured, request out to reply in.
    for (const t of times) expect(t).toBeGreaterThanOrEqual(LATENCY_MS - 1);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const stats = lines[lines.indexOf('---- ping statistics ----') + 1];
    const avg = times.reduce((a, b) => a + b, 0) / times.length;
    expect(stats).toBe(`8 replies max: ${Math.max(...times).toFixed(2)} min: ${Math.min(...times).toFixed(2)} avg: ${avg.toFixed(2)}`);
    expect(result.stdout).toContain('No response from 2 of 10 hosts:');
    for (const host of silent) expect(result.stdout).toMatch(new RegExp(`^ {3}${host} +no_response`, 'm'));

    const json = JSON.parse((await rex('ping', '--hosts', hostsOf(11, 13).join(','), '--json')).stdout) as { job_id: number; statistics: { replies: number; min_ms: number; max_ms: number; avg_ms: number }; replies: Array<{ host: string; time_ms: number }> };
    expect(json.statistics.replies).toBe(3);
    const recorded = await api<ListBody<JobHost>>(`/api/v2/remote_execution/jobs/${json.job_id}/hosts`);
    expect(Object.fromEntries(json.replies.map((r) => [r.host, r.time_ms]))).toEqual(Object.fromEntries(recorded.results.map((h) => [h.host_name, Date.parse(h.finished_at!) - Date.parse(h.started_at!)])));
    const csv = parseCsv((await rex('ping', '--hosts', hostsOf(11, 12).join(','), '--output', 'csv', '--fields', 'host,state')).stdout);
    expect(csv.slice(1).sort()).toEqual(hostsOf(11, 12).map((h) => [h, 'succeeded']));
  });

  it('counts a fact\'s values like mco facts, in every format', async () => {
    const fact = `${factPrefix}os`;
    const report = await ok('facts', 'values', fact);
    const seen = (await api<ListBody<unknown>>('/api/v2/hosts?per_page=1')).total;
    expect(report).toMatch(new RegExp(`^Report for fact: ${fact}\\n\\n {8}Debian {34} found 12 times\\n {8}RedHat {34} found 4 times\\n\\nFinished processing 16 / ${seen} hosts in \\d+\\.\\d\\d ms\\n$`));
    const body = await api<ListBody<{ value: string; count: number }> & { hosts: number; fact: string }>(`/api/v2/fact_names/${fact}/values`);
    expect(body).toMatchObject({ fact, hosts: 16, total: 2, results: [{ value: 'Debian', count: 12 }, { value: 'RedHat', count: 4 }] });
    expect(JSON.parse(await ok('facts', 'values', fact, '--json'))).toEqual(await api(`/api/v2/fact_names/${fact}/values?per_page=1000`));
    expect(parseCsv(await ok('facts', 'values', `${factPrefix}note`, '--output', 'csv'))).toEqual([['value', 'count'], ['a "quoted", text', '10']]);
    expect((await ok('facts', 'values', fact, '--output', 'csv', '--no-headers')).trim()).toBe('Debian,12\nRedHat,4');
    const missing = await rex('facts', 'values', `${factPrefix}nosuch`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no host you may see has a fact named '${factPrefix}nosuch'`);
  });

  describe('fish completion', () => {
    let binDir: string;
    let script: string;

    beforeAll(async () => {
      binDir = rexBinDir();
      script = path.join(binDir, 'rex.fish');
      fs.writeFileSync(script, await ok('completion', 'fish'));
    });

    afterAll(() => fs.rmSync(binDir, { recursive: true, force: true }));

    /** What fish offers on TAB after `line`: `complete -C` runs the script's completion function. */
    async function fishComplete(line: string): Promise<string[]> {
      const { stdout } = await run('fish', ['--no-config', '-c', `source '${script}'; complete -C '${line.replace(/'/g, "\\'")}'`], { env: { PATH: `${binDir}:${process.env.PATH ?? ''}`, HOME: binDir, ...env } });
      return stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
    }

    it('is valid fish (fish -n)', async () => {
      await expect(run('fish', ['--no-config', '-n', script])).resolves.toBeDefined();
    });

    it('offers commands, options, hostgroups, namespaces and input names from the CLI and the server', async () => {
      expect(await fishComplete('rex pin')).toEqual(['ping']);
      expect((await fishComplete('rex facts ')).sort()).toEqual(['jobs', 'list', 'values']);
      expect(await fishComplete('rex hosts list --outp')).toEqual(['--output']);
      expect(await fishComplete('rex hosts list --output y')).toEqual(['yaml']);
      expect((await fishComplete(`rex job run rpcutil ping --hostgroup ${prefix}`)).sort()).toEqual([`${prefix}db`, web]);
      expect(await fishComplete('rex job run service status serv')).toEqual(['service=']);
      expect((await fishComplete('rex completion ')).sort()).toEqual(['bash', 'fish', 'zsh']);
    });
  });
});

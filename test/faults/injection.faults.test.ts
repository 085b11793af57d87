/**
 * Injection (issue #12): arguments with shell metacharacters, path traversal in file arguments,
 * oversized values, bad addresses, values off a list and of the wrong type are refused by DDL
 * validation at BOTH ends, each checked on its own, because either may be reached directly:
 *  - the ui-extension API answers 422 naming the input and the rule, and writes nothing;
 *  - the proxy-plugin, called directly over gRPC (no ui-extension in between), fails the call with
 *    INVALID_ARGUMENT naming the input and the rule, and publishes nothing on NATS.
 * Valid values of the same inputs pass at both ends (so the checks can fail), and SQL fragments in
 * searches are data: the answer is a refusal or matches nothing, and the database is unchanged.
 *
 * The proxies load the shipped DDLs plus `rexinject`, a test agent with one input per validator
 * (shellsafe, ipv4address, ipv6address, a path regex, maxlength, list, integer, boolean).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, type NatsConnection } from 'nats';
import request from 'supertest';
import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { ProxyServiceClient } from '@protos/generated/rex/proxy/v1/ProxyService';
import { loadProxyProto } from '@protos/load';
import { ERROR_DETAILS_KEY } from '@proxy/grpc/grpc-status';
import { anAgentDdlJson, anInput } from '@test/fixtures/agent-ddl';
import { testDatabases } from '@test/support/databases';
import { PASSWORD, startAuthStack, type AuthStack } from '../ui-extension/auth/support/auth-stack';
import { DDL_DIRECTORY } from '../ui-extension/jobs/support/grpc-proxies';
import { databaseFingerprint, expectNoWrite } from './support/database-fingerprint';
import { withCallerSecret } from '@test/support/proxy-secret';

jest.setTimeout(180_000);

const NATS_URL = 'nats://127.0.0.1:4222';

/**
 * A relative path inside a folder: segments of word characters, dots and dashes that do not start
 * with a dot, so no `..`, no hidden file and no leading `/`. Written for Go's RE2 (no look-ahead),
 * as a Choria node must be able to apply the same rule.
 */
const RELATIVE_PATH = '^[\\w-][\\w.-]*(/[\\w-][\\w.-]*)*$';

function injectionDdl(): unknown {
  return anAgentDdlJson(
    {
      check: {
        command: anInput({ type: 'string', validation: 'shellsafe', maxlength: 200, optional: true }),
        file: anInput({ type: 'string', validation: RELATIVE_PATH, maxlength: 255, optional: true }),
        ipv4: anInput({ type: 'string', validation: 'ipv4address', maxlength: 15, optional: true }),
        ipv6: anInput({ type: 'string', validation: 'ipv6address', maxlength: 45, optional: true }),
        short: anInput({ type: 'string', validation: '.*', maxlength: 8, optional: true }),
        mode: anInput({ type: 'list', list: ['read', 'write'], optional: true }),
        count: anInput({ type: 'integer', optional: true }),
        flag: anInput({ type: 'boolean', optional: true }),
      },
    },
    { name: 'rexinject' },
  );
}

interface Case {
  what: string;
  agent: string;
  action: string;
  args: Record<string, unknown>;
  input: string;
  rule: string;
}

const task = { task: 'mymodule::mytask', environment: 'production', files: '[{"filename":"mytask.sh"}]' };

const REFUSED: Case[] = [
  // Shell metacharacters.
  { what: 'a command after ;', agent: 'package', action: 'install', args: { package: 'nginx; rm -rf /' }, input: 'package', rule: 'shellsafe' },
  { what: 'a command after &&', agent: 'package', action: 'install', args: { package: 'nginx', version: '1.0 && reboot' }, input: 'version', rule: 'shellsafe' },
  { what: 'command substitution', agent: 'package', action: 'status', args: { package: '$(reboot)' }, input: 'package', rule: 'shellsafe' },
  { what: 'backticks', agent: 'package', action: 'status', args: { package: '`id`' }, input: 'package', rule: 'shellsafe' },
  { what: 'a pipe', agent: 'package', action: 'uninstall', args: { package: 'vim | sh' }, input: 'package', rule: 'shellsafe' },
  { what: 'a redirection', agent: 'package', action: 'update', args: { package: 'x > /etc/passwd' }, input: 'package', rule: 'shellsafe' },
  { what: 'an input redirection', agent: 'rexinject', action: 'check', args: { command: 'cat < /etc/shadow' }, input: 'command', rule: 'shellsafe' },
  { what: 'substitution in Puppet tags', agent: 'puppet', action: 'runonce', args: { tags: 'apache,$(reboot)' }, input: 'tags', rule: 'puppet_tags' },
  { what: 'a command in a disable message', agent: 'puppet', action: 'disable', args: { message: 'maintenance; reboot' }, input: 'message', rule: 'shellsafe' },
  { what: 'a command in a service name', agent: 'service', action: 'restart', args: { service: 'sshd; reboot' }, input: 'service', rule: 'service_name' },
  // Path traversal.
  { what: 'a relative path climbing out', agent: 'rexinject', action: 'check', args: { file: '../../etc/passwd' }, input: 'file', rule: 'regex' },
  { what: 'an absolute path', agent: 'rexinject', action: 'check', args: { file: '/etc/shadow' }, input: 'file', rule: 'regex' },
  { what: 'a path climbing out midway', agent: 'rexinject', action: 'check', args: { file: 'modules/../../../root/.ssh/id_rsa' }, input: 'file', rule: 'regex' },
  { what: 'a hidden file', agent: 'rexinject', action: 'check', args: { file: 'home/.ssh/authorized_keys' }, input: 'file', rule: 'regex' },
  { what: 'a traversal as a task name', agent: 'bolt_tasks', action: 'download', args: { ...task, task: '../../etc/passwd' }, input: 'task', rule: 'bolt_task_name' },
  { what: 'a traversal as a task environment', agent: 'bolt_tasks', action: 'download', args: { ...task, environment: '../production' }, input: 'environment', rule: 'regex' },
  { what: 'a traversal as a Puppet environment', agent: 'puppet', action: 'runonce', args: { environment: '../../etc' }, input: 'environment', rule: 'puppet_variable' },
  // Oversized values.
  { what: 'a package name over 90 characters', agent: 'package', action: 'install', args: { package: 'a'.repeat(91) }, input: 'package', rule: 'maxlength' },
  { what: 'a package name of a million characters', agent: 'package', action: 'status', args: { package: 'p'.repeat(1_000_000) }, input: 'package', rule: 'maxlength' },
  { what: 'a disable message over 120 characters', agent: 'puppet', action: 'disable', args: { message: 'm'.repeat(121) }, input: 'message', rule: 'maxlength' },
  { what: 'a fact name over 512 characters', agent: 'rpcutil', action: 'get_fact', args: { fact: 'f'.repeat(513) }, input: 'fact', rule: 'maxlength' },
  { what: 'nine characters where eight fit', agent: 'rexinject', action: 'check', args: { short: '💥'.repeat(9) }, input: 'short', rule: 'maxlength' },
  // Addresses.
  { what: 'an IPv4 address out of range', agent: 'rexinject', action: 'check', args: { ipv4: '999.1.1.1' }, input: 'ipv4', rule: 'ipv4address' },
  { what: 'a command after an IPv4 address', agent: 'rexinject', action: 'check', args: { ipv4: '10.0.0.1;reboot' }, input: 'ipv4', rule: 'ipv4address' },
  { what: 'an IPv6 address for IPv4', agent: 'rexinject', action: 'check', args: { ipv4: '::1' }, input: 'ipv4', rule: 'ipv4address' },
  { what: 'a malformed IPv6 address', agent: 'rexinject', action: 'check', args: { ipv6: 'fe80::zz' }, input: 'ipv6', rule: 'ipv6address' },
  { what: 'an IPv4 address for IPv6', agent: 'rexinject', action: 'check', args: { ipv6: '127.0.0.1' }, input: 'ipv6', rule: 'ipv6address' },
  // Lists and types.
  { what: 'a command after a list value', agent: 'package', action: 'yum_clean', args: { mode: 'all; reboot' }, input: 'mode', rule: 'list' },
  { what: 'a value off the list', agent: 'rexinject', action: 'check', args: { mode: 'execute' }, input: 'mode', rule: 'list' },
  { what: 'SQL for an integer', agent: 'rexinject', action: 'check', args: { count: '1; DROP TABLE hosts' }, input: 'count', rule: 'type' },
  { what: 'text for a boolean', agent: 'rexinject', action: 'check', args: { flag: 'true; reboot' }, input: 'flag', rule: 'type' },
  { what: 'an array for a string', agent: 'package', action: 'status', args: { package: ['nginx', '; reboot'] }, input: 'package', rule: 'type' },
  { what: 'an operator object for a string', agent: 'package', action: 'status', args: { package: { $gt: '' } }, input: 'package', rule: 'type' },
  { what: 'an input the action does not have', agent: 'package', action: 'status', args: { package: 'nginx', command: 'reboot' }, input: 'command', rule: 'unknown_input' },
];

/** The same inputs with values the rules allow: both ends accept them. */
const ACCEPTED: Array<Omit<Case, 'input' | 'rule'>> = [
  { what: 'every rexinject input valid', agent: 'rexinject', action: 'check', args: { command: 'ls -l /tmp', file: 'modules/app/files/app.conf', ipv4: '10.0.0.1', ipv6: 'fe80::1', short: '💥'.repeat(8), mode: 'read', count: 3, flag: true } },
  { what: 'a quote in a package name, which is data', agent: 'package', action: 'status', args: { package: "nginx' OR '1'='1" } },
  { what: 'a valid task download', agent: 'bolt_tasks', action: 'download', args: task },
];

/** SQL and LIKE fragments in Foreman searches, on the lists that take a search. */
const HOSTILE_SEARCHES = [
  `name = "x' OR '1'='1"`,
  `name = "' OR 1=1 --"`,
  `name ~ "%' UNION SELECT login, password_hash FROM users --"`,
  `hostgroup = "web'); DROP TABLE hosts; --"`,
  `facts.osfamily = "' OR ''='"`,
  `name = "a\\" OR 1=1 --"`,
  `description ~ "'; DELETE FROM job_invocations; --"`,
  `login = "admin' --"`,
];
const SEARCHABLE = ['/api/v2/hosts', '/api/v2/hostgroups', '/api/v2/fact_names', '/api/v2/remote_execution/jobs', '/api/v2/remote_execution/actions', '/api/v2/audits', '/api/v2/users', '/api/v2/roles', '/api/v2/filters', '/api/v2/smart_proxies'];

function collect(stream: grpc.ClientReadableStream<ExecuteEvent__Output>): Promise<ExecuteEvent__Output[]> {
  return new Promise((resolve, reject) => {
    const events: ExecuteEvent__Output[] = [];
    stream.on('data', (event: ExecuteEvent__Output) => events.push(event));
    stream.on('end', () => resolve(events));
    stream.on('error', reject);
  });
}

describe.each(testDatabases())('injection on $kind', (database) => {
  let s: AuthStack;
  let ddlDir: string;
  let client: ProxyServiceClient;
  let nats: NatsConnection;
  /** Every message on proxy-a's collective: a refused call must publish none. */
  const published: string[] = [];
  let fingerprint: () => Promise<string>;

  beforeAll(async () => {
    ddlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-inject-ddl-'));
    for (const file of fs.readdirSync(DDL_DIRECTORY).filter((f) => f.endsWith('.json'))) fs.copyFileSync(path.join(DDL_DIRECTORY, file), path.join(ddlDir, file));
    fs.writeFileSync(path.join(ddlDir, 'rexinject.json'), JSON.stringify(injectionDdl()));
    s = await startAuthStack(database, { proxyConfig: { 'ddl.directory': ddlDir } });
    fingerprint = databaseFingerprint(s);
    const proto = loadProxyProto();
    client = new proto.rex.proxy.v1.ProxyService(s.proxies.a.url, grpc.credentials.createInsecure(), { interceptors: [withCallerSecret()] });
    nats = await connect({ servers: NATS_URL, name: 'injection-watch' });
    nats.subscribe(`${s.collectives.a}.>`, { callback: (_err, msg) => published.push(msg.subject) });
    await nats.flush();
  });

  afterAll(async () => {
    client?.close();
    await nats?.close();
    await s?.close();
    if (ddlDir) fs.rmSync(ddlDir, { recursive: true, force: true });
  });

  const execute = (c: Omit<Case, 'input' | 'rule'>, id: string) =>
    collect(client.Execute({ execution_id: id, agent: c.agent, action: c.action, arguments_json: JSON.stringify(c.args), identities: [s.hosts.webA.name], timeout_seconds: 3, caller: 'injection-test' }, { deadline: Date.now() + 20_000 }));

  it.each(REFUSED)('the API refuses $what in $agent#$action with 422 naming $input and $rule, and writes nothing', async (c) => {
    const res = await expectNoWrite(fingerprint, () => request(s.url).post('/api/v2/remote_execution/jobs').auth('admin', PASSWORD).send({ job: { namespace: c.agent, action: c.action, arguments: c.args, targeting: { host_ids: [s.hosts.webA.id] } } }));
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { input: c.input, rule: c.rule } });
    expect(res.body.error.message).toMatch(new RegExp(`^input ${c.input} (of|is not an input of) ${c.action}`));
  });

  it.each(REFUSED)('the proxy, called directly, refuses $what in $agent#$action with INVALID_ARGUMENT naming $input and $rule, and publishes nothing', async (c) => {
    const before = published.length;
    const error = (await execute(c, `inject-${Math.random().toString(36).slice(2)}`).then(() => undefined, (e: unknown) => e)) as grpc.ServiceError | undefined;
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(JSON.parse(String(error!.metadata.get(ERROR_DETAILS_KEY)[0]))).toEqual({ input: c.input, rule: c.rule });
    await nats.flush();
    expect(published.slice(before)).toEqual([]);
  });

  it.each(ACCEPTED)('both ends accept $what in $agent#$action', async (c) => {
    const res = await request(s.url).post('/api/v2/remote_execution/jobs').auth('admin', PASSWORD).send({ job: { namespace: c.agent, action: c.action, arguments: c.args, targeting: { host_ids: [s.hosts.webA.id] }, timeout: 3 } });
    expect(res.status).toBe(201);
    // Stored as data and read back as sent: the quote never reached SQL as SQL.
    const job = await s.waitFinal((res.body as { id: number }).id);
    expect((job as unknown as { arguments: Record<string, unknown> }).arguments).toMatchObject(c.args);
    const before = published.length;
    const events = await execute(c, `accept-${Math.random().toString(36).slice(2)}`);
    expect(events[0].event).toBe('started');
    expect(events.at(-1)?.event).toBe('summary');
    await nats.flush();
    expect(published.length).toBeGreaterThan(before);
  });

  it('treats SQL fragments in searches as data: every list refuses them or matches nothing, and the database is unchanged', async () => {
    const hostsBefore = ((await s.as('admin').get('/api/v2/hosts?per_page=1').expect(200)).body as { total: number }).total;
    const outcomes: string[] = [];
    await expectNoWrite(fingerprint, async () => {
      for (const list of SEARCHABLE) {
        for (const search of HOSTILE_SEARCHES) {
          const res = await s.as('admin').get(`${list}?search=${encodeURIComponent(search)}`);
          if (res.status === 200) {
            const body = res.body as { subtotal: number; results: unknown[] };
            if (body.subtotal !== 0 || body.results.length !== 0) outcomes.push(`${list} ${search}: matched ${body.subtotal}`);
          } else if (res.status !== 400 || typeof res.body.error?.message !== 'string') {
            outcomes.push(`${list} ${search}: ${res.status}`);
          }
        }
      }
    });
    expect(outcomes).toEqual([]);
    expect(((await s.as('admin').get('/api/v2/hosts?per_page=1').expect(200)).body as { total: number }).total).toBe(hostsBefore);
  });

  it('treats SQL fragments in a job targeting search as data: no host matches, so nothing runs', async () => {
    const res = await s.as('admin').post('/api/v2/remote_execution/jobs', { job: { namespace: 'rpcutil', action: 'ping', targeting: { search: `name = "x' OR '1'='1"` }, timeout: 3 } });
    // Refused as a targeting that matches no host (issue #17): never a job on every host.
    expect(res.status).toBe(422);
    expect((res.body as { error: { message: string } }).error.message).toMatch(/^targeting: search .* matches no host you may run rpcutil\.ping on/);
  });
});

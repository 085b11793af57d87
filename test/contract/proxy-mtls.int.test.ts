/**
 * The ui-extension's proxy client against a whole proxy (main.ts wiring, demo transport) over
 * mutual TLS with a throwaway PKI, plus the proxy's own action policy as the second line of
 * defence: what the client certificate and the policy files allow, and nothing else.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import { loadConfig } from '@proxy/config';
import { createLogger } from '@proxy/logger';
import { waitForAuditLines } from '@test/support/audit-log';
import { runProxy, type RunningProxy } from '@proxy/main';
import { silentLogger } from '@server/logger';
import { createProxyClients, type ProxyClients } from '@server/proxies/proxy-client';
import { makePki, type TestPki } from '@test/support/pki';

jest.setTimeout(60_000);

const ARGUMENTS: Record<string, Record<string, string>> = { package: { package: 'nginx' }, service: { service: 'nginx' } };

describe('proxy client to proxy over mutual TLS', () => {
  let pki: TestPki;
  let proxy: RunningProxy;
  let url: string;
  let auditFile: string;
  const clients: ProxyClients[] = [];

  function clientWith(cert?: { cert: string; key: string }, plaintextLoopback = false): ProxyClients {
    const c = createProxyClients({
      deadlineMs: 5000,
      logger: silentLogger(),
      plaintextLoopback,
      tls: cert ? { ca: fs.readFileSync(pki.ca), cert: fs.readFileSync(cert.cert), key: fs.readFileSync(cert.key) } : undefined,
    });
    clients.push(c);
    return c;
  }

  function run(c: ProxyClients, agent: string, action: string, identities: string[], caller: string): Promise<ExecuteEvent__Output[]> {
    const events: ExecuteEvent__Output[] = [];
    return c.execute(url, { execution_id: `mtls-${agent}-${action}-${caller}-${Date.now()}`, agent, action, arguments_json: JSON.stringify(ARGUMENTS[agent] ?? {}), identities, caller }, (e) => events.push(e)).then(() => events);
  }

  beforeAll(async () => {
    pki = makePki();
    const serverCert = pki.issue('localhost', { dns: ['localhost'], ip: ['127.0.0.1'], usage: 'server' });
    const policies = path.join(pki.dir, 'policies');
    fs.mkdirSync(policies);
    // Anyone may ping; only members of the ops group may ask package status; nobody may install.
    fs.writeFileSync(path.join(policies, 'rpcutil.policy'), 'policy default deny\nallow\t*\tping\t*\t*\n');
    fs.writeFileSync(path.join(policies, 'package.policy'), 'policy default deny\ndeny\t*\tinstall uninstall\t*\t*\nallow\tops\tstatus\t*\t*\n');
    fs.writeFileSync(path.join(policies, 'groups'), 'ops user=alice user=bob\n');
    auditFile = path.join(pki.dir, 'audit.log');
    const config = loadConfig({
      env: {
        PROXY_PLUGIN_NAME: 'mtls-proxy', PROXY_PLUGIN_GRPC_HOST: '127.0.0.1', PROXY_PLUGIN_GRPC_PORT: '0', PROXY_PLUGIN_TRANSPORT: 'demo',
        PROXY_PLUGIN_DEMO_NODE_COUNT: '4', PROXY_PLUGIN_DEMO_NAME_PREFIX: 'mtls-node', PROXY_PLUGIN_LOG_LEVEL: 'silent', PROXY_PLUGIN_AUDIT_FILE: auditFile,
        PROXY_PLUGIN_GRPC_TLS_CERT_FILE: serverCert.cert, PROXY_PLUGIN_GRPC_TLS_KEY_FILE: serverCert.key, PROXY_PLUGIN_GRPC_TLS_CLIENT_CA_FILE: pki.ca,
        PROXY_PLUGIN_GRPC_TLS_TRUSTED_CLIENTS: 'foreman.example.com', PROXY_PLUGIN_POLICY_DIRECTORY: policies,
      },
    });
    proxy = await runProxy(config, createLogger({ level: 'silent' }));
    url = `localhost:${proxy.port}`;
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await proxy?.stop();
    pki?.cleanup();
  });

  it('reaches the proxy with the trusted client certificate', async () => {
    const c = clientWith(pki.issue('foreman.example.com', { usage: 'client' }));
    await expect(c.getInfo(url)).resolves.toMatchObject({ name: 'mtls-proxy', demo: true });
  });

  it('gets PERMISSION_DENIED naming the proxy when its certificate name is not trusted', async () => {
    const c = clientWith(pki.issue('laptop.example.com', { usage: 'client' }));
    await expect(c.getInfo(url)).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining(`smart proxy ${url}`) });
  });

  it('cannot fall back to plain text against a TLS proxy even on loopback', async () => {
    await expect(clientWith(undefined, true).getInfo(url)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('refuses to open a channel without a client certificate unless plain text to loopback is allowed', async () => {
    await expect(clientWith(undefined, false).getInfo(url)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('proxies.tls') });
    await expect(clientWith(undefined, true).getInfo('proxy.example.com:50051')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('runs what the policy allows and refuses what it does not, before anything reaches the nodes', async () => {
    const c = clientWith(pki.issue('foreman.example.com', { usage: 'client' }));
    const nodes = (await c.listNodes(url)).map((n) => n.identity);
    expect(nodes).toHaveLength(4);

    const ping = await run(c, 'rpcutil', 'ping', nodes, 'carol');
    expect(ping[ping.length - 1].summary).toMatchObject({ state: 'EXECUTION_STATE_COMPLETED', succeeded: 4 });
    const status = await run(c, 'package', 'status', nodes, 'alice');
    expect(status[status.length - 1].summary).toMatchObject({ state: 'EXECUTION_STATE_COMPLETED', expected: 4 });

    await expect(run(c, 'package', 'status', nodes, 'carol')).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('no rule matches user=carol package.status') });
    await expect(run(c, 'package', 'install', nodes, 'alice')).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('package.policy line 2 denies user=alice package.install') });
    await expect(run(c, 'service', 'status', nodes, 'alice')).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('no policy file for agent service') });

    type Line = { caller: string; agent: string; action: string; outcome: { state: string } };
    const rejected = (lines: Line[]) => lines.filter((l) => l.outcome.state === 'rejected').map((l) => `${l.caller} ${l.agent}.${l.action}`).sort();
    const audit = await waitForAuditLines<Line>(auditFile, (lines) => rejected(lines).length >= 3);
    expect(rejected(audit)).toEqual(['alice package.install', 'alice service.status', 'carol package.status']);
  });
});

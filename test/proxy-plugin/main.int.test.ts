/**
 * The whole proxy as main.ts wires it, with the demo transport (the in-process fleet) and a real
 * gRPC client: config -> broker -> DDLs -> executions -> server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';

import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import type { ProxyInfo__Output } from '@protos/generated/rex/proxy/v1/ProxyInfo';
import { loadProxyProto } from '@protos/load';
import { loadConfig } from '@proxy/config';
import { createLogger } from '@proxy/logger';
import { runProxy, type RunningProxy } from '@proxy/main';
import { waitForAuditLines } from '@test/support/audit-log';
import { TEST_PROXY_SECRET, withCallerSecret } from '@test/support/proxy-secret';

describe(runProxy.name, () => {
  const lines: Array<Record<string, unknown>> = [];
  const auditFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-main-')), 'audit.log');
  let proxy: RunningProxy;
  let client: InstanceType<ReturnType<typeof loadProxyProto>['rex']['proxy']['v1']['ProxyService']>;

  beforeAll(async () => {
    const config = loadConfig({
      env: { PROXY_PLUGIN_TRANSPORT: 'demo', PROXY_PLUGIN_GRPC_PORT: '0', PROXY_PLUGIN_NAME: 'puppet-demo', PROXY_PLUGIN_DEMO_NODE_COUNT: '12', PROXY_PLUGIN_AUDIT_FILE: auditFile, PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET },
    });
    proxy = await runProxy(config, createLogger({ level: 'info', destination: { write: (line) => lines.push(JSON.parse(line)) } }));
    client = new (loadProxyProto().rex.proxy.v1.ProxyService)(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure(), { interceptors: [withCallerSecret()] });
  });

  afterAll(async () => {
    client.close();
    await proxy.stop();
  });

  it('logs one "proxy listening" line with the port it bound', () => {
    const listening = lines.filter((line) => line.msg === 'proxy listening');
    expect(listening).toHaveLength(1);
    expect(listening[0].port).toBe(proxy.port);
    expect(proxy.port).toBeGreaterThan(0);
  });

  it('reports the demo transport through GetInfo', async () => {
    const info = await new Promise<ProxyInfo__Output>((resolve, reject) => client.GetInfo({}, (error, value) => (error ? reject(error) : resolve(value as ProxyInfo__Output))));
    expect(info).toMatchObject({ name: 'puppet-demo', transport: 'TRANSPORT_DEMO', demo: true, broker_url: 'demo://puppet-demo' });
  });

  it('runs rpcutil ping on every demo node and audits it when executing through gRPC', async () => {
    const nodes = await new Promise<string[]>((resolve, reject) => {
      const found: string[] = [];
      const stream = client.ListNodes({ discovery_timeout_ms: 500 });
      stream.on('data', (node: { identity: string }) => found.push(node.identity));
      stream.on('end', () => resolve(found));
      stream.on('error', reject);
    });
    expect(nodes).toHaveLength(12);
    const events = await new Promise<ExecuteEvent__Output[]>((resolve, reject) => {
      const seen: ExecuteEvent__Output[] = [];
      const stream = client.Execute({ execution_id: 'main-1', agent: 'rpcutil', action: 'ping', arguments_json: '{}', identities: nodes, caller: 'admin' });
      stream.on('data', (event: ExecuteEvent__Output) => seen.push(event));
      stream.on('end', () => resolve(seen));
      stream.on('error', reject);
    });
    expect(events[events.length - 1].summary).toMatchObject({ state: 'EXECUTION_STATE_COMPLETED', expected: 12, succeeded: 12 });
    expect(JSON.parse(events.find((e) => e.result)?.result?.data_json ?? '{}')).toHaveProperty('pong');
    const audit = await waitForAuditLines<{ execution_id?: string }>(auditFile, (lines) => lines.some((line) => line.execution_id === 'main-1'));
    expect(audit.find((line) => line.execution_id === 'main-1')).toMatchObject({ caller: 'admin', agent: 'rpcutil', action: 'ping', targets: { count: 12 } });
  });

  it('applies the built-in action policy when no policy directory is set, refusing and auditing a caller that is not a ui-extension user', async () => {
    expect(lines.some((line) => line.msg === 'built-in action policy: ui-extension users, actions with a DDL on this proxy')).toBe(true);
    const error = await new Promise<grpc.ServiceError>((resolve, reject) => {
      const stream = client.Execute({ execution_id: 'main-policy', agent: 'rpcutil', action: 'ping', arguments_json: '{}', identities: ['demo-node00001'], caller: 'mallory; rm -rf /' });
      stream.on('data', () => reject(new Error('expected the call to be refused')));
      stream.on('error', resolve);
    });
    expect(error).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: expect.stringContaining('built-in policy: caller "user=mallory; rm -rf /" is not user=<ui-extension login>') });
    const audit = await waitForAuditLines<{ execution_id?: string; outcome?: { state: string } }>(auditFile, (found) => found.some((line) => line.execution_id === 'main-policy'));
    expect(audit.find((line) => line.execution_id === 'main-policy')?.outcome).toMatchObject({ state: 'rejected' });
  });
});

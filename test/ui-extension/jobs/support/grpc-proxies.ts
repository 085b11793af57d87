/**
 * Real smart proxies for the job tests and the job benchmark: each one is the proxy-plugin as
 * production starts it (`runProxy`: config, DDL directory, Choria client on the real NATS,
 * executions, audit, gRPC server on 127.0.0.1:0), reached through the ui-extension's only gRPC
 * client (`createProxyClients`). Nothing between the job service and the broker is replaced.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createDdlRegistry, loadDdlDirectory, toAgentDdl } from '@proxy/actions/ddl-registry';
import { withPuppetRunInputs } from '@proxy/actions/puppet-run.runner';
import { loadConfig as loadProxyConfig } from '@proxy/config';
import { silentLogger as proxySilentLogger } from '@proxy/logger';
import { runProxy, type RunningProxy } from '@proxy/main';
import type { AgentDdl__Output } from '@protos/generated/rex/proxy/v1/AgentDdl';
import { silentLogger } from '@server/logger';
import { createProxyClients, type ProxyClients } from '@server/proxies/proxy-client';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

/** From the sources, or from the checkout npm runs in when compiled (dist has no DDL copies). */
export const DDL_DIRECTORY = [path.resolve(__dirname, '../../../../proxy-plugin/ddl'), path.resolve(process.cwd(), 'proxy-plugin/ddl')].find((dir) => fs.existsSync(dir)) ?? 'proxy-plugin/ddl';

/** The agents of the proxy-plugin's DDL directory, as ListAgents returns them. */
export function proxyPluginAgents(): AgentDdl__Output[] {
  return createDdlRegistry(loadDdlDirectory(DDL_DIRECTORY).agents, { adapt: withPuppetRunInputs }).list().map((a) => toAgentDdl(a)) as unknown as AgentDdl__Output[];
}

export interface TestProxy {
  name: string;
  /** `127.0.0.1:<port>`, the URL a smart proxy row holds. */
  url: string;
  /** The proxy's audit log (one JSON line per request). */
  auditFile: string;
  /** Port of the proxy's metrics listener, when the overrides turn `metrics.enabled` on. */
  metricsPort?: number;
  stop(): Promise<void>;
}

export interface TestProxyOptions {
  name: string;
  natsUrl: string;
  /** A collective of the test's own, so its discovery never reaches another test's fleet. */
  collective: string;
  /** More proxy config by dotted path (e.g. the Puppet Tasks keys). */
  overrides?: Record<string, unknown>;
}

/** Starts one proxy-plugin on the Choria transport, exactly as `npm start` starts its proxies. */
export async function startTestProxy(options: TestProxyOptions): Promise<TestProxy> {
  const auditDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-proxy-audit-'));
  const config = loadProxyConfig({
    env: {},
    overrides: {
      name: options.name,
      transport: 'choria',
      'nats.url': options.natsUrl,
      collectives: [options.collective],
      main_collective: options.collective,
      'identity.senderid': options.name,
      // The test fleet accepts unsigned requests; x509 signing has its own tests (choria.client).
      'security.mode': 'insecure',
      'grpc.host': '127.0.0.1',
      'grpc.port': 0,
      // Plain text on loopback, as the all-in-one start; mutual TLS has its own tests (contract/proxy-mtls).
      'grpc.plaintext': true,
          'grpc.caller_secret': TEST_PROXY_SECRET,
      'ddl.directory': DDL_DIRECTORY,
      'audit.file': path.join(auditDir, 'audit.log'),
      'executions.max_retained': 1000,
      ...options.overrides,
    },
  });
  const running: RunningProxy = await runProxy(config, proxySilentLogger());
  return {
    name: options.name,
    url: `127.0.0.1:${running.port}`,
    auditFile: path.join(auditDir, 'audit.log'),
    metricsPort: running.metricsPort,
    async stop() {
      await running.stop();
      fs.rmSync(auditDir, { recursive: true, force: true });
    },
  };
}

/** A loopback address nothing listens on: a proxy that is down (connection refused). */
export async function unreachableProxyUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

/** The ui-extension's production gRPC client, as server.ts creates it for the all-in-one start (plain text to loopback proxies). */
export function createTestProxyClient(deadlineMs = 10_000): ProxyClients {
  return createProxyClients({ deadlineMs, logger: silentLogger(), plaintextLoopback: true, callerSecret: TEST_PROXY_SECRET });
}

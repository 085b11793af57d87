/**
 * The real proxy-plugin (runProxy: config -> MCollective client -> DDLs -> gRPC server) pointed at
 * a test fleet, configured through the same environment variables an operator would set.
 */
import { loadConfig } from '@proxy/config';
import { createLogger } from '@proxy/logger';
import { runProxy, type RunningProxy } from '@proxy/main';

import { DEBIAN_AGENT_DDL_DIRECTORY, FLEET_AGENT_DIRECTORY, type McollectiveFleet } from './mcollective-fleet';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

/** `env` adds or overrides variables ('' unsets one), e.g. the TLS files or a pool. */
export async function startMcollectiveProxy(fleet: McollectiveFleet, options: { name: string; auditFile: string; env?: Record<string, string> }): Promise<RunningProxy> {
  const config = loadConfig({
    env: {
      PROXY_PLUGIN_NAME: options.name,
      PROXY_PLUGIN_GRPC_PORT: '0',
      PROXY_PLUGIN_GRPC_PLAINTEXT: 'true',
      PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET,
      PROXY_PLUGIN_TRANSPORT: 'mcollective',
      PROXY_PLUGIN_MCOLLECTIVE_HOST: fleet.host,
      PROXY_PLUGIN_MCOLLECTIVE_PORT: String(fleet.stompPort),
      PROXY_PLUGIN_MCOLLECTIVE_CONNECTOR: fleet.connector,
      PROXY_PLUGIN_MCOLLECTIVE_VHOST: fleet.vhost,
      PROXY_PLUGIN_MCOLLECTIVE_USER: fleet.user,
      PROXY_PLUGIN_MCOLLECTIVE_PASSWORD: fleet.password,
      PROXY_PLUGIN_MCOLLECTIVE_PSK: fleet.psk,
      PROXY_PLUGIN_MCOLLECTIVE_DDL_DIRECTORIES: `${DEBIAN_AGENT_DDL_DIRECTORY},${FLEET_AGENT_DIRECTORY}`,
      PROXY_PLUGIN_CALLERID: 'uid=rex',
      PROXY_PLUGIN_IDENTITY: 'rex-proxy.mco.test',
      PROXY_PLUGIN_AUDIT_FILE: options.auditFile,
      PROXY_PLUGIN_LOG_LEVEL: 'silent',
      ...options.env,
    },
  });
  return runProxy(config, createLogger({ level: 'silent' }));
}

/** The proxy connects in the background; GetInfo says when it is on the broker. */
export async function waitBrokerConnected(clients: { getInfo(url: string): Promise<{ broker_connected: boolean }> }, url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await clients.getInfo(url)).broker_connected) {
    if (Date.now() > deadline) throw new Error(`proxy ${url} did not connect to the MCollective broker within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A proxy-plugin process on the MCollective transport, pointed at a real test fleet
 * (test/fleet/mcollective), configured through the environment variables an operator would set.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEBIAN_AGENT_DDL_DIRECTORY, FLEET_AGENT_DIRECTORY, type McollectiveFleet } from '@test/fleet/mcollective/mcollective-fleet';
import { startProcess, type Proc } from './processes';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

const ROOT = path.resolve(__dirname, '../../..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.cjs');

/** Starts the proxy on `port`; `psk` replaces the fleet's (a proxy configured with the wrong one); `env` adds or overrides variables ('' unsets one). */
export async function startMcollectiveProxyProcess(fleet: McollectiveFleet, options: { name: string; port: number; psk?: string; env?: Record<string, string> }): Promise<Proc> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-fault-mco-proxy-'));
  const proc = startProcess(`proxy ${options.name}`, process.execPath, ['-r', REGISTER, path.join(ROOT, 'proxy-plugin', 'src', 'main.ts')], {
    PROXY_PLUGIN_NAME: options.name,
    PROXY_PLUGIN_GRPC_HOST: '127.0.0.1',
    PROXY_PLUGIN_GRPC_PORT: String(options.port),
    PROXY_PLUGIN_GRPC_PLAINTEXT: 'true',
    // The caller secret of the proxyauth work (test/support/proxy-secret.ts on main); ignored before it.
    PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET,
    PROXY_PLUGIN_TRANSPORT: 'mcollective',
    PROXY_PLUGIN_MCOLLECTIVE_HOST: fleet.host,
    PROXY_PLUGIN_MCOLLECTIVE_PORT: String(fleet.stompPort),
    PROXY_PLUGIN_MCOLLECTIVE_CONNECTOR: fleet.connector,
    PROXY_PLUGIN_MCOLLECTIVE_VHOST: fleet.vhost,
    PROXY_PLUGIN_MCOLLECTIVE_USER: fleet.user,
    PROXY_PLUGIN_MCOLLECTIVE_PASSWORD: fleet.password,
    PROXY_PLUGIN_MCOLLECTIVE_PSK: options.psk ?? fleet.psk,
    PROXY_PLUGIN_MCOLLECTIVE_DDL_DIRECTORIES: `${DEBIAN_AGENT_DDL_DIRECTORY},${FLEET_AGENT_DIRECTORY}`,
    PROXY_PLUGIN_CALLERID: 'uid=rex',
    PROXY_PLUGIN_IDENTITY: `${options.name}.mco.test`,
    PROXY_PLUGIN_AUDIT_FILE: path.join(dir, 'audit.log'),
    PROXY_PLUGIN_LOG_LEVEL: 'info',
    ...options.env,
  });
  await proc.waitForLine((line) => line.includes('"msg":"broker connected"'), 60_000);
  return proc;
}

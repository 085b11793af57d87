/**
 * The set-up the MCollective end-to-end files share (mcollective-job, mcollective-puppet-run): real
 * mcollectived daemons, the real proxy-plugin on them (runProxy on the MCollective transport, its
 * audit log in a scratch folder), and the ui-extension's gRPC proxy clients once that proxy is on
 * the broker; then, per database, the fleet seeded as the hosts of hostgroup `mco` behind the proxy
 * and the real ui-extension app on that database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { RunningProxy } from '@proxy/main';
import { silentLogger } from '@server/logger';
import { createProxyClients, type ProxyClients } from '@server/proxies/proxy-client';
import { startMcollectiveFleet, type McollectiveFleet, type McollectiveFleetOptions } from '@test/fleet/mcollective/mcollective-fleet';
import { startMcollectiveProxy, waitBrokerConnected } from '@test/fleet/mcollective/mcollective-proxy';
import { openTestDataSource, type OpenTestDataSource, type TestDatabase } from '@test/support/databases';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';
import { seedInventory, startJobApp, type JobApp, type SeededInventory } from '@test/ui-extension/jobs/support/job-stack';

/** The hostgroup every fleet node is seeded in. */
export const MCO_HOSTGROUP = 'mco';

/** What the tests use; read it inside tests and hooks (beforeAll fills it). */
export interface McollectiveSuite {
  readonly proxyName: string;
  readonly fleet: McollectiveFleet;
  readonly proxy: RunningProxy;
  readonly clients: ProxyClients;
  /** The proxy's gRPC address. */
  readonly url: string;
}

export interface McollectiveSuiteOptions {
  /** The smart proxy's name, as the proxy-plugin reports it and the inventory registers it. */
  proxyName: string;
  fleet: McollectiveFleetOptions;
  /** Added to the proxy's environment (startMcollectiveProxy `env`). */
  proxyEnv?: Record<string, string>;
}

const ready = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`mcollectiveSuite: no ${what} yet (read it inside a test or hook)`);
  return value;
};

/** Starts the fleet, the proxy and the clients for the describe block it is called in, and stops them after it. */
export function mcollectiveSuite(options: McollectiveSuiteOptions): McollectiveSuite {
  let fleet: McollectiveFleet | undefined;
  let proxy: RunningProxy | undefined;
  let clients: ProxyClients | undefined;
  let auditDir: string | undefined;

  beforeAll(async () => {
    auditDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-mco-audit-'));
    fleet = await startMcollectiveFleet(options.fleet);
    proxy = await startMcollectiveProxy(fleet, { name: options.proxyName, auditFile: path.join(auditDir, 'audit.log'), env: options.proxyEnv });
    clients = createProxyClients({ deadlineMs: 10_000, logger: silentLogger(), plaintextLoopback: true, callerSecret: TEST_PROXY_SECRET });
    await waitBrokerConnected(clients, `127.0.0.1:${proxy.port}`);
  }, 180_000);

  afterAll(async () => {
    clients?.close();
    await proxy?.stop();
    await fleet?.stop();
    if (auditDir) fs.rmSync(auditDir, { recursive: true, force: true });
  }, 60_000);

  return {
    proxyName: options.proxyName,
    get fleet() { return ready(fleet, 'fleet'); },
    get proxy() { return ready(proxy, 'proxy'); },
    get clients() { return ready(clients, 'proxy clients'); },
    get url() { return `127.0.0.1:${ready(proxy, 'proxy').port}`; },
  };
}

/** What a test of one database uses; read it inside tests and hooks. */
export interface McollectiveJobApp {
  readonly app: JobApp;
  readonly seeded: SeededInventory;
}

/**
 * Seeds the suite's fleet into a scratch `database` (hostgroup `mco`, every node behind the proxy,
 * with its facts) and starts the ui-extension app on it, for the describe block it is called in
 * (inside `describe.each(testDatabases())`).
 */
export function mcollectiveJobApp(suite: McollectiveSuite, database: TestDatabase): McollectiveJobApp {
  let db: OpenTestDataSource | undefined;
  let app: JobApp | undefined;
  let seeded: SeededInventory | undefined;

  beforeAll(async () => {
    db = await openTestDataSource(database);
    seeded = await seedInventory(db.dataSource, {
      hostgroups: [MCO_HOSTGROUP],
      proxies: [{ name: suite.proxyName, url: suite.url, capabilities: ['remote_execution', 'mcollective'] }],
      hosts: suite.fleet.nodes.map((n) => ({ name: n.identity, hostgroup: MCO_HOSTGROUP, proxy: suite.proxyName, facts: n.facts })),
    });
    app = await startJobApp({ dataSource: db.dataSource, proxies: suite.clients });
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  return {
    get app() { return ready(app, 'app'); },
    get seeded() { return ready(seeded, 'seeded inventory'); },
  };
}

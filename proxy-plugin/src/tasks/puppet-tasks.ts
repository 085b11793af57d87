/**
 * Puppet Tasks for one proxy, wired from its config: the Puppet Server client, the task catalog
 * (the `tasks` namespace in the DDL registry) and the runner that executes tasks through bolt_tasks.
 * Absent when no Puppet Server is configured.
 */
import type { DdlRegistry } from '@proxy/actions/ddl-registry';
import type { ActionRunner } from '@proxy/actions/executions';
import type { BrokerClient } from '@proxy/broker/broker-client';
import type { Config } from '@proxy/config';
import type { Logger } from '@proxy/logger';

import { createPuppetServerClient } from './puppet-server.client';
import { createTaskCatalog, type TaskCatalog } from './task-catalog';
import { createTaskRunner } from './task-runner';
import { TASKS_AGENT } from './task-spec';

/** Well inside the ui-extension's default 10 s deadline for ListAgents. */
const LIST_AGENTS_WAIT_MS = 3000;
/** A proxy refresh waits longer for the whole catalog, still inside that deadline. */
const REFRESH_WAIT_MS = 8000;

export interface PuppetTasks {
  catalog: TaskCatalog;
  /** Runners by agent name, for the execution registry. */
  runners: Record<string, ActionRunner>;
  /** Before an Execute: a task run reads its metadata and file sha256s from the Puppet Server now. */
  beforeExecute(agent: string, action: string): Promise<void>;
  /**
   * Before ListAgents: refresh a stale catalog (every time when `refresh`, as a proxy refresh asks),
   * waiting at most a few seconds so that a slow Puppet Server cannot make the caller's deadline
   * pass; the refresh goes on in the background.
   */
  beforeListAgents(refresh?: boolean): Promise<void>;
  close(): void;
}

export function createPuppetTasks(config: Config['tasks'], deps: { registry: DdlRegistry; broker: BrokerClient; logger: Logger }): PuppetTasks | undefined {
  if (!config.puppet_server_url) return undefined;
  const server = createPuppetServerClient({
    url: config.puppet_server_url,
    caFile: config.ca_file as string,
    certFile: config.cert_file as string,
    keyFile: config.key_file as string,
    requestTimeoutMs: config.request_timeout_ms,
  });
  const catalog = createTaskCatalog({
    server,
    registry: deps.registry,
    environment: config.environment,
    ttlMs: config.cache_ttl_s * 1000,
    timeoutSeconds: config.timeout_s,
    logger: deps.logger,
  });
  const runner = createTaskRunner({ broker: deps.broker, catalog, logger: deps.logger, statusIntervalMs: config.status_interval_ms });
  return {
    catalog,
    runners: { [TASKS_AGENT]: runner },
    beforeExecute: (agent, action) => (agent === TASKS_AGENT ? catalog.ensureTask(action) : Promise.resolve()),
    beforeListAgents: (refresh = false) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, refresh ? REFRESH_WAIT_MS : LIST_AGENTS_WAIT_MS);
        void (refresh ? catalog.refreshNow() : catalog.refreshIfStale()).finally(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
    close: () => server.close(),
  };
}

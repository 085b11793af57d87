/**
 * The tasks of one Puppet environment: the list and every task's metadata are read from the Puppet
 * Server, turned into the `tasks` namespace and put in the DDL registry, so ListAgents, validation
 * and audits treat tasks like any agent.
 *
 * Freshness (issue 26, docs/USAGE.md "Task freshness"): a run never trusts the cache. Before each
 * run the task's metadata and file sha256s are read again (one request; Puppet Server 7 answers the
 * task API without ETag or Last-Modified, so there is nothing cheaper to ask), and the run uses what
 * the server serves then, or is refused when the server cannot say. The list itself is cached for a
 * TTL for ListAgents, and a proxy refresh reads it again at once. When the server cannot be reached
 * for the list, the last good copy is kept (and logged): a restart must not make tasks vanish.
 */
import type { DdlRegistry } from '@proxy/actions/ddl-registry';
import { AppError, isAppError } from '@proxy/errors';
import type { Logger } from '@proxy/logger';

import type { PuppetServerClient, TaskDetails, TaskListEntry } from './puppet-server.client';
import { taskActionSpec, tasksAgentSpec } from './task-spec';

export interface TaskCatalog {
  readonly environment: string;
  /** Reads the list and metadata again when they are older than the TTL; never throws. */
  refreshIfStale(): Promise<void>;
  /** Reads the list and every task's metadata again now (a proxy refresh); never throws. */
  refreshNow(): Promise<void>;
  /**
   * Before a run: reads the task's metadata and files from the Puppet Server now, so the run (its
   * validation and the sha256s the nodes check) uses what the server serves at this moment. Throws
   * UNAVAILABLE (or the server's own error) when it cannot be read: running the cached copy could
   * run an old file. A task the server does not know is dropped and left to the registry lookup,
   * which names the known ones.
   */
  ensureTask(name: string): Promise<void>;
  /** The metadata and files of a task as last read (by ensureTask just before a run); fetched when missing. */
  details(name: string): Promise<TaskDetails>;
  /** When the list was last read (ms since the epoch), 0 before the first success. */
  loadedAt(): number;
}

export interface TaskCatalogDeps {
  server: PuppetServerClient;
  registry: DdlRegistry;
  environment: string;
  ttlMs: number;
  /** The namespace timeout: seconds a task may run when a job names none. */
  timeoutSeconds: number;
  logger: Logger;
  now?: () => number;
  /** Task metadata requests in flight at once during a refresh. */
  concurrency?: number;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      out[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function createTaskCatalog(deps: TaskCatalogDeps): TaskCatalog {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'tasks' });
  let tasks = new Map<string, { details: TaskDetails; listed?: TaskListEntry }>();
  let loaded = 0;
  let inflight: Promise<void> | undefined;

  function publish(): void {
    deps.registry.setAgent(
      tasksAgentSpec({
        serverUrl: deps.server.url,
        environment: deps.environment,
        timeoutSeconds: deps.timeoutSeconds,
        actions: [...tasks.values()].map(({ details, listed }) => taskActionSpec(details, listed)),
      }),
    );
  }

  async function load(): Promise<void> {
    const listed = await deps.server.listTasks(deps.environment);
    const fetched = await mapLimit(listed, deps.concurrency ?? 4, async (entry) => {
      try {
        return { details: await deps.server.getTask(entry.name, deps.environment), listed: entry };
      } catch (error) {
        // One task with unusable metadata must not hide the others.
        if (isAppError(error) && error.code !== 'UNAVAILABLE') {
          log.warn({ task: entry.name, err: error }, 'task skipped');
          return undefined;
        }
        throw error;
      }
    });
    tasks = new Map(fetched.filter((t): t is NonNullable<typeof t> => t !== undefined).map((t) => [t.details.name, t]));
    loaded = now();
    publish();
    log.info({ environment: deps.environment, tasks: tasks.size, server: deps.server.url }, 'task catalog loaded');
  }

  function refresh(): Promise<void> {
    if (!inflight) {
      inflight = load().finally(() => {
        inflight = undefined;
      });
    }
    return inflight;
  }

  const stale = (): boolean => loaded === 0 || now() - loaded >= deps.ttlMs;

  return {
    environment: deps.environment,
    async refreshIfStale() {
      if (!stale()) return;
      try {
        await refresh();
      } catch (error) {
        log.warn({ err: error, server: deps.server.url, cachedTasks: tasks.size }, 'task catalog refresh failed; keeping the last good copy');
      }
    },
    async refreshNow() {
      try {
        await refresh();
      } catch (error) {
        log.warn({ err: error, server: deps.server.url, cachedTasks: tasks.size }, 'task catalog refresh failed; keeping the last good copy');
      }
    },
    async ensureTask(name) {
      let details: TaskDetails;
      try {
        details = await deps.server.getTask(name, deps.environment);
      } catch (error) {
        if (isAppError(error) && (error.code === 'NOT_FOUND' || error.code === 'INVALID_ARGUMENT')) {
          if (tasks.delete(name)) publish();
          return;
        }
        if (isAppError(error) && error.code !== 'UNAVAILABLE') throw error;
        const reason = isAppError(error) ? error.message : `Puppet Server ${deps.server.url} cannot be reached`;
        throw new AppError('UNAVAILABLE', `task ${name} was not run: its current files could not be read (${reason}); the cached copy is not run because it may be an old one`, { cause: error });
      }
      const cached = tasks.get(name);
      if (cached && JSON.stringify(cached.details) === JSON.stringify(details)) return;
      if (cached) log.info({ task: name, sha256: details.files.map((f) => `${f.filename}:${f.sha256}`) }, 'task changed on the Puppet Server; running the new one');
      tasks.set(name, { details, listed: cached?.listed });
      publish();
    },
    async details(name) {
      const cached = tasks.get(name);
      if (cached) return cached.details;
      const details = await deps.server.getTask(name, deps.environment);
      tasks.set(name, { details });
      publish();
      return details;
    },
    loadedAt: () => loaded,
  };
}

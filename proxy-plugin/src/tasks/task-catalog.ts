/**
 * The tasks of one Puppet environment, cached for a TTL: the list and every task's metadata are
 * read from the Puppet Server, turned into the `tasks` namespace and put in the DDL registry, so
 * ListAgents, validation and audits treat tasks like any agent. When the server cannot be reached
 * the last good copy is kept (and logged): a Puppet Server restart must not make tasks vanish.
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
  /**
   * Makes sure `name` is known and fresh before a run; a task that is not in the list yet (just
   * deployed) triggers a refresh. Throws UNAVAILABLE when the server cannot be reached and nothing
   * is cached; an unknown task is left to the registry lookup, which names the known ones.
   */
  ensureTask(name: string): Promise<void>;
  /** The cached metadata and files of a task; fetched when missing. */
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

/** An unknown task refreshes at most this often, so a typo cannot hammer the Puppet Server. */
const UNKNOWN_TASK_REFRESH_MS = 2000;

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
  let attempted = 0;
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
    attempted = now();
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
    async ensureTask(name) {
      const unknownAndDue = !tasks.has(name) && now() - attempted >= UNKNOWN_TASK_REFRESH_MS;
      if (!stale() && !unknownAndDue) return;
      try {
        await refresh();
      } catch (error) {
        if (tasks.has(name)) {
          log.warn({ err: error, task: name }, 'task catalog refresh failed; running the cached task');
          return;
        }
        if (isAppError(error)) throw error;
        throw new AppError('UNAVAILABLE', `Puppet Server ${deps.server.url} cannot be reached`, { cause: error });
      }
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

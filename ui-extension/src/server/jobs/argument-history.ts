import type { ArgumentHistoryEntry } from '@common/argument-history';
import { parseExact } from '@protos/json-numbers';
import { actionScope, requirePermission, type CurrentUser } from '../auth/abilities';
import { jobScopeSql } from '../auth/scope-sql';
import { compileSearch } from '../search/compiler';
import type { ArgumentHistoryRepository } from './argument-history.repository';
import { ACTION_SEARCH } from './job-search';
import { SENSITIVE_MASK } from './sensitive-arguments';

export interface ArgumentHistoryDeps {
  repo: ArgumentHistoryRepository;
  dialect: 'mysql' | 'sqlite';
  clock: () => Date;
}

/**
 * "Reload arguments from history" (issue #19): the arguments earlier jobs of one namespace/action ran
 * with, each set once, newest run first, from the jobs the caller may see.
 */
export function createArgumentHistory(deps: ArgumentHistoryDeps) {
  return {
    async list(user: CurrentUser, query: { namespace: string; action: string; search?: string; page: number; perPage: number }): Promise<{ total: number; subtotal: number; results: ArgumentHistoryEntry[] }> {
      requirePermission(user, 'view_jobs', 'listing arguments from history');
      const visibility = jobScopeSql(actionScope(user, 'view_jobs'), { job: 'job', action: 'ra' }, user.id);
      const search = query.search && query.search.trim() !== '' ? compileSearch(query.search, ACTION_SEARCH, { dialect: deps.dialect, now: deps.clock() }) : undefined;
      const page = await deps.repo.list({ namespace: query.namespace, action: query.action, search, visibility, page: query.page, perPage: query.perPage });
      return {
        total: page.total,
        subtotal: page.subtotal,
        results: page.results.map((r) => {
          const args = parseExact(r.action.arguments) as Record<string, unknown>;
          return {
            remote_action_id: r.action.id,
            arguments: args,
            masked: Object.entries(args).filter(([, v]) => v === SENSITIVE_MASK).map(([k]) => k),
            run_count: r.runCount,
            last_job_id: r.lastJobId,
            last_run_at: r.lastRunAt.toISOString(),
          };
        }),
      };
    },
  };
}

export type ArgumentHistory = ReturnType<typeof createArgumentHistory>;

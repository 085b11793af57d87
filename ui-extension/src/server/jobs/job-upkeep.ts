import type { JobContext } from './job-context';

/** Between two sweeps for Puppet report lookups a dead instance left. */
const SWEEP_MS = 600_000;

/**
 * Running the job machinery of this instance: supervision (leases, take-over after a restart,
 * deadlines) through the dispatcher, and the retention purge of old host rows.
 */
export function createJobUpkeep(ctx: JobContext) {
  const { deps, repo, clock, logger, dispatcher } = ctx;
  let retentionTimer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> | undefined;

  /**
   * Puppet report lookups left in the database (puppet-run-reports.ts `recover`): all of them at
   * start-up; later only results older than the wait plus SWEEP_MS, which no live instance still holds.
   */
  function recoverReports(settledMs?: number): void {
    const reports = ctx.reports;
    if (!reports || sweeping) return;
    sweeping = reports.recover({ settledMs })
      .catch((error: unknown) => logger.warn({ err: error }, 'recovering puppet report lookups failed'))
      .finally(() => (sweeping = undefined));
  }

  /** Deletes host rows of jobs finished more than `retention_days` ago; job summaries stay. */
  async function purgeOldHosts(): Promise<{ jobs: number; hosts: number }> {
    const now = clock();
    const cutoff = new Date(now.getTime() - deps.config.retention_days * 86_400_000);
    const result = await repo.purgeHostsFinishedBefore(cutoff, now);
    if (result.jobs > 0) logger.info(result, 'purged host results past retention');
    return result;
  }

  return {
    purgeOldHosts,

    /**
     * Supervision (leases, take-over after a restart, deadlines), the daily retention purge, and the
     * Puppet report lookups a stopped instance left (puppet-run-reports.ts `recover`), in the background.
     */
    start(): void {
      dispatcher.startSupervisor();
      recoverReports();
      if (ctx.reports && !sweepTimer) {
        sweepTimer = setInterval(() => recoverReports((deps.puppetRunReports?.waitMs ?? 0) + SWEEP_MS), SWEEP_MS);
        sweepTimer.unref();
      }
      if (!retentionTimer) {
        retentionTimer = setInterval(() => void purgeOldHosts().catch((error: unknown) => logger.warn({ err: error }, 'retention purge failed')), deps.retentionIntervalMs ?? 3_600_000);
        retentionTimer.unref();
      }
    },

    /** Stops dispatching without finishing anything (another instance or a restart resumes). */
    async stop(): Promise<void> {
      if (retentionTimer) clearInterval(retentionTimer);
      retentionTimer = undefined;
      if (sweepTimer) clearInterval(sweepTimer);
      sweepTimer = undefined;
      await dispatcher.stop();
      await ctx.reports?.stop();
      await sweeping;
    },

    /** Resolves when this instance stops dispatching the job (tests, graceful shutdown). */
    whenDispatched: (id: number) => dispatcher.whenDone(id),
    waiters: ctx.waiters,
    slots: ctx.slots,
    /** Puppet run report lookups (puppet-run-reports.ts), when PuppetDB is configured. */
    puppetReports: ctx.reports,
  };
}

import type { Logger } from '../logger';

export interface ScheduleWakerDeps {
  schedules: { runDue(): Promise<unknown>; nextDueAt(): Promise<Date | null> };
  clock: () => Date;
  logger: Logger;
  /** The longest sleep: how soon a schedule made by another instance is noticed. */
  pollMs: number;
}

/** Between passes when the earliest due schedule is held by another instance (it is firing it). */
const BUSY_RETRY_MS = 25;

/**
 * Wakes the scheduler and nothing else (STYLE.md §1, scheduler/): a timer armed for the earliest
 * next occurrence in the database, never longer than `pollMs`, and `wake()` after a local change.
 * All state is in the database, so a restart or a second instance needs nothing from here.
 */
export function createScheduleWaker(deps: ScheduleWakerDeps) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;

  function arm(ms: number): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void pass(), ms);
    timer.unref();
  }

  async function pass(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    timer = undefined;
    let next: Date | null = null;
    running = (async () => {
      try {
        await deps.schedules.runDue();
        next = await deps.schedules.nextDueAt();
      } catch (error) {
        deps.logger.warn({ err: error }, 'scheduler pass failed; trying again at the next poll');
      }
    })();
    await running;
    running = undefined;
    if (again) {
      again = false;
      arm(0);
      return;
    }
    const due = next as Date | null;
    const wait = due === null ? deps.pollMs : due.getTime() - deps.clock().getTime();
    // Still due after a pass: another instance holds it and is firing it; look again shortly.
    arm(wait <= 0 ? BUSY_RETRY_MS : Math.min(deps.pollMs, wait + 1));
  }

  return {
    start(): void {
      if (!stopped) return;
      stopped = false;
      arm(0);
    },
    /** Looks again now (a schedule was created or changed here). */
    wake(): void {
      if (!stopped) arm(0);
    },
    /** Stops the timer and waits for a pass in progress. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

export type ScheduleWaker = ReturnType<typeof createScheduleWaker>;

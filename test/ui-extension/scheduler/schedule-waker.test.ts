/**
 * The waker with jest's fake timers and a fake scheduler (unit test: no database, no real timers).
 * It runs a pass at start, sleeps until the earliest next occurrence (never longer than the poll
 * interval), looks again at once on wake(), and stop() waits for a pass in progress.
 */
import { silentLogger } from '@server/logger';
import { createScheduleWaker } from '@server/scheduler/schedule-waker';

describe(createScheduleWaker.name, () => {
  let now: number;
  let next: Date | null;
  let passes: number[];
  let release: (() => void) | undefined;
  let hold: boolean;

  const schedules = {
    runDue: async () => {
      passes.push(now);
      if (hold) await new Promise<void>((resolve) => (release = resolve));
    },
    nextDueAt: async () => next,
  };

  beforeEach(() => {
    jest.useFakeTimers();
    now = 1_000_000;
    next = null;
    passes = [];
    hold = false;
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  const advance = async (ms: number) => {
    now += ms;
    await jest.advanceTimersByTimeAsync(ms);
  };
  const waker = (pollMs = 1000) => createScheduleWaker({ schedules, clock: () => new Date(now), logger: silentLogger(), pollMs });

  it('runs a pass at start and then every poll interval when nothing is scheduled', async () => {
    const w = waker();
    w.start();
    await advance(0);
    expect(passes).toEqual([1_000_000]);
    await advance(999);
    expect(passes).toHaveLength(1);
    await advance(1);
    expect(passes).toHaveLength(2);
    await w.stop();
  });

  it('wakes at the next occurrence when it comes before the poll interval', async () => {
    next = new Date(now + 300);
    const w = waker();
    w.start();
    await advance(0);
    await advance(300);
    // One millisecond after the occurrence, so it is due when the pass reads the clock.
    expect(passes).toEqual([1_000_000]);
    await advance(1);
    expect(passes).toEqual([1_000_000, 1_000_301]);
    await w.stop();
  });

  it('looks again shortly when an occurrence is still due after a pass (another instance holds it)', async () => {
    next = new Date(now - 10);
    const w = waker();
    w.start();
    await advance(0);
    await advance(25);
    expect(passes).toHaveLength(2);
    await w.stop();
  });

  it('runs a pass at once on wake()', async () => {
    const w = waker(60_000);
    w.start();
    await advance(0);
    w.wake();
    await advance(0);
    expect(passes).toHaveLength(2);
    await w.stop();
  });

  it('waits for a pass in progress on stop() and arms nothing after it', async () => {
    hold = true;
    const w = waker();
    w.start();
    await advance(0);
    let stopped = false;
    const stopping = w.stop().then(() => (stopped = true));
    await advance(0);
    expect(stopped).toBe(false);
    release!();
    await stopping;
    expect(stopped).toBe(true);
    await advance(5000);
    expect(passes).toHaveLength(1);
  });
});

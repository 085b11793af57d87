import { createJobWaiters } from '@server/jobs/job-waiters';
import { createHostSlots } from '@server/jobs/host-slots';

describe(createJobWaiters.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('wakes a waiter when its job is notified', async () => {
    const waiters = createJobWaiters();
    const woken = waiters.wait(1, 10_000);
    waiters.notify(1);
    await expect(woken).resolves.toBe(true);
    expect(waiters.size()).toBe(0);
  });

  it('does not wake waiters of another job', async () => {
    const waiters = createJobWaiters();
    const woken = waiters.wait(1, 1000);
    waiters.notify(2);
    await jest.advanceTimersByTimeAsync(1000);
    await expect(woken).resolves.toBe(false);
  });

  it('resolves false when the signal aborts', async () => {
    const waiters = createJobWaiters();
    const controller = new AbortController();
    const woken = waiters.wait(1, 10_000, controller.signal);
    controller.abort();
    await expect(woken).resolves.toBe(false);
    expect(waiters.size()).toBe(0);
  });
});

describe(createHostSlots.name, () => {
  it('grants at most the free capacity when more is wanted', async () => {
    const slots = createHostSlots(10);
    await expect(slots.acquire(25)).resolves.toBe(10);
    expect(slots.inFlight()).toBe(10);
  });

  it('serves a waiter when slots are released', async () => {
    const slots = createHostSlots(5);
    await slots.acquire(5);
    const next = slots.acquire(3);
    slots.release(2);
    await expect(next).resolves.toBe(2);
  });

  it('gives up waiting when the signal aborts', async () => {
    const slots = createHostSlots(1);
    await slots.acquire(1);
    const controller = new AbortController();
    const next = slots.acquire(1, controller.signal);
    controller.abort();
    await expect(next).resolves.toBe(0);
  });
});

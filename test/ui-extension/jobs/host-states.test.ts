import { applyTransitions, canTransition, emptyCounts, finalJobState, progressOf } from '@server/jobs/host-states';

describe(canTransition.name, () => {
  it('allows pending to running and running to a final state', () => {
    expect(canTransition('pending', 'running')).toBe(true);
    expect(canTransition('running', 'succeeded')).toBe(true);
  });

  it('allows pending straight to a final state when a result arrives before the running write', () => {
    expect(canTransition('pending', 'no_response')).toBe(true);
  });

  it('refuses any change when the host is already final', () => {
    for (const from of ['succeeded', 'failed', 'no_response', 'skipped', 'cancelled'] as const) {
      expect(canTransition(from, 'failed')).toBe(false);
      expect(canTransition(from, 'running')).toBe(false);
    }
  });

  it('refuses going back to pending', () => {
    expect(canTransition('running', 'pending')).toBe(false);
  });
});

describe(applyTransitions.name, () => {
  it('moves one count per change', () => {
    const counts = { ...emptyCounts(), pending: 3 };
    expect(applyTransitions(counts, [{ from: 'pending', to: 'running' }, { from: 'pending', to: 'skipped' }])).toMatchObject({ pending: 1, running: 1, skipped: 1 });
  });

  it('throws when a count would go negative', () => {
    expect(() => applyTransitions(emptyCounts(), [{ from: 'running', to: 'failed' }])).toThrow('negative');
  });
});

describe(finalJobState.name, () => {
  it('is null while a host is running', () => {
    expect(finalJobState({ ...emptyCounts(), running: 1, succeeded: 3 }, false)).toBeNull();
  });

  it('is succeeded when every host succeeded', () => {
    expect(finalJobState({ ...emptyCounts(), succeeded: 3 }, false)).toBe('succeeded');
  });

  it('is failed when any host was skipped', () => {
    expect(finalJobState({ ...emptyCounts(), succeeded: 3, skipped: 1 }, false)).toBe('failed');
  });

  it('is cancelled when a cancel was requested and hosts ended cancelled', () => {
    expect(finalJobState({ ...emptyCounts(), succeeded: 1, cancelled: 2 }, true)).toBe('cancelled');
  });

  it('is cancelled when a cancel cut off hosts that had been asked (no_response), though none ended cancelled', () => {
    expect(finalJobState({ ...emptyCounts(), succeeded: 1, no_response: 2 }, true)).toBe('cancelled');
    expect(finalJobState({ ...emptyCounts(), succeeded: 1, no_response: 2 }, false)).toBe('failed');
  });
});

describe(progressOf.name, () => {
  it('counts final states only', () => {
    expect(progressOf({ ...emptyCounts(), running: 1, pending: 1, succeeded: 1, skipped: 1 }, false)).toBe(50);
  });

  it('reads a job without hosts as done only once it ended (a scheduled job has none yet)', () => {
    expect(progressOf(emptyCounts(), false)).toBe(0);
    expect(progressOf(emptyCounts(), true)).toBe(100);
  });
});

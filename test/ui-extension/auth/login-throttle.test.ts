import { createLoginThrottle, memoryLoginLimiters, type Attempt } from '@server/auth/login-throttle';

// rate-limiter-flexible's memory store reads Date.now() and expires keys with setTimeout.
beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2026-03-01T10:00:00Z') });
});

afterEach(() => {
  jest.useRealTimers();
});

const throttle = (perLoginAndAddress = 10, unknownPerAddress = 30) =>
  createLoginThrottle(memoryLoginLimiters({ maxFailuresPerLoginAndAddress: perLoginAndAddress, maxUnknownLoginFailuresPerAddress: unknownPerAddress, windowS: 60 }));

const blocked = (attempts: Attempt[]) => attempts.map((a) => a.blocked);

describe(createLoginThrottle.name, () => {
  it('refuses the 11th attempt for one login from one address within a minute, and not the same login from another address', async () => {
    const t = throttle();
    for (let i = 0; i < 10; i++) expect((await t.begin('alice', '192.0.2.1', true)).blocked).toBe(false);
    jest.advanceTimersByTime(1000);
    expect(await t.begin('alice', '192.0.2.1', true)).toEqual({ blocked: true, by: 'login_address', retryAfterS: 59 });
    expect((await t.begin('alice', '198.51.100.9', true)).blocked).toBe(false);
  });

  it('counts login names case-insensitively', async () => {
    const t = throttle(2);
    await t.begin('Admin', '192.0.2.1', true);
    await t.begin('ADMIN', '192.0.2.1', true);
    expect((await t.begin('admin', '192.0.2.1', true)).blocked).toBe(true);
  });

  it('lets attempts through again once the window has passed', async () => {
    const t = throttle(2);
    await t.begin('bob', '192.0.2.1', true);
    await t.begin('bob', '192.0.2.1', true);
    jest.advanceTimersByTime(59_000);
    expect((await t.begin('bob', '192.0.2.1', true)).blocked).toBe(true);
    jest.advanceTimersByTime(1_001);
    expect((await t.begin('bob', '192.0.2.1', true)).blocked).toBe(false);
  });

  it('does not count attempts that succeeded', async () => {
    const t = throttle(2);
    for (let i = 0; i < 5; i++) {
      const attempt = await t.begin('carol', '192.0.2.1', true);
      expect(attempt.blocked).toBe(false);
      if (!attempt.blocked) await attempt.succeeded();
    }
  });

  it('counts an attempt from the moment it begins, so parallel guesses cannot pass the limit together', async () => {
    const t = throttle(3);
    const started = await Promise.all([0, 1, 2, 3, 4].map(() => t.begin('dave', '192.0.2.1', true)));
    expect(blocked(started)).toEqual([false, false, false, true, true]);
  });

  it('refuses unknown logins from an address once it spent its budget, but never a known login for that', async () => {
    const t = throttle(10, 3);
    for (const login of ['ghost-1', 'ghost-2', 'ghost-3']) expect((await t.begin(login, '192.0.2.7', false)).blocked).toBe(false);
    expect(await t.addressVerdict('192.0.2.7')).toMatchObject({ blocked: true, by: 'address' });
    expect(await t.begin('ghost-4', '192.0.2.7', false)).toMatchObject({ blocked: true, by: 'address' });
    expect((await t.begin('erin', '192.0.2.7', true)).blocked).toBe(false);
    expect((await t.begin('ghost-4', '192.0.2.8', false)).blocked).toBe(false);
    expect(await t.addressVerdict('192.0.2.8')).toBeUndefined();
  });

  it('does not count failures of known logins against the address budget', async () => {
    const t = throttle(100, 3);
    for (let i = 0; i < 20; i++) await t.begin(`user-${i}`, '192.0.2.9', true);
    expect(await t.addressVerdict('192.0.2.9')).toBeUndefined();
    expect((await t.begin('ghost', '192.0.2.9', false)).blocked).toBe(false);
  });
});

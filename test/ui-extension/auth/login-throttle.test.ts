import { createLoginThrottle } from '@server/auth/login-throttle';

const throttle = (perUser = 10, perAddress = 30) => createLoginThrottle({ maxFailuresPerUser: perUser, maxFailuresPerAddress: perAddress, windowMs: 60_000 });

describe(createLoginThrottle.name, () => {
  it('refuses the 11th attempt after 10 failures for one login within a minute', () => {
    const t = throttle();
    for (let i = 0; i < 10; i++) expect(t.begin('admin', `10.0.0.${i}`, 1000 + i).blocked).toBe(false);
    expect(t.begin('admin', '10.0.1.1', 2000)).toEqual({ blocked: true, retryAfterS: 59, by: 'user' });
  });

  it('counts login names case-insensitively', () => {
    const t = throttle(2);
    t.begin('Admin', undefined, 0);
    t.begin('ADMIN', undefined, 0);
    expect(t.begin('admin', undefined, 0).blocked).toBe(true);
  });

  it('lets attempts through again once the oldest failures leave the window', () => {
    const t = throttle(2);
    t.begin('bob', undefined, 0);
    t.begin('bob', undefined, 30_000);
    expect(t.begin('bob', undefined, 59_999).blocked).toBe(true);
    expect(t.begin('bob', undefined, 60_000).blocked).toBe(false);
  });

  it('does not count attempts that succeeded', () => {
    const t = throttle(2);
    for (let i = 0; i < 5; i++) {
      const attempt = t.begin('carol', undefined, i);
      if (!attempt.blocked) attempt.succeeded();
    }
    expect(t.begin('carol', undefined, 10).blocked).toBe(false);
  });

  it('counts an attempt from the moment it begins, so parallel guesses cannot pass the limit together', () => {
    const t = throttle(3);
    const started = [0, 1, 2, 3, 4].map(() => t.begin('dave', undefined, 0));
    expect(started.map((a) => a.blocked)).toEqual([false, false, false, true, true]);
  });

  it('limits one address across many login names', () => {
    const t = throttle(10, 3);
    for (const login of ['a', 'b', 'c']) t.begin(login, '192.0.2.7', 0);
    expect(t.begin('d', '192.0.2.7', 0)).toMatchObject({ blocked: true, by: 'address' });
    expect(t.begin('d', '192.0.2.8', 0).blocked).toBe(false);
  });
});

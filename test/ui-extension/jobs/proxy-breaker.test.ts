import { createProxyBreaker } from '@server/jobs/proxy-breaker';

describe(createProxyBreaker.name, () => {
  it('keeps the first reason a proxy was given up for, and only for that proxy', () => {
    const breaker = createProxyBreaker();
    expect(breaker.openReason(1)).toBeUndefined();
    breaker.trip(1, 'first');
    breaker.trip(1, 'second');
    expect(breaker.openReason(1)).toBe('first');
    expect(breaker.openReason(2)).toBeUndefined();
  });

  it('allows no re-attach attempt when a health view already knows the proxy is down', () => {
    const breaker = createProxyBreaker({ isDown: (id) => id === 2 });
    expect(breaker.attempts(1, 5)).toBe(5);
    expect(breaker.attempts(2, 5)).toBe(0);
  });
});

/**
 * Occurrences of cron lines in IANA zones, across daylight-saving changes and month ends. Every
 * expected instant is written in UTC next to its local wall time, so a reader can check it by hand.
 */
import { cronLineProblem, nextOccurrence, occurrencesBetween, timeZoneProblem, type Recurrence } from '@server/scheduler/recurrence';

const rule = (cronLine: string, timeZone: string, endTime: Date | null = null): Recurrence => ({ cronLine, timeZone, endTime });
const between = (r: Recurrence, from: string, to: string) => occurrencesBetween(r, new Date(from), new Date(to), 1000).map((d) => d.toISOString());

describe('recurrence in Europe/Berlin (CET +01:00, CEST +02:00)', () => {
  // 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
  it('runs a daily 02:30 once on the spring-forward day, at 03:00 CEST right after the gap', () => {
    expect(between(rule('30 2 * * *', 'Europe/Berlin'), '2026-03-28T00:00:00Z', '2026-03-30T23:59:59Z')).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST: 02:30 does not exist that day
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('runs a daily 02:30 once on the fall-back day, at the first of the two 02:30s', () => {
    expect(between(rule('30 2 * * *', 'Europe/Berlin'), '2026-10-24T00:00:00Z', '2026-10-26T23:59:59Z')).toEqual([
      '2026-10-24T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // 02:30 CEST; the 02:30 CET an hour later does not run again
      '2026-10-26T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('runs a daily 01:30 (outside the changes) at 01:30 local on both sides of each change', () => {
    expect(between(rule('30 1 * * *', 'Europe/Berlin'), '2026-03-28T00:00:00Z', '2026-03-29T12:00:00Z')).toEqual(['2026-03-28T00:30:00.000Z', '2026-03-29T00:30:00.000Z']);
    expect(between(rule('30 1 * * *', 'Europe/Berlin'), '2026-10-24T00:00:00Z', '2026-10-26T23:59:59Z')).toEqual(['2026-10-24T23:30:00.000Z', '2026-10-26T00:30:00.000Z']);
  });

  it('runs every 30 minutes through the spring-forward night with nothing in the missing hour and nothing doubled', () => {
    expect(between(rule('*/30 * * * *', 'Europe/Berlin'), '2026-03-29T00:00:00Z', '2026-03-29T02:00:00Z')).toEqual([
      '2026-03-29T00:00:00.000Z', // 01:00 CET
      '2026-03-29T00:30:00.000Z', // 01:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST (02:00 and 02:30 do not exist)
      '2026-03-29T01:30:00.000Z', // 03:30 CEST
      '2026-03-29T02:00:00.000Z', // 04:00 CEST
    ]);
  });

  it('runs every 30 minutes through the fall-back night on every real half hour, the repeated hour included', () => {
    const got = between(rule('*/30 * * * *', 'Europe/Berlin'), '2026-10-24T23:00:00Z', '2026-10-25T02:00:00Z');
    expect(got).toEqual([
      '2026-10-24T23:00:00.000Z', // 01:00 CEST
      '2026-10-24T23:30:00.000Z', // 01:30 CEST
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET
      '2026-10-25T01:30:00.000Z', // 02:30 CET
      '2026-10-25T02:00:00.000Z', // 03:00 CET
    ]);
    // Evenly spaced in real time: the half-hour line means every 30 minutes, so none is doubled or lost.
    const gaps = got.slice(1).map((t, i) => Date.parse(t) - Date.parse(got[i]));
    expect(new Set(gaps)).toEqual(new Set([30 * 60_000]));
  });
});

describe('recurrence in America/New_York (EST -05:00, EDT -04:00)', () => {
  // 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
  it('runs a daily 02:30 once on the spring-forward day, at 03:00 EDT', () => {
    expect(between(rule('30 2 * * *', 'America/New_York'), '2026-03-07T00:00:00Z', '2026-03-09T23:59:59Z')).toEqual([
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
    ]);
  });

  it('runs a daily 01:30 once on the fall-back day, at the first (EDT) 01:30', () => {
    expect(between(rule('30 1 * * *', 'America/New_York'), '2026-10-31T00:00:00Z', '2026-11-02T23:59:59Z')).toEqual([
      '2026-10-31T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T05:30:00.000Z', // 01:30 EDT; 01:30 EST an hour later does not run again
      '2026-11-02T06:30:00.000Z', // 01:30 EST
    ]);
  });

  it('runs a fixed list of times in the gap once, right after it, and each listed time once in the repeated hour', () => {
    expect(between(rule('0,30 2 * * *', 'America/New_York'), '2026-03-08T00:00:00Z', '2026-03-08T23:59:59Z')).toEqual(['2026-03-08T07:00:00.000Z']);
    expect(between(rule('0,30 1 * * *', 'America/New_York'), '2026-11-01T00:00:00Z', '2026-11-01T23:59:59Z')).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-01T05:30:00.000Z']);
  });

  it('runs hourly 24 times on an ordinary day, 23 on the spring-forward day and 25 on the fall-back day', () => {
    const hourly = rule('0 * * * *', 'America/New_York');
    // Local midnight to midnight, in UTC.
    expect(between(hourly, '2026-03-07T05:00:00Z', '2026-03-08T04:59:59Z')).toHaveLength(24);
    expect(between(hourly, '2026-03-08T05:00:00Z', '2026-03-09T03:59:59Z')).toHaveLength(23);
    expect(between(hourly, '2026-11-01T04:00:00Z', '2026-11-02T04:59:59Z')).toHaveLength(25);
  });

  it('keeps a weekly Saturday 02:00 on Saturdays local time across the change', () => {
    const got = between(rule('0 2 * * 6', 'America/New_York'), '2026-10-20T00:00:00Z', '2026-11-10T00:00:00Z');
    expect(got).toEqual(['2026-10-24T06:00:00.000Z', '2026-10-31T06:00:00.000Z', '2026-11-07T07:00:00.000Z']);
  });
});

describe('recurrence at month ends', () => {
  it('skips months without a 31st for a day-31 line', () => {
    expect(between(rule('0 12 31 * *', 'UTC'), '2026-01-01T00:00:00Z', '2026-08-31T23:59:59Z')).toEqual([
      '2026-01-31T12:00:00.000Z',
      '2026-03-31T12:00:00.000Z',
      '2026-05-31T12:00:00.000Z',
      '2026-07-31T12:00:00.000Z',
      '2026-08-31T12:00:00.000Z',
    ]);
  });

  it('runs on the last day of every month with L, February of a leap year included', () => {
    expect(between(rule('0 23 L * *', 'Europe/Berlin'), '2028-01-01T00:00:00Z', '2028-04-30T23:59:59Z')).toEqual([
      '2028-01-31T22:00:00.000Z', // 23:00 CET
      '2028-02-29T22:00:00.000Z',
      '2028-03-31T21:00:00.000Z', // 23:00 CEST
      '2028-04-30T21:00:00.000Z',
    ]);
  });

  it('runs a 29 February line only in leap years', () => {
    expect(between(rule('0 0 29 2 *', 'UTC'), '2026-01-01T00:00:00Z', '2033-01-01T00:00:00Z')).toEqual(['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z']);
  });

  it('puts a local month end in the right UTC day when the zone is ahead of UTC', () => {
    // 00:30 on the 1st in Tokyo is still the previous month in UTC.
    expect(between(rule('30 0 1 * *', 'Asia/Tokyo'), '2026-01-31T00:00:00Z', '2026-03-01T00:00:00Z')).toEqual(['2026-01-31T15:30:00.000Z', '2026-02-28T15:30:00.000Z']);
  });
});

describe(nextOccurrence.name, () => {
  it('returns the next occurrence strictly after the given instant, even one millisecond after the last', () => {
    const r = rule('0 12 * * *', 'UTC');
    expect(nextOccurrence(r, new Date('2026-01-01T11:59:59.999Z'))?.toISOString()).toBe('2026-01-01T12:00:00.000Z');
    expect(nextOccurrence(r, new Date('2026-01-01T12:00:00.000Z'))?.toISOString()).toBe('2026-01-02T12:00:00.000Z');
  });

  it('includes an occurrence exactly at end_time and nothing after it', () => {
    const r = rule('0 12 * * *', 'UTC', new Date('2026-01-03T12:00:00Z'));
    expect(nextOccurrence(r, new Date('2026-01-02T12:00:00Z'))?.toISOString()).toBe('2026-01-03T12:00:00.000Z');
    expect(nextOccurrence(r, new Date('2026-01-03T12:00:00Z'))).toBeNull();
  });
});

describe(cronLineProblem.name, () => {
  it.each([
    ['0 2 * * 6', null],
    ['*/15 * * * *', null],
    ['0 0 L * *', null],
  ])('accepts %s', (line, expected) => {
    expect(cronLineProblem(line)).toBe(expected);
  });

  it.each([
    ['61 * * * *', /minute/],
    ['* * * *', /five fields/],
    ['0 0 * * * *', /five fields/],
    ['every day', /five fields/],
    ['0 25 * * *', /hour/],
  ])('names the rule %s breaks', (line, rulePattern) => {
    expect(cronLineProblem(line)).toMatch(rulePattern);
  });
});

describe(timeZoneProblem.name, () => {
  it('accepts IANA names', () => {
    expect(timeZoneProblem('Europe/Berlin')).toBeNull();
    expect(timeZoneProblem('America/Argentina/Buenos_Aires')).toBeNull();
    expect(timeZoneProblem('UTC')).toBeNull();
  });

  it('refuses unknown zones and offsets', () => {
    expect(timeZoneProblem('Mars/Olympus_Mons')).toMatch(/not a known IANA time zone/);
    expect(timeZoneProblem('+02:00')).toMatch(/IANA time zone name/);
    expect(timeZoneProblem('')).toMatch(/IANA time zone name/);
  });
});

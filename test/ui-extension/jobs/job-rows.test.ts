import { dbDate } from '@server/jobs/job-rows';

/** What dbDate wrote before it was built from the date's fields (issue #20): the ISO form, T and Z dropped. */
const isoForm = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

describe(dbDate.name, () => {
  it('writes UTC `YYYY-MM-DD HH:MM:SS.mmm` with every field padded', () => {
    expect(dbDate(new Date('2026-01-02T03:04:05.006Z'))).toBe('2026-01-02 03:04:05.006');
    expect(dbDate(new Date('2026-12-31T23:59:59.999Z'))).toBe('2026-12-31 23:59:59.999');
    expect(dbDate(new Date('1970-01-01T00:00:00.000Z'))).toBe('1970-01-01 00:00:00.000');
    expect(dbDate(new Date('2026-11-23T10:00:00.050Z'))).toBe('2026-11-23 10:00:00.050');
  });

  it('writes exactly what the ISO form gives, for every millisecond value and for years outside 1000-9999', () => {
    const base = Date.UTC(2026, 1, 28, 23, 59, 59);
    for (let ms = 0; ms < 1000; ms++) expect(dbDate(new Date(base + ms))).toBe(isoForm(new Date(base + ms)));
    for (let i = 0; i < 2000; i++) {
      const d = new Date(Date.UTC(2000, 0, 1) + i * 7_919_993_111);
      expect(dbDate(d)).toBe(isoForm(d));
    }
    for (const d of [new Date('0999-12-31T23:59:59.999Z'), new Date('1000-01-01T00:00:00.000Z'), new Date('9999-12-31T23:59:59.999Z'), new Date(8.64e15), new Date(-1e14)]) expect(dbDate(d)).toBe(isoForm(d));
  });

  it('throws on an invalid date, as before', () => {
    expect(() => dbDate(new Date(NaN))).toThrow(RangeError);
  });
});

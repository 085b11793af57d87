import Database from 'better-sqlite3';
import { dbDate, idsCondition } from '@server/jobs/job-rows';

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

describe(idsCondition.name, () => {
  it('writes runs of three or more consecutive ids as BETWEEN ranges and the rest as one IN list, sorted and without repeats', () => {
    expect(idsCondition('id', [7, 3, 4, 5, 6, 20, 10, 11, 10])).toEqual({ sql: '(id BETWEEN ? AND ? OR id IN (?,?,?))', params: [3, 7, 10, 11, 20] });
    expect(idsCondition('id', [1, 2, 3])).toEqual({ sql: 'id BETWEEN ? AND ?', params: [1, 3] });
    expect(idsCondition('jh.id', [9, 1])).toEqual({ sql: 'jh.id IN (?,?)', params: [1, 9] });
    expect(idsCondition('id', [])).toEqual({ sql: '1 = 0', params: [] });
  });

  it('selects exactly the given rows (SQLite, random id sets with runs, gaps and repeats)', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
    for (let id = 1; id <= 400; id++) insert.run(id);
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const ids: number[] = [];
      const runs = 1 + Math.floor(random() * 6);
      for (let r = 0; r < runs; r++) {
        const start = 1 + Math.floor(random() * 400);
        const length = Math.floor(random() * 8);
        for (let k = 0; k < length; k++) ids.push(Math.min(400, start + k));
      }
      const { sql, params } = idsCondition('id', ids);
      const got = (db.prepare(`SELECT id FROM t WHERE ${sql} ORDER BY id`).all(...params) as Array<{ id: number }>).map((r) => r.id);
      expect(got).toEqual([...new Set(ids)].sort((a, b) => a - b));
    }
    db.close();
  });
});

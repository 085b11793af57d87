import { format } from 'mysql2';
import { formatMysqlQuery } from '@server/data-source';

const connection = { config: { stringifyObjects: false } };
const formatted = (sql: string, values: unknown, timezone = 'Z') => formatMysqlQuery.call(connection, sql, values, timezone);

describe(formatMysqlQuery.name, () => {
  it('sends a statement without parameters as it is, placeholders and quotes included', () => {
    const sql = `INSERT INTO t (a) VALUES ('it''s ?'), ("?"), (1) -- ?`;
    for (const none of [undefined, null, []]) {
      expect(formatted(sql, none)).toBe(sql);
      expect(formatted(sql, none)).toBe(format(sql, [], false, 'Z'));
    }
  });

  it('formats parameters exactly as mysql2 does', () => {
    const cases: Array<[string, unknown[]]> = [
      ['SELECT ?, ?, ?, ?, ?', ["it's", null, 12.5, true, new Date('2026-12-07T23:00:00.123Z')]],
      ['INSERT INTO t (a, b) VALUES ?', [[[1, "x'y"], [2, '\\\u0000\n']]]],
      ['SELECT ?? FROM t WHERE id IN (?)', ['weird`name', [1, 2, 3]]],
      ['UPDATE t SET ? WHERE id = ?', [{ a: 1, b: 'q' }, 7]],
      ["SELECT '?' AS q, ? AS v", ['not in the string']],
      ['SELECT ?', [Buffer.from([0, 1, 255])]],
    ];
    for (const [sql, values] of cases) expect(formatted(sql, values)).toBe(format(sql, values as never, false, 'Z'));
  });
});

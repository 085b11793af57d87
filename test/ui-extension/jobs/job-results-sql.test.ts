import { format, type SqlValue } from 'mysql2';
import { rowIdList, upsertResultsSql } from '@server/jobs/job-results.repository';
import { dbDate } from '@server/jobs/job-rows';
import type { HostResultWrite, ResultBatch } from '@server/jobs/result-writer';

/** The statement as it was sent before (issue #20): `?` placeholders and a parameter array, formatted by mysql2 as its query() does. */
function placeholderSql(batch: ResultBatch): string {
  const params: SqlValue[] = [];
  for (const r of batch.results) params.push(r.rowId, batch.jobId, r.state, r.reason, r.statuscode, r.statusmsg, r.data, r.sentAt ? dbDate(r.sentAt) : null, dbDate(r.finishedAt), r.eventSeq, r.proxySequence);
  const sent = 'COALESCE(started_at, VALUES(started_at))';
  const copied = ['state', 'reason', 'statuscode', 'statusmsg', 'data', 'finished_at', 'event_seq', 'proxy_sequence'].map((col) => `${col} = VALUES(${col})`);
  return format(
    `INSERT INTO job_invocation_hosts (id, job_invocation_id, host_name, state, reason, statuscode, statusmsg, data, started_at, finished_at, event_seq, proxy_sequence) VALUES ${batch.results.map(() => "(?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(', ')}` +
      ` ON DUPLICATE KEY UPDATE started_at = CASE WHEN ${sent} > VALUES(finished_at) THEN VALUES(finished_at) ELSE ${sent} END, ${copied.join(', ')}`,
    params,
  );
}

const batchOf = (results: HostResultWrite[]): ResultBatch => ({ jobId: 42, running: [], sent: [], results, counts: { pending: 0, running: 0, succeeded: 0, failed: 0, no_response: 0, skipped: 0, cancelled: 0 }, lastEventSeq: 9, streams: [], leaseOwner: 'me', now: new Date() });

const result = (rowId: number, over: Partial<HostResultWrite> = {}): HostResultWrite => ({
  rowId, state: 'succeeded', reason: null, statuscode: 0, statusmsg: 'OK', data: '{"pong":1796578371861}', finishedAt: new Date(1796578371861 + rowId), eventSeq: rowId, proxySequence: rowId + 1, sentAt: new Date(1796578371000), ...over,
});

describe(upsertResultsSql.name, () => {
  it('sends the very text the placeholders gave, for replies with quotes, backslashes, control characters and non-ASCII', () => {
    const nasty = [
      `{"msg":"it's a \\"quoted\\" \\\\ path C:\\\\x","nul":"\u0000","ctl":"\b\t\n\r\u001a"}`,
      "'; DROP TABLE job_invocation_hosts; --",
      '{"unicode":"é 漢字 🎉","lone":"\ud800"}',
      '',
    ];
    const results = [
      result(1),
      ...nasty.map((data, i) => result(10 + i, { data, statusmsg: data, reason: data })),
      result(20, { state: 'failed', statuscode: 5, statusmsg: null, data: null, sentAt: null }),
      result(21, { state: 'no_response', statuscode: null, statusmsg: null, data: null, reason: 'no reply before the timeout', proxySequence: null }),
      result(22, { finishedAt: new Date('9999-12-31T23:59:59.999Z'), sentAt: new Date('0999-01-01T00:00:00.000Z') }),
    ];
    const batch = batchOf(results);
    expect(upsertResultsSql(batch)).toBe(placeholderSql(batch));
  });

  it('writes 500 rows as the placeholders did', () => {
    const batch = batchOf(Array.from({ length: 500 }, (_, i) => result(i + 1)));
    expect(upsertResultsSql(batch)).toBe(placeholderSql(batch));
  });

  it('escapes a value that is not a finite number as the driver does, never writing it raw', () => {
    const batch = batchOf([result(1, { statuscode: Number.NaN, proxySequence: Number.POSITIVE_INFINITY })]);
    expect(upsertResultsSql(batch)).toBe(placeholderSql(batch));
  });
});

describe(rowIdList.name, () => {
  it('writes row ids as the placeholders did', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => 7 + 3 * i);
    expect(`id IN (${rowIdList(ids)})`).toBe(format(`id IN (${ids.map(() => '?').join(',')})`, ids));
    expect(rowIdList([2147483647])).toBe('2147483647');
  });

  it.each([[0], [-1], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY], [2 ** 53], ['1); DROP TABLE x; --' as unknown as number]])('refuses %p before any SQL is written', (bad) => {
    expect(() => rowIdList([1, bad, 3])).toThrow(/not a row id/);
  });
});

import { findRunReport, MATCH_WINDOW_S, pickReport, reportPath, reportQuery, reportSummary, type RunToMatch } from '@server/puppetdb/puppetdb-reports';

const END = Date.parse('2026-12-06T10:00:00Z') / 1000;
const run: RunToMatch = { certname: 'web-1.example.com', lastRun: END, configVersion: '1700000007', noop: false };

/** A reports row as PuppetDB 7 answers the projection (metrics expanded as `{data, href}`). */
function aRow(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hash: 'a'.repeat(40),
    certname: run.certname,
    configuration_version: run.configVersion,
    start_time: '2026-12-06T09:59:30.000Z',
    end_time: '2026-12-06T10:00:00.000Z',
    environment: 'production',
    status: 'changed',
    noop: false,
    noop_pending: false,
    corrective_change: null,
    transaction_uuid: 'b6f1c4e0-0000-4000-8000-000000000001',
    producer: 'puppet.example.com',
    metrics: {
      href: '/pdb/query/v4/reports/aaaa/metrics',
      data: [
        { category: 'resources', name: 'total', value: 812 },
        { category: 'resources', name: 'changed', value: 3 },
        { category: 'resources', name: 'failed', value: 1 },
        { category: 'resources', name: 'out_of_sync', value: 4 },
        { category: 'time', name: 'total', value: 30.25 },
      ],
    },
    ...overrides,
  };
}

describe(reportQuery.name, () => {
  it('asks for the node reports that ended within the window around the run end, newest first, when a run is matched', () => {
    expect(reportQuery(run)).toBe(
      'reports[hash, certname, configuration_version, start_time, end_time, environment, status, noop, noop_pending, corrective_change, transaction_uuid, producer, metrics] ' +
        `{ certname = "web-1.example.com" and end_time >= "2026-12-06T09:58:00.000Z" and end_time <= "2026-12-06T10:02:00.000Z" order by end_time desc limit 20 }`,
    );
  });

  it('quotes the certname as a PQL string when it holds a quote', () => {
    expect(reportQuery({ ...run, certname: 'a"b' })).toContain('certname = "a\\"b"');
  });
});

describe(reportPath.name, () => {
  it('is the AST query for that one hash when a reference is kept', () => {
    expect(decodeURIComponent(reportPath('abc'))).toBe('/pdb/query/v4/reports?query=["=","hash","abc"]');
  });
});

describe(pickReport.name, () => {
  it('picks the report of the same configuration version closest to the run end when several ended in the window', () => {
    const rows = [
      aRow({ hash: 'far', end_time: '2026-12-06T10:01:30.000Z' }),
      aRow({ hash: 'near', end_time: '2026-12-06T10:00:01.000Z' }),
      aRow({ hash: 'other-catalog', end_time: '2026-12-06T10:00:00.000Z', configuration_version: '1700000006' }),
    ];
    expect(pickReport(rows, run)?.hash).toBe('near');
  });

  it('finds nothing when the only report is of another configuration version, another noop mode, another node or outside the window', () => {
    expect(pickReport([aRow({ configuration_version: '1700000006' })], run)).toBeUndefined();
    expect(pickReport([aRow({ noop: true })], run)).toBeUndefined();
    expect(pickReport([aRow({ certname: 'web-2.example.com' })], run)).toBeUndefined();
    expect(pickReport([aRow({ end_time: new Date((END + MATCH_WINDOW_S + 1) * 1000).toISOString() })], run)).toBeUndefined();
  });

  it('matches on time alone when the run did not say its configuration version', () => {
    expect(pickReport([aRow({ configuration_version: 'anything' })], { ...run, configVersion: '' })?.hash).toBe('a'.repeat(40));
  });
});

describe(reportSummary.name, () => {
  it('takes status, noop flags, times and the resource counts from the metrics when PuppetDB answers a report', () => {
    expect(reportSummary(aRow())).toEqual({
      status: 'changed', noop: false, noop_pending: false, corrective_change: null,
      changed_resources: 3, failed_resources: 1, out_of_sync_resources: 4, total_resources: 812, run_time: 30.25,
      configuration_version: '1700000007', environment: 'production', start_time: '2026-12-06T09:59:30.000Z', end_time: '2026-12-06T10:00:00.000Z',
      transaction_uuid: 'b6f1c4e0-0000-4000-8000-000000000001', producer: 'puppet.example.com',
    });
  });

  it('reads a plain metrics list too, and gives null counts when a metric is absent', () => {
    const summary = reportSummary(aRow({ metrics: [{ category: 'resources', name: 'total', value: 5 }] }));
    expect(summary).toMatchObject({ total_resources: 5, changed_resources: null, failed_resources: null, run_time: null });
  });
});

describe(findRunReport.name, () => {
  it('keeps the hash, a URL that queries it and the summary when PuppetDB holds the run report', async () => {
    const asked: string[] = [];
    const puppetdb = { url: 'https://puppetdb.example.com:8081', query: async (pql: string) => (asked.push(pql), [aRow({ hash: 'f'.repeat(40) })]) };
    const found = await findRunReport(puppetdb, run, new Date('2026-12-06T10:00:02Z'));
    expect(asked).toEqual([reportQuery(run)]);
    expect(found).toMatchObject({ hash: 'f'.repeat(40), url: `https://puppetdb.example.com:8081${reportPath('f'.repeat(40))}`, reason: null, fetched_at: '2026-12-06T10:00:02.000Z', summary: { status: 'changed', changed_resources: 3 } });
  });

  it('answers undefined when PuppetDB has no report of the run yet', async () => {
    expect(await findRunReport({ url: 'x', query: async () => [] }, run, new Date())).toBeUndefined();
  });
});

import type { PuppetDbRunReport, PuppetRunJobHost } from '@common/jobs';
import { puppetReportLine } from '../../../../ui-extension/src/cli/commands/puppet-run-show';

function aHost(report: PuppetDbRunReport | null | undefined): PuppetRunJobHost {
  return {
    host_id: 1, host_name: 'web-1.example.com', smart_proxy_id: 1, state: 'failed', reason: null, statuscode: 1, statusmsg: 'puppet run failed: 1 failed resources',
    data: {}, output: [], started_at: null, finished_at: null, late: false, late_at: null, puppet_run: null, puppetdb_report: report,
  };
}

const found: PuppetDbRunReport = {
  hash: '0123456789abcdef0123456789abcdef01234567',
  url: 'https://puppetdb.example.com:8081/pdb/query/v4/reports?query=x',
  summary: {
    status: 'failed', noop: false, noop_pending: false, corrective_change: null, changed_resources: 2, failed_resources: 1, out_of_sync_resources: 3, total_resources: 812,
    run_time: 31, configuration_version: '1700000004', environment: 'production', start_time: '2026-12-06T10:00:00.000Z', end_time: '2026-12-06T10:00:31.000Z', transaction_uuid: null, producer: 'puppet',
  },
  reason: null,
  fetched_at: '2026-12-06T10:00:33.000Z',
};

describe(puppetReportLine.name, () => {
  it('names the short hash, status and counts of the report under the host when PuppetDB holds it', () => {
    expect(puppetReportLine(aHost(found), 17)).toBe(`${' '.repeat(19)}report 0123456789ab in PuppetDB: failed, 2 changed, 1 failed, 3 out of sync of 812, configuration version 1700000004`);
  });

  it('says why there is no report when none was found', () => {
    expect(puppetReportLine(aHost({ ...found, hash: null, url: null, summary: null, reason: 'no report in PuppetDB for this run after 10 s' }), 0)).toBe('  report: no report in PuppetDB for this run after 10 s');
  });

  it('prints nothing when no report was looked up', () => {
    expect(puppetReportLine(aHost(null), 10)).toBeUndefined();
    expect(puppetReportLine(aHost(undefined), 10)).toBeUndefined();
  });
});

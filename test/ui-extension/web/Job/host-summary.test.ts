import type { JobHost } from '@common/jobs';
import { hostReason, outputPreview } from '../../../../ui-extension/src/web/Job/host-summary';

const host = (over: Partial<JobHost>): JobHost => ({
  host_id: 1, host_name: 'web-1', smart_proxy_id: 1, state: 'succeeded', reason: null, statuscode: 0, statusmsg: 'OK', data: {}, output: [], started_at: null, finished_at: null, late: false, late_at: null, ...over,
});

describe(hostReason.name, () => {
  it('gives a failed host the agent\'s own message, not its outputs', () => {
    const failed = host({ state: 'failed', statuscode: 1, statusmsg: 'Could not find service nginx', output: [{ name: 'status', display_as: 'Service Status', value: 'unknown' }] });
    expect(hostReason(failed)).toBe('Could not find service nginx');
    expect(outputPreview(failed)).toBe('Service Status: unknown');
  });

  it('prefers the recorded reason of a host that never answered or was never asked', () => {
    expect(hostReason(host({ state: 'no_response', statuscode: null, statusmsg: null, reason: 'no reply before the timeout' }))).toBe('no reply before the timeout');
    expect(hostReason(host({ state: 'skipped', statuscode: null, statusmsg: null, reason: 'no smart proxy with remote_execution' }))).toBe('no smart proxy with remote_execution');
  });

  it('gives no reason for a host that succeeded or is still running', () => {
    expect(hostReason(host({ state: 'succeeded' }))).toBeNull();
    expect(hostReason(host({ state: 'running', statuscode: null, statusmsg: null, started_at: '2026-12-06T05:00:00.000Z' }))).toBeNull();
  });

  it('says a running host that its proxy has not asked yet waits for its batch', () => {
    expect(hostReason(host({ state: 'running', statuscode: null, statusmsg: null, started_at: null }))).toBe('waiting for its batch');
  });

  it('cuts a long reason at a word with an ellipsis', () => {
    const reason = `smart proxy puppet-a lost before these hosts answered: ${'connection reset '.repeat(20)}`;
    const shown = hostReason(host({ state: 'failed', reason }))!;
    expect(shown.length).toBeLessThanOrEqual(160);
    expect(shown.endsWith('reset…')).toBe(true);
  });
});

describe(outputPreview.name, () => {
  it('leaves out empty outputs so a cell never reads just "Output:"', () => {
    expect(outputPreview(host({ output: [{ name: 'output', display_as: 'Output', value: '' }, { name: 'ensure', display_as: 'Ensure', value: '1.2' }] }))).toBe('Ensure: 1.2');
  });

  it('does not repeat a failed host\'s status message, which its Reason cell shows', () => {
    expect(outputPreview(host({ state: 'failed', statuscode: 1, statusmsg: 'Package nginx is not installed' }))).toBe('');
    expect(outputPreview(host({ statusmsg: 'OK' }))).toBe('OK');
  });
});

import { previewSummary } from '@common/job-preview';
import type { NewJobHost } from '@server/jobs/job-invocation.repository';
import { describeTargeting, previewOfPlan } from '@server/jobs/job-preview';

const host = (id: number, name: string, smartProxyId: number | null, reason: string | null = null): NewJobHost =>
  ({ hostId: id, hostName: name, smartProxyId, hostgroupId: null, state: reason ? 'skipped' : 'pending', reason, finishedAt: null });
const proxies = { findByIds: async (ids: number[]) => ids.map((id) => ({ id, name: `proxy-${id}`, url: `p${id}:1`, capabilities: ['remote_execution'] })) };

describe(previewOfPlan.name, () => {
  const hosts = [host(3, 'web-03', 1), host(1, 'web-01', 1), host(2, 'web-02', 2), host(4, 'lab-01', null, 'host has no smart proxy'), host(5, 'lab-02', 9, 'smart proxy 9 is not registered'), host(6, 'lab-03', null, 'host has no smart proxy')];

  it('counts hosts per smart proxy, most first, and groups skipped hosts by reason', async () => {
    const p = await previewOfPlan(proxies, { search: 'x' }, hosts, { page: 1, perPage: 20 });
    expect(p).toMatchObject({ total_hosts: 6, will_run: 3, skipped: 3 });
    expect(p.smart_proxies).toEqual([{ id: 1, name: 'proxy-1', hosts: 2 }, { id: 2, name: 'proxy-2', hosts: 1 }]);
    expect(p.skipped_reasons).toEqual([
      { reason: 'host has no smart proxy', hosts: 2, host_names: ['lab-01', 'lab-03'] },
      { reason: 'smart proxy 9 is not registered', hosts: 1, host_names: ['lab-02'] },
    ]);
    expect(p.summary).toBe('3 hosts on 2 smart proxies will run; 3 skipped: host has no smart proxy (2), smart proxy 9 is not registered (1)');
  });

  it('pages the hosts by name', async () => {
    const p = await previewOfPlan(proxies, { search: 'x' }, hosts, { page: 2, perPage: 4 });
    expect(p.hosts).toMatchObject({ total: 6, page: 2, per_page: 4 });
    expect(p.hosts.results.map((h) => [h.name, h.state, h.smart_proxy_name])).toEqual([['web-02', 'pending', 'proxy-2'], ['web-03', 'pending', 'proxy-1']]);
  });

  it('says no host matches when there is none', async () => {
    expect((await previewOfPlan(proxies, { host_ids: [7] }, [], { page: 1, perPage: 20 })).summary).toBe('no host you may run on matches this targeting');
  });
});

describe(previewSummary.name, () => {
  it('speaks of one host and one smart proxy in the singular', () => {
    expect(previewSummary({ total_hosts: 1, will_run: 1, skipped: 0, smart_proxies: [{ id: 1, name: 'a', hosts: 1 }], skipped_reasons: [] })).toBe('1 host on 1 smart proxy will run');
  });
});

describe(describeTargeting.name, () => {
  it('names each kind of targeting as written', () => {
    expect(describeTargeting({ search: 'hostgroup ~ base' })).toBe('search "hostgroup ~ base"');
    expect(describeTargeting({ hostgroup_id: 4 })).toBe('hostgroup 4');
    expect(describeTargeting({ host_ids: [] })).toBe('host ids (none)');
    expect(describeTargeting({ host_ids: Array.from({ length: 12 }, (_, i) => i + 1) })).toBe('host ids 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (12 ids)');
    expect(describeTargeting({ pql: 'facts.os = "x"' })).toBe('pql "facts.os = \\"x\\""');
  });
});

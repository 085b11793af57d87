import { hostColumns, hostScopeSql, jobScopeSql, named } from '@server/auth/scope-sql';

describe(hostScopeSql.name, () => {
  it('is 1=1 for all hosts and 1=0 for none', () => {
    expect(hostScopeSql({ all: true }, hostColumns('h'))).toEqual({ sql: '1=1', params: [] });
    expect(hostScopeSql({ all: false, anyOf: [] }, hostColumns('h'))).toEqual({ sql: '1=0', params: [] });
    expect(hostScopeSql({ all: false, anyOf: [{ hostgroupIds: [] }] }, hostColumns('h'))).toEqual({ sql: '1=0', params: [] });
  });

  it('ors the rules and ands the conditions of one rule, each guarded against NULL', () => {
    expect(hostScopeSql({ all: false, anyOf: [{ hostgroupIds: [1, 2], organizationIds: [10] }, { locationIds: [20] }] }, hostColumns('h'))).toEqual({
      sql: '(((h.hostgroup_id IS NOT NULL AND h.hostgroup_id IN (?, ?)) AND (h.organization_id IS NOT NULL AND h.organization_id IN (?))) OR (h.location_id IS NOT NULL AND h.location_id IN (?)))',
      params: [1, 2, 10, 20],
    });
  });
});

describe(jobScopeSql.name, () => {
  const aliases = { job: 'job', action: 'ra' };

  it('needs no host check when every matching rule reaches all hosts', () => {
    expect(jobScopeSql({ all: false, anyOf: [{ namespaces: ['package'], host: 'all' }] }, aliases, 7)).toEqual({ sql: '(ra.namespace IS NOT NULL AND ra.namespace IN (?))', params: ['package'] });
  });

  it('admits a job with host rows none outside the rules for its agent, by an unrestricted rule, or without host rows by its owner', () => {
    const sql = jobScopeSql({ all: false, anyOf: [{ namespaces: ['package'], host: { hostgroupIds: [1] } }, { namespaces: ['rpcutil'], host: 'all' }] }, aliases, 7);
    const pkg = '(ra.namespace IS NOT NULL AND ra.namespace IN (?))';
    const rpc = '(ra.namespace IS NOT NULL AND ra.namespace IN (?))';
    const rows = 'SELECT 1 FROM job_invocation_hosts ajh WHERE ajh.job_invocation_id = job.id';
    expect(sql.sql).toBe(`((${pkg} OR ${rpc}) AND (${rpc} OR (EXISTS (${rows}) AND NOT EXISTS (SELECT 1 FROM job_invocation_hosts sjh LEFT JOIN hosts sh ON sh.id = sjh.host_id WHERE sjh.job_invocation_id = job.id AND NOT ((${pkg} AND (sh.hostgroup_id IS NOT NULL AND sh.hostgroup_id IN (?))) OR ${rpc}))) OR (NOT EXISTS (${rows}) AND job.owner_id = ?)))`);
    expect(sql.params).toEqual(['package', 'rpcutil', 'rpcutil', 'package', 1, 'rpcutil', 7]);
  });

  it('never admits a job without host rows through the mere absence of rows outside the scope', () => {
    const sql = jobScopeSql({ all: false, anyOf: [{ host: { hostgroupIds: [1] } }] }, aliases, null);
    expect(sql.sql).toMatch(/^\(EXISTS \(SELECT 1 FROM job_invocation_hosts ajh WHERE ajh.job_invocation_id = job.id\) AND NOT EXISTS /);
  });

  it('is 1=0 without rules', () => {
    expect(jobScopeSql({ all: false, anyOf: [] }, aliases, 7).sql).toBe('1=0');
  });
});

describe(named.name, () => {
  it('turns placeholders into numbered named parameters', () => {
    expect(named({ sql: 'a IN (?, ?) AND b = ?', params: [1, 2, 'x'] }, 'p')).toEqual({ sql: 'a IN (:p0, :p1) AND b = :p2', params: { p0: 1, p1: 2, p2: 'x' } });
  });
});

import { factNamesOfSearch, parseJobSearch } from '@server/jobs/job-search';

describe(parseJobSearch.name, () => {
  it('reads field, operator and value when terms are joined by and', () => {
    expect(parseJobSearch('namespace = package and state != failed and owner ~ "adm in"')).toEqual([
      { field: 'namespace', op: '=', value: 'package' },
      { field: 'state', op: '!=', value: 'failed' },
      { field: 'owner', op: '~', value: 'adm in' },
    ]);
  });

  it('maps aliases when Foreman names are used', () => {
    expect(parseJobSearch('user=admin status=running')).toEqual([
      { field: 'owner', op: '=', value: 'admin' },
      { field: 'state', op: '=', value: 'running' },
    ]);
  });

  it('treats a bare word as free text', () => {
    expect(parseJobSearch('nginx')).toEqual([{ field: 'text', op: '~', value: 'nginx' }]);
  });

  it('rejects an unknown field naming it', () => {
    expect(() => parseJobSearch('colour = red')).toThrow("unknown field 'colour'");
  });

  it('rejects or instead of reading it as and', () => {
    expect(() => parseJobSearch('state = failed or state = succeeded')).toThrow("'or' is not supported");
  });
});

describe(factNamesOfSearch.name, () => {
  it('collects fact names when a search uses facts.<name>', () => {
    expect(factNamesOfSearch('facts.osfamily = RedHat and facts.kernel~5 and name ~ web')).toEqual(['kernel', 'osfamily']);
  });

  it('is empty when there is no search', () => {
    expect(factNamesOfSearch(null)).toEqual([]);
  });
});

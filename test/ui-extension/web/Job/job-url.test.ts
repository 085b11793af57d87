import { hostFilterQuery, readHostFilter, toggleOutcome, toggleState } from '../../../../ui-extension/src/web/Job/job-url';

describe(readHostFilter.name, () => {
  it('reads the states, search and page of a link to a job\'s failed hosts', () => {
    expect(readHostFilter(new URLSearchParams('state=failed,no_response&search=name%20~%20web&page=3&per_page=50'))).toEqual({ states: ['failed', 'no_response'], outcomes: [], search: 'name ~ web', page: 3, perPage: 50 });
  });

  it('leaves out unknown states and bad numbers instead of failing', () => {
    expect(readHostFilter(new URLSearchParams('state=failed,exploded&page=-2&per_page=5000'))).toEqual({ states: ['failed'], outcomes: [], search: '', page: 1, perPage: 20 });
    expect(readHostFilter(new URLSearchParams('outcome=noop_pending,exploded,failed')).outcomes).toEqual(['failed', 'noop_pending']);
  });
});

describe(hostFilterQuery.name, () => {
  it('writes one URL per filter whatever order the states were picked in, with readable commas', () => {
    const filter = { states: ['no_response', 'failed'] as const, outcomes: [], search: '', page: 1, perPage: 20 };
    expect(hostFilterQuery({ ...filter, states: [...filter.states] })).toBe('?state=failed,no_response');
    expect(hostFilterQuery({ ...filter, states: [], outcomes: ['not_run', 'changed'] })).toBe('?outcome=changed,not_run');
  });

  it('writes nothing for the default filter and round-trips any other', () => {
    expect(hostFilterQuery({ states: [], outcomes: [], search: '', page: 1, perPage: 20 })).toBe('');
    const filter = { states: ['succeeded' as const], outcomes: ['failed' as const], search: 'output ~ "No space"', page: 2, perPage: 100 };
    expect(readHostFilter(new URLSearchParams(hostFilterQuery(filter).slice(1)))).toEqual(filter);
  });
});

describe(toggleState.name, () => {
  it('adds a state, takes it off again, and goes back to the first page', () => {
    const on = toggleState({ states: ['failed'], outcomes: [], search: '', page: 4, perPage: 20 }, 'skipped');
    expect(on).toEqual({ states: ['failed', 'skipped'], outcomes: [], search: '', page: 1, perPage: 20 });
    expect(toggleState(on, 'failed').states).toEqual(['skipped']);
  });
});

describe(toggleOutcome.name, () => {
  it('adds a run outcome, takes it off again, and goes back to the first page', () => {
    const on = toggleOutcome({ states: [], outcomes: ['failed'], search: '', page: 3, perPage: 20 }, 'changed');
    expect(on).toEqual({ states: [], outcomes: ['failed', 'changed'], search: '', page: 1, perPage: 20 });
    expect(toggleOutcome(on, 'failed').outcomes).toEqual(['changed']);
  });
});

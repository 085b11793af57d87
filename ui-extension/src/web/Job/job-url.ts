import { HOST_STATES, PUPPET_RUN_OUTCOME_FILTERS, type HostState, type PuppetRunOutcomeFilter } from '@common/jobs';

/**
 * What the job page's host table shows, kept in the page's URL so that a link to a job's failed
 * hosts works: `/jobs/7?state=failed,no_response&search=name%20~%20web&page=2&per_page=50`; a
 * Puppet run job's hosts also by run outcome (`outcome=failed,noop_pending`).
 */
export interface HostFilter {
  states: HostState[];
  outcomes: PuppetRunOutcomeFilter[];
  search: string;
  page: number;
  perPage: number;
}

export const DEFAULT_PER_PAGE = 20;

/** The filter a URL asks for; unknown states and bad numbers are left out, never an error. */
export function readHostFilter(params: URLSearchParams): HostFilter {
  const asked = (params.get('state') ?? '').split(',').map((s) => s.trim());
  const states = HOST_STATES.filter((s) => asked.includes(s));
  const outcomesAsked = (params.get('outcome') ?? '').split(',').map((s) => s.trim());
  const outcomes = PUPPET_RUN_OUTCOME_FILTERS.filter((o) => outcomesAsked.includes(o));
  const page = Number(params.get('page'));
  const perPage = Number(params.get('per_page'));
  return {
    states,
    outcomes,
    search: params.get('search') ?? '',
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    perPage: Number.isInteger(perPage) && perPage >= 1 && perPage <= 1000 ? perPage : DEFAULT_PER_PAGE,
  };
}

/** The query string for a filter (with its `?`, or '' when everything is the default). */
export function hostFilterQuery(filter: HostFilter): string {
  const q = new URLSearchParams();
  // In HOST_STATES order, so one filter has one URL whatever order the states were picked in.
  const states = HOST_STATES.filter((s) => filter.states.includes(s));
  if (states.length > 0) q.set('state', states.join(','));
  const outcomes = PUPPET_RUN_OUTCOME_FILTERS.filter((o) => filter.outcomes.includes(o));
  if (outcomes.length > 0) q.set('outcome', outcomes.join(','));
  if (filter.search) q.set('search', filter.search);
  if (filter.page > 1) q.set('page', String(filter.page));
  if (filter.perPage !== DEFAULT_PER_PAGE) q.set('per_page', String(filter.perPage));
  const text = q.toString();
  // URLSearchParams writes `,` as %2C; the state and outcome lists read better as they are.
  return text ? `?${text.replace(/%2C/g, ',')}` : '';
}

/** The filter with `state` switched on or off (back to the first page). */
export function toggleState(filter: HostFilter, state: HostState): HostFilter {
  const states = filter.states.includes(state) ? filter.states.filter((s) => s !== state) : [...filter.states, state];
  return { ...filter, states, page: 1 };
}

/** The filter with run outcome `outcome` switched on or off (back to the first page). */
export function toggleOutcome(filter: HostFilter, outcome: PuppetRunOutcomeFilter): HostFilter {
  const outcomes = filter.outcomes.includes(outcome) ? filter.outcomes.filter((o) => o !== outcome) : [...filter.outcomes, outcome];
  return { ...filter, outcomes, page: 1 };
}

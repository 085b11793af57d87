import { HOST_STATES, type HostState } from '@common/jobs';

/**
 * What the job page's host table shows, kept in the page's URL so that a link to a job's failed
 * hosts works: `/jobs/7?state=failed,no_response&search=name%20~%20web&page=2&per_page=50`.
 */
export interface HostFilter {
  states: HostState[];
  search: string;
  page: number;
  perPage: number;
}

export const DEFAULT_PER_PAGE = 20;

/** The filter a URL asks for; unknown states and bad numbers are left out, never an error. */
export function readHostFilter(params: URLSearchParams): HostFilter {
  const asked = (params.get('state') ?? '').split(',').map((s) => s.trim());
  const states = HOST_STATES.filter((s) => asked.includes(s));
  const page = Number(params.get('page'));
  const perPage = Number(params.get('per_page'));
  return {
    states,
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
  if (filter.search) q.set('search', filter.search);
  if (filter.page > 1) q.set('page', String(filter.page));
  if (filter.perPage !== DEFAULT_PER_PAGE) q.set('per_page', String(filter.perPage));
  const text = q.toString();
  // URLSearchParams writes `,` as %2C; the state list reads better as it is.
  return text ? `?${text.replace(/%2C/g, ',')}` : '';
}

/** The filter with `state` switched on or off (back to the first page). */
export function toggleState(filter: HostFilter, state: HostState): HostFilter {
  const states = filter.states.includes(state) ? filter.states.filter((s) => s !== state) : [...filter.states, state];
  return { ...filter, states, page: 1 };
}

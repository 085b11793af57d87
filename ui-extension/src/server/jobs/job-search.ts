import { AppError } from '../errors';

/** The fields `GET /api/v2/remote_execution/jobs?search=` understands, as Foreman's scoped search. */
export const JOB_SEARCH_FIELDS = ['id', 'namespace', 'action', 'state', 'owner', 'description', 'targeting', 'hostgroup', 'hostgroup_id', 'host', 'host_id', 'fact', 'parent_id'] as const;
export type JobSearchField = (typeof JOB_SEARCH_FIELDS)[number];
export type JobSearchOperator = '=' | '!=' | '~' | '!~';

export interface JobSearchTerm {
  field: JobSearchField | 'text';
  op: JobSearchOperator;
  value: string;
}

const ALIASES: Record<string, JobSearchField> = { user: 'owner', target: 'targeting', search: 'targeting', status: 'state', agent: 'namespace', fact_name: 'fact', hostgroup_title: 'hostgroup', host_name: 'host' };
const TOKEN = /\s*(?:([a-z_.]+)\s*(!=|!~|=|~)\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))|"([^"]*)"|([^\s"']+))/gi;

/**
 * Parses a Foreman-style search: terms `field op value` joined by `and` (Foreman's default), and bare
 * words that match the description, the targeting text, the namespace, the action or the arguments. `or` and parentheses are not supported
 * and are refused rather than silently read as `and`.
 */
export function parseJobSearch(search: string): JobSearchTerm[] {
  const terms: JobSearchTerm[] = [];
  const text = search.trim();
  if (text === '') return terms;
  TOKEN.lastIndex = 0;
  let consumed = 0;
  for (let m = TOKEN.exec(text); m && m[0].trim() !== ''; m = TOKEN.exec(text)) {
    consumed = TOKEN.lastIndex;
    if (m[1]) {
      const raw = m[1].toLowerCase();
      const field = (ALIASES[raw] ?? raw) as JobSearchField;
      if (!JOB_SEARCH_FIELDS.includes(field)) {
        throw new AppError('INVALID_ARGUMENT', `search: unknown field '${m[1]}'; valid fields are ${JOB_SEARCH_FIELDS.join(', ')}`, { details: { fields: [{ field: 'search', rule: `unknown field ${m[1]}` }] } });
      }
      terms.push({ field, op: m[2] as JobSearchOperator, value: m[3] ?? m[4] ?? m[5] ?? '' });
      continue;
    }
    const word = m[6] ?? m[7] ?? '';
    if (/^and$/i.test(word) || word === '&&') continue;
    if (/^(or|\|\||not)$/i.test(word) || /[()]/.test(word)) {
      throw new AppError('INVALID_ARGUMENT', `search: '${word}' is not supported; combine terms with 'and'`, { details: { fields: [{ field: 'search', rule: 'terms joined by and' }] } });
    }
    terms.push({ field: 'text', op: '~', value: word });
  }
  if (text.slice(consumed).trim() !== '') {
    throw new AppError('INVALID_ARGUMENT', `search: cannot parse '${text.slice(consumed).trim()}'`, { details: { fields: [{ field: 'search', rule: 'field op value' }] } });
  }
  return terms;
}

/** The fields `GET /api/v2/remote_execution/actions?search=` understands; bare words match namespace, action and arguments. */
export const ACTION_SEARCH_FIELDS = ['id', 'namespace', 'action'] as const;
export type ActionSearchTerm = JobSearchTerm & { field: (typeof ACTION_SEARCH_FIELDS)[number] | 'text' };

/** Parses a search over stored remote actions: the job search's syntax, with the fields an action has. */
export function parseActionSearch(search: string): ActionSearchTerm[] {
  const terms = parseJobSearch(search);
  for (const term of terms) {
    if (term.field !== 'text' && !(ACTION_SEARCH_FIELDS as readonly string[]).includes(term.field)) {
      throw new AppError('INVALID_ARGUMENT', `search: field '${term.field}' cannot be used on remote actions; valid fields are ${ACTION_SEARCH_FIELDS.join(', ')} (bare words match namespace, action and arguments)`, { details: { fields: [{ field: 'search', rule: `unknown field ${term.field}` }] } });
    }
  }
  return terms as ActionSearchTerm[];
}

/** Fact names a host search refers to (`facts.osfamily = RedHat`, `fact.kernel ~ 5`), for the history. */
export function factNamesOfSearch(search: string | null | undefined): string[] {
  if (!search) return [];
  const names = new Set<string>();
  for (const m of search.matchAll(/\bfacts?\.([A-Za-z0-9_:.-]+?)\s*(?=!=|!~|=|~|<|>|\s|\^|$)/g)) names.add(m[1]);
  return [...names].sort();
}

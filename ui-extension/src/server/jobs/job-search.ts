import { HOST_STATES, JOB_STATES, PUPPET_RUN_OUTCOME_FILTERS } from '@common/jobs';
import { SEARCH_OPERATORS, type CustomContext, type FieldDefinition, type SearchDefinition, type Sql, type SqlDialect } from '../search/compiler';
import { parseSearch, type SearchNode } from '../search/parser';

/**
 * The search definitions of the job listings, for the one parser and compiler every listing uses
 * (search/parser.ts, search/compiler.ts): the same syntax (`and`, `or`, `not`, parentheses, `^`,
 * `set?`), and the same 400 naming the position for an unknown field, operator or value.
 */

/** SQL concatenation, which MySQL spells CONCAT and SQLite `||` (MySQL reads `||` as OR). */
function concat(dialect: SqlDialect, ...parts: string[]): string {
  return dialect === 'mysql' ? `CONCAT(${parts.join(', ')})` : `(${parts.join(' || ')})`;
}

/**
 * Ids of the hostgroups `groups` matches and of every group below them, as a subquery over
 * `hostgroups d`. Descendants are found by title prefix compared with SUBSTR, not LIKE: a title
 * may hold `_` or `%`, which LIKE would read as wildcards.
 */
function subtreeIds(groups: Sql, dialect: SqlDialect): Sql {
  const prefix = dialect === 'mysql' ? 'SUBSTRING(d.title, 1, CHAR_LENGTH(g.title) + 1)' : 'substr(d.title, 1, length(g.title) + 1)';
  return {
    sql: `SELECT d.id FROM hostgroups d WHERE EXISTS (SELECT 1 FROM hostgroups g WHERE ${groups.sql} AND (d.id = g.id OR ${prefix} = ${concat(dialect, 'g.title', "'/'")}))`,
    params: groups.params,
  };
}

/** A job that targeted one of the groups or ran on a host that was in one of them when it ran. */
function jobInHostgroups(ids: Sql): Sql {
  return {
    sql: `(job.targeting_hostgroup_id IN (${ids.sql}) OR EXISTS (SELECT 1 FROM job_invocation_hosts jh WHERE jh.job_invocation_id = job.id AND jh.hostgroup_id IN (${ids.sql})))`,
    params: [...ids.params, ...ids.params],
  };
}

/** A condition on the job's host rows: some host of the job matches. */
function someJobHost(condition: Sql): Sql {
  return { sql: `EXISTS (SELECT 1 FROM job_invocation_hosts jh WHERE jh.job_invocation_id = job.id AND ${condition.sql})`, params: condition.params };
}

const JOB_FIELDS: Record<string, FieldDefinition> = {
  id: { kind: 'column', column: 'job.id', type: 'number' },
  parent_id: { kind: 'column', column: 'job.parent_id', type: 'number', nullable: true },
  namespace: { kind: 'column', column: 'ra.namespace', type: 'string' },
  action: { kind: 'column', column: 'ra.action', type: 'string' },
  // Canonical JSON of the arguments: `arguments ~ nginx` is a substring match on it.
  arguments: { kind: 'column', column: 'ra.arguments', type: 'string' },
  state: { kind: 'column', column: 'job.state', type: 'string', values: JOB_STATES },
  owner: { kind: 'column', column: 'job.owner', type: 'string' },
  description: { kind: 'column', column: 'job.description', type: 'string' },
  targeting: { kind: 'column', column: 'job.targeting_search', type: 'string', nullable: true },
  created_at: { kind: 'column', column: 'job.created_at', type: 'datetime' },
  started_at: { kind: 'column', column: 'job.started_at', type: 'datetime', nullable: true },
  finished_at: { kind: 'column', column: 'job.finished_at', type: 'datetime', nullable: true },
  host: {
    kind: 'custom',
    type: 'string',
    operators: SEARCH_OPERATORS.lookup,
    // The name the host had when the job ran (the job host row), served by (job, host_name).
    compile: (c) => someJobHost(c.match('jh.host_name')),
  },
  host_id: { kind: 'custom', type: 'number', operators: SEARCH_OPERATORS.enum, compile: (c) => someJobHost(c.match('jh.host_id')) },
  hostgroup: {
    kind: 'custom',
    type: 'string',
    operators: SEARCH_OPERATORS.lookup,
    // A group by its name (Foreman's `hostgroup`) or its title (`base/db`), with the groups below it.
    compile: (c) => {
      const name = c.match('g.name');
      const title = c.match('g.title');
      return jobInHostgroups(subtreeIds({ sql: `(${name.sql} OR ${title.sql})`, params: [...name.params, ...title.params] }, c.dialect));
    },
  },
  hostgroup_id: {
    kind: 'custom',
    type: 'number',
    operators: SEARCH_OPERATORS.enum,
    // The id itself counts even when its group is gone: job rows keep the id they ran with.
    compile: (c) => {
      const ids = c.values.map(Number);
      const below = subtreeIds({ sql: `g.id IN (${ids.map(() => '?').join(', ')})`, params: ids }, c.dialect);
      return jobInHostgroups({ sql: `SELECT ? AS id${ids.slice(1).map(() => ' UNION SELECT ?').join('')} UNION ${below.sql}`, params: [...ids, ...below.params] });
    },
  },
  smart_proxy: {
    kind: 'custom',
    type: 'string',
    operators: SEARCH_OPERATORS.lookup,
    compile: (c) => {
      const name = c.match('sp.name');
      return { sql: `EXISTS (SELECT 1 FROM job_invocation_proxies jp INNER JOIN smart_proxies sp ON sp.id = jp.smart_proxy_id WHERE jp.job_invocation_id = job.id AND ${name.sql})`, params: name.params };
    },
  },
  smart_proxy_id: {
    kind: 'custom',
    type: 'number',
    operators: SEARCH_OPERATORS.enum,
    compile: (c) => {
      const id = c.match('jp.smart_proxy_id');
      return { sql: `EXISTS (SELECT 1 FROM job_invocation_proxies jp WHERE jp.job_invocation_id = job.id AND ${id.sql})`, params: id.params };
    },
  },
  fact: {
    kind: 'custom',
    type: 'string',
    operators: SEARCH_OPERATORS.lookup,
    // Fact names the job's targeting search named (`facts.osfamily = RedHat` names osfamily).
    compile: (c) => {
      const name = c.match('jf.fact_name');
      return { sql: `EXISTS (SELECT 1 FROM job_invocation_fact_names jf WHERE jf.job_invocation_id = job.id AND ${name.sql})`, params: name.params };
    },
  },
};

/** The config key that chooses which facts are recorded with each job, for the 400 on any other. */
export const RECORDED_FACTS_KEY = 'jobs.recorded_facts';

/**
 * `GET /api/v2/remote_execution/jobs?search=` (and the per-host, -hostgroup, -proxy and -fact
 * histories), over `job_invocations job` joined with `remote_actions ra`. `facts.<name>` matches
 * the values the job's hosts had when the job's hosts were written (job_invocation_fact_values),
 * for the facts in `recordedFacts` only; without the list, any name is accepted (documentation).
 */
export function jobSearchDefinition(recordedFacts?: readonly string[]): SearchDefinition {
  return {
    idColumn: 'job.id',
    fields: JOB_FIELDS,
    aliases: { user: 'owner', target: 'targeting', search: 'targeting', status: 'state', agent: 'namespace', fact_name: 'fact', hostgroup_title: 'hostgroup', hostgroup_fullname: 'hostgroup', host_name: 'host', proxy: 'smart_proxy', puppetmaster: 'smart_proxy' },
    keyValues: {
      facts: {
        table: 'job_invocation_fact_values',
        ownerColumn: 'job_invocation_id',
        nameColumn: 'fact_name',
        valueColumn: 'value',
        mysqlIndex: 'idx_job_invocation_fact_values_name_value',
        ...(recordedFacts ? { names: recordedFacts, namesHint: `facts are recorded with a job for the names in ${RECORDED_FACTS_KEY}` } : {}),
      },
    },
    // `rex history search nginx` finds a job by its action, arguments or target alike.
    freeText: ['description', 'targeting', 'namespace', 'action', 'arguments'],
  };
}

/** The job search as documented (any fact name); the service builds its own with the configured names. */
export const JOB_SEARCH = jobSearchDefinition();

/** A host's output: its status message, the reason it ended so, and its reply data (stdout, stderr, ...). */
const OUTPUT_COLUMNS = ['jh.statusmsg', 'jh.reason', 'jh.data'];

/**
 * A host's Puppet run outcome (issue 18) in SQL: the `run.outcome` the proxy put in its reply data
 * (puppet-run-outcome.ts reads the same), else `not_run` once the host has ended without one (as the
 * job's puppet_run aggregate counts it: skipped hosts are not counted, pending and running ones have
 * no outcome yet). Data that is not JSON has no outcome (SQLite's json_extract would fail on it).
 */
function puppetRunOutcomeSql(dialect: SqlDialect): string {
  const outcome = dialect === 'mysql' ? "CASE WHEN JSON_VALID(jh.data) THEN JSON_VALUE(jh.data, '$.run.outcome') END" : "CASE WHEN json_valid(jh.data) THEN json_extract(jh.data, '$.run.outcome') END";
  const ran = PUPPET_RUN_OUTCOME_FILTERS.filter((o) => o !== 'not_run').map((o) => `'${o}'`).join(', ');
  return `(CASE WHEN ${outcome} IN (${ran}) THEN ${outcome} WHEN jh.state IN ('succeeded', 'failed', 'no_response', 'cancelled') THEN 'not_run' END)`;
}

/** `GET /api/v2/remote_execution/jobs/:id/hosts?search=`, over `job_invocation_hosts jh`. */
export const JOB_HOST_SEARCH: SearchDefinition = {
  idColumn: 'jh.id',
  fields: {
    name: { kind: 'column', column: 'jh.host_name', type: 'string' },
    host_id: { kind: 'column', column: 'jh.host_id', type: 'number' },
    state: { kind: 'column', column: 'jh.state', type: 'string', values: HOST_STATES },
    smart_proxy: { kind: 'lookup', column: 'jh.smart_proxy_id', table: 'smart_proxies', idColumn: 'id', match: 'name' },
    hostgroup: { kind: 'lookup', column: 'jh.hostgroup_id', table: 'hostgroups', idColumn: 'id', match: ['name', 'title'] },
    parent_hostgroup: { kind: 'subtree', column: 'jh.hostgroup_id', table: 'hostgroups', idColumn: 'id', pathColumn: 'title', separator: '/' },
    statuscode: { kind: 'column', column: 'jh.statuscode', type: 'number', nullable: true },
    statusmsg: { kind: 'column', column: 'jh.statusmsg', type: 'string', nullable: true },
    reason: { kind: 'column', column: 'jh.reason', type: 'string', nullable: true },
    output: {
      kind: 'custom',
      type: 'string',
      operators: ['~', '!~'],
      // A LIKE over the stored text: the data is JSON, so a quote or a line break in it reads as \" or \n.
      compile: (c: CustomContext) => {
        const each = OUTPUT_COLUMNS.map((column) => c.match(column, { nullable: true }));
        return { sql: `(${each.map((e) => e.sql).join(' OR ')})`, params: each.flatMap((e) => e.params) };
      },
    },
    started_at: { kind: 'column', column: 'jh.started_at', type: 'datetime', nullable: true },
    finished_at: { kind: 'column', column: 'jh.finished_at', type: 'datetime', nullable: true },
    outcome: {
      kind: 'custom',
      type: 'string',
      operators: SEARCH_OPERATORS.enum,
      values: PUPPET_RUN_OUTCOME_FILTERS,
      compile: (c: CustomContext) => c.match(puppetRunOutcomeSql(c.dialect), { nullable: true }),
    },
  },
  aliases: { host: 'name', puppet_outcome: 'outcome', host_name: 'name', status: 'state', proxy: 'smart_proxy', puppetmaster: 'smart_proxy', hostgroup_title: 'hostgroup', hostgroup_fullname: 'hostgroup', exit_status: 'statuscode', status_message: 'statusmsg' },
  freeText: ['name'],
};

/**
 * The hosts list's filter: the user's search and, with `outcomes` (the `outcome=` parameter), only
 * hosts with one of those Puppet run outcomes. Joined as trees, so a 400 on the search still names
 * the position in the text the user wrote.
 */
export function jobHostFilter(search: string | undefined, outcomes: readonly string[] | undefined): SearchNode | null {
  const user = search && search.trim() !== '' ? parseSearch(search) : null;
  if (!outcomes || outcomes.length === 0) return user;
  const outcome: SearchNode = { type: 'list', key: 'outcome', operator: '^', values: [...outcomes], position: 0 };
  return user ? { type: 'and', left: user, right: outcome } : outcome;
}

/** `GET /api/v2/remote_execution/actions?search=`, over `remote_actions ra`. */
export const ACTION_SEARCH: SearchDefinition = {
  idColumn: 'ra.id',
  fields: {
    id: { kind: 'column', column: 'ra.id', type: 'number' },
    namespace: { kind: 'column', column: 'ra.namespace', type: 'string' },
    action: { kind: 'column', column: 'ra.action', type: 'string' },
    arguments: { kind: 'column', column: 'ra.arguments', type: 'string' },
  },
  aliases: { agent: 'namespace' },
  freeText: ['namespace', 'action', 'arguments'],
};

/** Fact names a host search refers to (`facts.osfamily = RedHat`, `set? facts.kernel`), for the history. */
export function factNamesOfSearch(search: string | null | undefined): string[] {
  if (!search) return [];
  let ast: SearchNode | null;
  try {
    ast = parseSearch(search);
  } catch {
    // A search the host search refused never made a job; nothing to record.
    return [];
  }
  const names = new Set<string>();
  const visit = (node: SearchNode | null): void => {
    if (!node) return;
    switch (node.type) {
      case 'and':
      case 'or':
        visit(node.left);
        visit(node.right);
        return;
      case 'not':
        visit(node.operand);
        return;
      case 'text':
        return;
      default: {
        const dot = node.key.indexOf('.');
        if (dot > 0 && node.key.slice(0, dot).toLowerCase() === 'facts' && dot < node.key.length - 1) names.add(node.key.slice(dot + 1));
      }
    }
  };
  visit(ast);
  return [...names].sort();
}

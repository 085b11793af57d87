import { hostScope, type CurrentUser, type HostScope } from '../auth/abilities';
import { compileSearch, type CompileOptions, type SearchDefinition, type Sql } from '../search/compiler';
import type { SearchNode } from '../search/parser';

/**
 * Whose job history is asked for: `/hosts/:id/remote_execution/jobs` and its siblings. Hosts and
 * smart proxies are addressed by id or name, hostgroups by id or title, as everywhere else in the
 * API; a fact by name, and with `value` by the value its hosts had when the job ran.
 */
export type HistoryOf =
  | { host: string }
  | { hostgroup: string }
  | { smartProxy: string }
  | { fact: string; value?: string };

/** A subject as the inventory knows it: its id whatever the caller's scope (job rows keep ids), and whether the caller may see it. */
export interface HistorySubject {
  id: number;
  visible: boolean;
}

/** Looks subjects up in the inventory; `scope` is the caller's view permission for that kind. */
export interface HistorySubjects {
  host(idOrName: string, scope: HostScope): Promise<HistorySubject | null>;
  hostgroup(idOrTitle: string, scope: HostScope): Promise<HistorySubject | null>;
  smartProxy(idOrName: string, scope: HostScope): Promise<HistorySubject | null>;
  /** Whether a host has the fact (id is 0: facts have none). */
  factName(name: string, scope: HostScope): Promise<HistorySubject | null>;
}

type Finder = (key: string, scope?: HostScope) => Promise<{ id: number } | null>;

/** Subjects from the inventory repositories: one unscoped read for the id, one scoped for visibility. */
export function createHistorySubjects(repos: {
  hosts: { findByIdOrName: Finder; hasFactName(name: string, scope?: HostScope): Promise<boolean> };
  hostgroups: { findByIdOrTitle: Finder };
  smartProxies: { findByIdOrName: Finder };
}): HistorySubjects {
  const subject = async (find: Finder, key: string, scope: HostScope): Promise<HistorySubject | null> => {
    const found = await find(key);
    if (!found) return null;
    return { id: found.id, visible: scope.all || (await find(key, scope)) !== null };
  };
  return {
    host: (idOrName, scope) => subject((k, s) => repos.hosts.findByIdOrName(k, s), idOrName, scope),
    hostgroup: (idOrTitle, scope) => subject((k, s) => repos.hostgroups.findByIdOrTitle(k, s), idOrTitle, scope),
    smartProxy: (idOrName, scope) => subject((k, s) => repos.smartProxies.findByIdOrName(k, s), idOrName, scope),
    async factName(name, scope) {
      if (!(await repos.hosts.hasFactName(name))) return null;
      return { id: 0, visible: scope.all || (await repos.hosts.hasFactName(name, scope)) };
    },
  };
}

/**
 * A path segment that is an id: decimal digits only, as the rest of the API reads them (`0x10`
 * and `1e3` are names), and small enough to be one.
 */
export function isDecimalId(text: string): boolean {
  return /^\d+$/.test(text) && Number.isSafeInteger(Number(text));
}

const condition = (key: string, value: string | number): SearchNode => ({ type: 'condition', key, operator: '=', value: String(value), position: 1 });
const either = (left: SearchNode, right: SearchNode): SearchNode => ({ type: 'or', left, right });

export interface HistoryScope {
  /** The condition on `job` and `ra` that makes the listing this subject's history. */
  scope: Sql;
  /** The caller may see the subject itself; when not, an empty history is a 404 (as if it did not exist). */
  visible: boolean;
  notFound: string;
}

/**
 * The history of one subject as a job search condition, compiled with the job search definition
 * (so `facts.<name>` is refused for a fact whose values are not recorded). A host by id matches
 * the job rows of that id; by name, the rows of the host of that name now and the rows that had
 * that name when they ran (a host deleted or renamed since).
 */
export async function historyScope(user: CurrentUser, of: HistoryOf, context: { definition: SearchDefinition; options: CompileOptions; subjects?: HistorySubjects }): Promise<HistoryScope> {
  const { subjects } = context;
  const compile = (node: SearchNode | null): Sql => (node ? compileSearch(node, context.definition, context.options) : { sql: '1=0', params: [] });
  if ('host' in of) {
    const found = subjects ? await subjects.host(of.host, hostScope(user, 'view_hosts')) : null;
    const node = isDecimalId(of.host) ? condition('host_id', of.host) : found ? either(condition('host_id', found.id), condition('host', of.host)) : condition('host', of.host);
    return { scope: compile(node), visible: found?.visible ?? false, notFound: `host not found by id or name '${of.host}'` };
  }
  if ('hostgroup' in of) {
    const found = subjects ? await subjects.hostgroup(of.hostgroup, hostScope(user, 'view_hosts')) : null;
    // Job rows keep the hostgroup's id: a title that names no group now matches nothing.
    const node = isDecimalId(of.hostgroup) ? condition('hostgroup_id', of.hostgroup) : found ? condition('hostgroup_id', found.id) : null;
    return { scope: compile(node), visible: found?.visible ?? false, notFound: `hostgroup not found by id or title '${of.hostgroup}'` };
  }
  if ('smartProxy' in of) {
    const found = subjects ? await subjects.smartProxy(of.smartProxy, hostScope(user, 'view_smart_proxies')) : null;
    const node = isDecimalId(of.smartProxy) ? condition('smart_proxy_id', of.smartProxy) : condition('smart_proxy', of.smartProxy);
    return { scope: compile(node), visible: found?.visible ?? false, notFound: `smart proxy not found by id or name '${of.smartProxy}'` };
  }
  const found = subjects ? await subjects.factName(of.fact, hostScope(user, 'view_hosts')) : null;
  const node = of.value === undefined ? condition('fact', of.fact) : condition(`facts.${of.fact}`, of.value);
  return { scope: compile(node), visible: found?.visible ?? false, notFound: `fact not found: no host has a fact named '${of.fact}' and no job you may see mentions it` };
}

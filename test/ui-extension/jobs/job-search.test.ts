import { AppError } from '@server/errors';
import { ACTION_SEARCH, factNamesOfSearch, JOB_HOST_SEARCH, jobSearchDefinition } from '@server/jobs/job-search';
import { compileSearch, type SearchDefinition } from '@server/search/compiler';

const NOW = new Date('2026-12-20T12:00:00.000Z');
const compile = (search: string, definition: SearchDefinition, dialect: 'mysql' | 'sqlite' = 'sqlite') => compileSearch(search, definition, { dialect, now: NOW });
const JOBS = jobSearchDefinition(['osfamily']);

function refusal(search: string, definition: SearchDefinition): AppError {
  try {
    compile(search, definition);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error(`no error for ${search}`);
}

describe('job search', () => {
  it('reads or, not and parentheses as the host search does when they join job fields', () => {
    expect(compile('(state = failed or state = cancelled) and not namespace = puppet', JOBS)).toEqual({
      sql: '((job.state = ? OR job.state = ?) AND NOT (ra.namespace = ?))',
      params: ['failed', 'cancelled', 'puppet'],
    });
  });

  it('maps Foreman aliases to their fields when user, status or agent are used', () => {
    expect(compile('user = admin and status = running and agent = package', JOBS).sql).toBe('((job.owner = ? AND job.state = ?) AND ra.namespace = ?)');
  });

  it('matches a bare word in the description, targeting, namespace, action and arguments', () => {
    const { sql, params } = compile('nginx', JOBS);
    expect(sql).toBe("(job.description LIKE ? ESCAPE '!' OR (job.targeting_search IS NOT NULL AND job.targeting_search LIKE ? ESCAPE '!') OR ra.namespace LIKE ? ESCAPE '!' OR ra.action LIKE ? ESCAPE '!' OR ra.arguments LIKE ? ESCAPE '!')");
    expect(params).toEqual(new Array(5).fill('%nginx%'));
  });

  it('matches a hostgroup by name or title with the groups below it when the value is a title', () => {
    const { sql, params } = compile('hostgroup = base/db', JOBS, 'sqlite');
    expect(sql).toContain('job.targeting_hostgroup_id IN (SELECT d.id FROM hostgroups d WHERE EXISTS (SELECT 1 FROM hostgroups g WHERE (g.name = ? OR g.title = ?)');
    expect(sql).toContain("substr(d.title, 1, length(g.title) + 1) = (g.title || '/')");
    expect(sql).toContain('jh.hostgroup_id IN (');
    expect(params).toEqual(['base/db', 'base/db', 'base/db', 'base/db']);
  });

  it('writes the title prefix with CONCAT on MySQL, where || means or', () => {
    expect(compile('hostgroup = base', JOBS, 'mysql').sql).toContain("SUBSTRING(d.title, 1, CHAR_LENGTH(g.title) + 1) = CONCAT(g.title, '/')");
  });

  it('keeps a hostgroup id whose group is gone when hostgroup_id is searched', () => {
    const { sql, params } = compile('hostgroup_id = 7', JOBS);
    expect(sql).toContain('SELECT ? AS id UNION SELECT d.id FROM hostgroups d');
    expect(params.slice(0, 2)).toEqual([7, 7]);
  });

  it('refuses a value that is not a job state, naming the states', () => {
    expect(refusal('state = failde', JOBS).message).toBe("search: 'failde' is not a value of state at position 1; use one of scheduled, queued, running, succeeded, failed, cancelled");
  });

  it('refuses an unknown field with its position and the valid fields', () => {
    const error = refusal('namespace = package and colour = red', JOBS);
    expect(error.message).toMatch(/^search: unknown field 'colour' at position 25; valid fields are id, parent_id, namespace/);
    expect(error.details).toMatchObject({ position: 25 });
  });

  it('refuses an operator the field does not take, with its position', () => {
    expect(refusal('id ~ 5', JOBS).message).toBe("search: operator '~' cannot be used with id at position 1; use one of = != ^ !^ > < >= <=");
  });

  it('matches recorded fact values as a semi-join when facts.<name> is searched', () => {
    expect(compile('facts.osfamily = Debian', JOBS)).toEqual({
      sql: 'job.id IN (SELECT kv.job_invocation_id FROM job_invocation_fact_values kv WHERE kv.fact_name = ? AND kv.value = ?)',
      params: ['osfamily', 'Debian'],
    });
  });

  it('refuses a fact whose values are not recorded, naming the config key', () => {
    expect(refusal('facts.kernel = Linux', JOBS).message).toBe("search: 'facts.kernel' at position 1 cannot be searched here: only facts.osfamily are recorded; facts are recorded with a job for the names in jobs.recorded_facts");
  });

  it('still reads fact as the fact names the targeting mentioned', () => {
    expect(compile('fact = osfamily', JOBS).sql).toBe('EXISTS (SELECT 1 FROM job_invocation_fact_names jf WHERE jf.job_invocation_id = job.id AND jf.fact_name = ?)');
  });
});

describe('job host search', () => {
  it('compiles name, state, proxy and hostgroup when the job page combines them', () => {
    const { sql, params } = compile('name ~ web and (state = failed or state = no_response) and smart_proxy = puppet-a and hostgroup = base/web', JOB_HOST_SEARCH);
    expect(sql).toBe("(((jh.host_name LIKE ? ESCAPE '!' AND (jh.state = ? OR jh.state = ?)) AND (jh.smart_proxy_id IS NOT NULL AND jh.smart_proxy_id IN (SELECT t.id FROM smart_proxies t WHERE t.name = ?))) AND (jh.hostgroup_id IS NOT NULL AND jh.hostgroup_id IN (SELECT t.id FROM hostgroups t WHERE t.name = ? OR t.title = ?)))");
    expect(params).toEqual(['%web%', 'failed', 'no_response', 'puppet-a', 'base/web', 'base/web']);
  });

  it('searches the status message, the reason and the reply data when output ~ is used', () => {
    expect(compile('output ~ "No space"', JOB_HOST_SEARCH)).toEqual({
      sql: "((jh.statusmsg IS NOT NULL AND jh.statusmsg LIKE ? ESCAPE '!') OR (jh.reason IS NOT NULL AND jh.reason LIKE ? ESCAPE '!') OR (jh.data IS NOT NULL AND jh.data LIKE ? ESCAPE '!'))",
      params: ['%No space%', '%No space%', '%No space%'],
    });
  });

  it('keeps not output ~ two-valued, so hosts without output match it', () => {
    expect(compile('not output ~ x', JOB_HOST_SEARCH).sql).toMatch(/^NOT \(\(\(jh\.statusmsg IS NOT NULL AND/);
  });

  it('reads statusmsg ~, exit_status and proxy under their Foreman names', () => {
    expect(compile('statusmsg ~ Simulated and exit_status = 1 and proxy = p', JOB_HOST_SEARCH).sql).toContain('jh.statusmsg LIKE ?');
    expect(compile('exit_status = 1', JOB_HOST_SEARCH)).toEqual({ sql: '(jh.statuscode IS NOT NULL AND jh.statuscode = ?)', params: [1] });
  });

  it('refuses output = because the output is matched as text', () => {
    expect(refusal('output = x', JOB_HOST_SEARCH).message).toBe("search: operator '=' cannot be used with output at position 1; use one of ~ !~");
  });

  it('refuses a host state that does not exist', () => {
    expect(refusal('state ^ (failed, faild)', JOB_HOST_SEARCH).message).toMatch(/'faild' is not a value of state at position 1; use one of pending, running, succeeded/);
  });
});

describe('action search', () => {
  it('matches a bare word in namespace, action and arguments', () => {
    expect(compile('vim', ACTION_SEARCH).params).toEqual(['%vim%', '%vim%', '%vim%']);
  });

  it('refuses a job field on stored actions, naming the valid fields', () => {
    expect(refusal('hostgroup = web', ACTION_SEARCH).message).toBe("search: unknown field 'hostgroup' at position 1; valid fields are id, namespace, action, arguments");
  });
});

describe(factNamesOfSearch.name, () => {
  it('collects fact names when a search uses facts.<name> in any part of it', () => {
    expect(factNamesOfSearch('facts.osfamily = RedHat and (facts.kernel ~ 5 or not set? facts.role) and name ~ web')).toEqual(['kernel', 'osfamily', 'role']);
  });

  it('is empty when there is no search or it does not parse', () => {
    expect(factNamesOfSearch(null)).toEqual([]);
    expect(factNamesOfSearch('facts.os = "unterminated')).toEqual([]);
  });
});

import { AppError } from '@server/errors';
import { compileSearch, jsonListField, likePattern, parseDateValue, searchFields, type SearchDefinition } from '@server/search/compiler';
import { HOST_SEARCH } from '@server/search/host-search';

const NOW = new Date('2025-06-15T12:00:00.000Z');
const compile = (search: string, dialect: 'mysql' | 'sqlite' = 'mysql') => compileSearch(search, HOST_SEARCH, { dialect, now: NOW });

function errorOf(search: string): AppError {
  try {
    compile(search);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error(`no error for ${search}`);
}

describe(compileSearch.name, () => {
  it('compiles to 1=1 when the search is empty', () => {
    expect(compile('')).toEqual({ sql: '1=1', params: [] });
  });

  it('never puts a value into the SQL text when values look like SQL', () => {
    const evil = "x' OR 1=1 --";
    const compiled = compile(`name = "${evil}" or facts.os ~ "${evil}" or hostgroup ^ ("${evil}", b)`);
    expect(compiled.sql).not.toContain(evil);
    expect(compiled.params).toEqual([evil, 'os', `%${evil}%`, evil, 'b', evil, 'b']);
  });

  it('searches the name with LIKE when given free text', () => {
    expect(compile('web01')).toEqual({ sql: "h.name LIKE ? ESCAPE '!'", params: ['%web01%'] });
  });

  it('compiles a fact condition as a semi-join on (name, value)', () => {
    expect(compile('facts.osfamily = RedHat', 'sqlite')).toEqual({ sql: 'h.id IN (SELECT kv.host_id FROM facts kv WHERE kv.name = ? AND kv.value = ?)', params: ['osfamily', 'RedHat'] });
  });

  it('forces the (name, value) index on MySQL when compiling a fact condition', () => {
    expect(compile('facts.osfamily = RedHat', 'mysql').sql).toBe('h.id IN (SELECT kv.host_id FROM facts kv FORCE INDEX (idx_facts_name_value) WHERE kv.name = ? AND kv.value = ?)');
  });

  it('negates a fact condition so hosts without the fact match', () => {
    expect(compile('facts.osfamily != RedHat', 'sqlite').sql).toBe('NOT (h.id IN (SELECT kv.host_id FROM facts kv WHERE kv.name = ? AND kv.value = ?))');
  });

  it('compares fact values numerically when the value is a number', () => {
    expect(compile('facts.processorcount >= 4', 'mysql').sql).toContain('CAST(kv.value AS DECIMAL(30,10)) >= ?');
    expect(compile('facts.processorcount >= 4', 'sqlite').sql).toContain('CAST(kv.value AS REAL) >= ?');
    expect(compile('facts.processorcount >= 4').params).toEqual(['processorcount', 4]);
  });

  it('matches the group and its descendants by title when the key is parent_hostgroup', () => {
    expect(compile('parent_hostgroup = base')).toEqual({
      sql: "(h.hostgroup_id IS NOT NULL AND h.hostgroup_id IN (SELECT t.id FROM hostgroups t WHERE t.title = ? OR t.title LIKE ? ESCAPE '!'))",
      params: ['base', 'base/%'],
    });
  });

  it('escapes LIKE wildcards of a parent_hostgroup title', () => {
    expect(compile('parent_hostgroup = a_b%').params).toEqual(['a_b%', 'a!_b!%/%']);
  });

  it.each([
    ['hostgroup = web', 'hostgroups', 't.name = ?'],
    ['hostgroup_fullname = base/web', 'hostgroups', 't.title = ?'],
    ['hostgroup_title = base/web', 'hostgroups', 't.title = ?'],
    ['puppetmaster = puppet-a', 'smart_proxies', 't.name = ?'],
    ['smart_proxy = puppet-a', 'smart_proxies', 't.name = ?'],
    ['organization = Acme', 'organizations', 't.name = ?'],
    ['location = Berlin', 'locations', 't.name = ?'],
  ])('looks up the related row when the search is %s', (search, table, condition) => {
    expect(compile(search).sql).toContain(`FROM ${table} t WHERE ${condition}`);
  });

  it('compiles ^ and !^ to IN lists', () => {
    expect(compile('name ^ (a,b)')).toEqual({ sql: 'h.name IN (?, ?)', params: ['a', 'b'] });
    expect(compile('name !^ (a,b)')).toEqual({ sql: 'NOT (h.name IN (?, ?))', params: ['a', 'b'] });
  });

  it('compiles set? and null? to NULL tests', () => {
    expect(compile('set? hostgroup').sql).toBe('h.hostgroup_id IS NOT NULL');
    expect(compile('null? last_seen').sql).toBe('h.last_seen_at IS NULL');
    expect(compile('set? facts.osfamily', 'sqlite')).toEqual({ sql: 'h.id IN (SELECT kv.host_id FROM facts kv WHERE kv.name = ?)', params: ['osfamily'] });
    expect(compile('null? name').sql).toBe('1=0');
  });

  it('compiles has like set? when the key is a fact, and refuses a bare fact name naming the valid keys', () => {
    expect(compile('has facts.osfamily', 'sqlite')).toEqual(compile('set? facts.osfamily', 'sqlite'));
    expect(() => compile('has osfamily')).toThrow(/unknown field 'osfamily' at position 5; valid fields are .*facts\.<name>/);
  });

  it('resolves relative and absolute dates when the key is last_seen', () => {
    expect(compile('last_seen > "2 hours ago"').params).toEqual(['2025-06-15 10:00:00.001']);
    expect(compile('last_seen < 2025-01-31').params).toEqual(['2025-01-31 00:00:00.000']);
    expect(compile('last_seen = 2025-01-31').params).toEqual(['2025-01-31 00:00:00.000', '2025-02-01 00:00:00.000']);
  });

  it('joins with AND, OR and NOT keeping the parse tree', () => {
    expect(compile('name = a or not name = b and name = c').sql).toBe('(h.name = ? OR (NOT (h.name = ?) AND h.name = ?))');
  });

  it('lists the valid keys when a key is unknown', () => {
    const error = errorOf('colour = red');
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe("search: unknown field 'colour' at position 1; valid fields are name, id, hostgroup, hostgroup_id, hostgroup_fullname, hostgroup_title, parent_hostgroup, puppetmaster, smart_proxy, organization, location, last_seen, facts.<name>");
  });

  it('rejects an operator the key does not support', () => {
    expect(errorOf('parent_hostgroup ~ ba').message).toBe("search: operator '~' cannot be used with parent_hostgroup at position 1; use one of = != ^ !^");
  });

  it('rejects a value that is not a date when the key is last_seen', () => {
    expect(errorOf('last_seen > soon').message).toContain("'soon' is not a date at position 1");
  });

  it('matches a hostgroup by its title too when the value is a path, which no name can be', () => {
    expect(compile('hostgroup = base/db')).toEqual({
      sql: '(h.hostgroup_id IS NOT NULL AND h.hostgroup_id IN (SELECT t.id FROM hostgroups t WHERE t.name = ? OR t.title = ?))',
      params: ['base/db', 'base/db'],
    });
  });

  it('names the operator as typed when a negated operator is refused', () => {
    expect(errorOf('last_seen !~ x').message).toBe("search: operator '!~' cannot be used with last_seen at position 1; use one of = != ^ !^ > < >= <=");
  });
});

describe('search definitions with aliases, fixed values, custom fields and recorded names', () => {
  const definition: SearchDefinition = {
    idColumn: 'r.id',
    fields: {
      state: { kind: 'column', column: 'r.state', type: 'string', values: ['on', 'off'] },
      tags: jsonListField('r.tags'),
      child: { kind: 'custom', type: 'string', operators: ['=', '!=', '~', '!~'], compile: (c) => { const m = c.match('c.name'); return { sql: `EXISTS (SELECT 1 FROM children c WHERE c.parent_id = r.id AND ${m.sql})`, params: m.params }; } },
    },
    aliases: { status: 'state' },
    keyValues: { attrs: { table: 'attrs', ownerColumn: 'row_id', nameColumn: 'name', valueColumn: 'value', names: ['colour'], namesHint: 'see attrs.recorded' } },
    freeText: ['child'],
  };
  const run = (search: string) => compileSearch(search, definition, { dialect: 'sqlite', now: NOW });
  const refused = (search: string) => {
    try {
      run(search);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`no error for ${search}`);
  };

  it('compiles an alias as its field when Foreman\'s other name is used', () => {
    expect(run('status = on')).toEqual(run('state = on'));
  });

  it('refuses a value a fixed-value field never holds, naming the values', () => {
    expect(refused('state = of')).toBe("search: 'of' is not a value of state at position 1; use one of on, off");
  });

  it('matches values case-insensitively when a fixed-value field is compared', () => {
    expect(run('state = ON').params).toEqual(['ON']);
  });

  it('matches a JSON list element when = is used, and the stored text when ~ is used', () => {
    expect(run('tags = web')).toEqual({ sql: "r.tags LIKE ? ESCAPE '!'", params: ['%"web"%'] });
    expect(run('tags ^ (a_b, c)')).toEqual({ sql: "(r.tags LIKE ? ESCAPE '!' OR r.tags LIKE ? ESCAPE '!')", params: ['%"a!_b"%', '%"c"%'] });
    expect(run('tags ~ we')).toEqual({ sql: "r.tags LIKE ? ESCAPE '!'", params: ['%we%'] });
  });

  it('wraps a custom field in NOT when its operator is negated', () => {
    expect(run('child != x')).toEqual({ sql: 'NOT (EXISTS (SELECT 1 FROM children c WHERE c.parent_id = r.id AND c.name = ?))', params: ['x'] });
  });

  it('refuses set? on a custom field without a presence condition', () => {
    expect(refused('set? child')).toBe("search: 'set?' cannot be used with child at position 6; compare it with an operator instead");
  });

  it('refuses a dynamic key whose name is not recorded, with the hint', () => {
    expect(refused('attrs.size = 3')).toBe("search: 'attrs.size' at position 1 cannot be searched here: only attrs.colour are recorded; see attrs.recorded");
    expect(run('attrs.COLOUR = red').params).toEqual(['COLOUR', 'red']);
  });

  it('lists fields with operators, aliases and values when documented', () => {
    expect(searchFields(definition)).toEqual([
      { key: 'state', operators: ['=', '!=', '^', '!^'], aliases: ['status'], values: ['on', 'off'] },
      { key: 'tags', operators: ['=', '!=', '~', '!~', '^', '!^'], aliases: [] },
      { key: 'child', operators: ['=', '!=', '~', '!~'], aliases: [] },
      { key: 'attrs.<name>', operators: ['=', '!=', '~', '!~', '^', '!^', '>', '<', '>=', '<='], aliases: [] },
    ]);
  });
});

describe(likePattern.name, () => {
  it('wraps the value for a substring match when it has no wildcard', () => {
    expect(likePattern('web')).toBe('%web%');
  });

  it('turns * into % when the value has a wildcard', () => {
    expect(likePattern('web*.example.com')).toBe('web%.example.com');
  });

  it('escapes % _ and ! so they match literally', () => {
    expect(likePattern('50%_off!')).toBe('%50!%!_off!!%');
  });
});

describe(parseDateValue.name, () => {
  it('returns null when the text is not a date', () => {
    expect(parseDateValue('tomorrowish', NOW)).toBeNull();
  });

  it('covers the whole day when given yesterday', () => {
    expect(parseDateValue('yesterday', NOW)).toEqual({ start: new Date('2025-06-14T00:00:00Z'), end: new Date('2025-06-15T00:00:00Z') });
  });
});

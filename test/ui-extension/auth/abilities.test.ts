import {
  abilityFor,
  actionScope,
  allowsHost,
  asTemplateRunner,
  BUILTIN_ROLES,
  coversAction,
  coversTemplate,
  hasPermission,
  hostgroupSubtreeIds,
  hostScope,
  parseFilterSearch,
  PERMISSIONS,
  ruleWithin,
  rulesFromFilters,
  uncoveredRules,
  type CurrentUser,
  type TaxonomyLookup,
} from '@server/auth/abilities';

const LOOKUP: TaxonomyLookup = {
  hostgroups: [
    { id: 1, title: 'web' },
    { id: 2, title: 'web/eu' },
    { id: 3, title: 'web/eu/fra' },
    { id: 4, title: 'webby' },
    { id: 5, title: 'db' },
  ],
  organizations: [{ id: 10, name: 'OrgA' }, { id: 11, name: 'OrgB' }],
  locations: [{ id: 20, name: 'Amsterdam' }],
};

const user = (rules: CurrentUser['rules'], admin = false): CurrentUser => ({ id: 7, login: 'u', admin, rules });

describe(parseFilterSearch.name, () => {
  it('reads namespace, action, hostgroup, organization and location terms joined by and', () => {
    expect(parseFilterSearch('namespace = package and action ^ (status, install) and hostgroup = web and organization_id = 10 and location = Amsterdam', ['create_jobs'])).toEqual({
      namespaces: ['package'],
      actions: ['status', 'install'],
      hostgroups: [{ title: 'web' }],
      organizations: [{ id: 10 }],
      locations: [{ name: 'Amsterdam' }],
    });
  });

  it('reads an empty search as no conditions', () => {
    expect(parseFilterSearch('  ', ['view_hosts'])).toEqual({});
  });

  it.each([
    ['hostgroup = web or hostgroup = db', /joined by 'and'/],
    ['not hostgroup = db', /joined by 'and'/],
    ['hostgroup != db', /operator '!=' cannot be used/],
    ['hostgroup = web and hostgroup = db', /given twice/],
    ['hostgroup_id = web', /takes ids/],
    ['colour = red', /unknown key 'colour'/],
    ['web', /got 'web'/],
  ])('refuses %s', (search, message) => {
    expect(() => parseFilterSearch(search, ['view_hosts'])).toThrow(message);
  });

  it('refuses agent conditions on a permission about hosts only, naming both', () => {
    expect(() => parseFilterSearch('namespace = package', ['view_jobs', 'view_hosts'])).toThrow("'namespace' does not apply to view_hosts");
  });
});

describe(hostgroupSubtreeIds.name, () => {
  it('includes every descendant and nothing that merely shares a prefix', () => {
    expect(hostgroupSubtreeIds([{ id: 1, title: 'web' }], LOOKUP.hostgroups)).toEqual([1, 2, 3]);
  });
});

describe(rulesFromFilters.name, () => {
  it('resolves names to ids with descendants, and a name that no longer resolves to nothing', () => {
    const rules = rulesFromFilters([{ permissions: ['view_hosts', 'create_jobs'], search: 'hostgroup = web and organization ^ (OrgA, Gone)' }, { permissions: ['view_jobs'], search: 'hostgroup = vanished' }], LOOKUP, { organizationIds: [], locationIds: [] });
    expect(rules).toEqual([
      { permission: 'view_hosts', hostgroupIds: [1, 2, 3], organizationIds: [10] },
      { permission: 'create_jobs', hostgroupIds: [1, 2, 3], organizationIds: [10] },
      { permission: 'view_jobs', hostgroupIds: [] },
    ]);
  });

  it("narrows host rules to the user's organizations, and to none when they do not overlap", () => {
    const rules = rulesFromFilters([{ permissions: ['view_hosts', 'manage_users'], search: null }, { permissions: ['view_jobs'], search: 'organization = OrgB' }], LOOKUP, { organizationIds: [10], locationIds: [] });
    expect(rules).toEqual([{ permission: 'view_hosts', organizationIds: [10] }, { permission: 'manage_users' }, { permission: 'view_jobs', organizationIds: [] }]);
  });

  it('skips a stored filter that no longer parses instead of granting it', () => {
    expect(rulesFromFilters([{ permissions: ['view_hosts'], search: 'hostgroup ~ web' }], LOOKUP, { organizationIds: [], locationIds: [] })).toEqual([]);
  });
});

describe('built-in roles', () => {
  it('grant only known permissions and give Admin every one', () => {
    const known = new Set(PERMISSIONS.map((p) => p.name));
    for (const role of BUILTIN_ROLES) for (const f of role.filters) for (const p of f.permissions) expect(known.has(p)).toBe(true);
    expect(BUILTIN_ROLES.find((r) => r.name === 'Admin')!.filters[0].permissions).toEqual(PERMISSIONS.map((p) => p.name));
    expect(BUILTIN_ROLES.map((r) => r.name)).toEqual(['Viewer', 'Operator', 'Manager', 'Admin']);
  });
});

describe(hostScope.name, () => {
  it('reaches everything for an administrator and nothing for a user without rules', () => {
    expect(hostScope(user([], true), 'view_hosts')).toEqual({ all: true });
    expect(hostScope(user(undefined), 'view_hosts')).toEqual({ all: false, anyOf: [] });
  });

  it('keeps only the rules for the asked agent and action', () => {
    const u = user([
      { permission: 'create_jobs', namespaces: ['package'], actions: ['status'], hostgroupIds: [1, 2] },
      { permission: 'create_jobs', namespaces: ['service'], hostgroupIds: [5] },
    ]);
    expect(hostScope(u, 'create_jobs', { namespace: 'package', action: 'status' })).toEqual({ all: false, anyOf: [{ hostgroupIds: [1, 2] }] });
    expect(hostScope(u, 'create_jobs', { namespace: 'package', action: 'install' })).toEqual({ all: false, anyOf: [] });
    expect(hostScope(u, 'create_jobs', { namespace: 'service', action: 'restart' })).toEqual({ all: false, anyOf: [{ hostgroupIds: [5] }] });
  });

  it('reaches all hosts when one matching rule has no host conditions', () => {
    expect(hostScope(user([{ permission: 'view_hosts', hostgroupIds: [1] }, { permission: 'view_hosts' }]), 'view_hosts')).toEqual({ all: true });
  });
});

describe(actionScope.name, () => {
  it('lists each rule with its agent, action and host conditions', () => {
    expect(actionScope(user([{ permission: 'view_jobs', namespaces: ['package'], organizationIds: [10] }]), 'view_jobs')).toEqual({ all: false, anyOf: [{ namespaces: ['package'], host: { organizationIds: [10] } }] });
    expect(actionScope(user([{ permission: 'view_jobs' }]), 'view_jobs')).toEqual({ all: true });
  });
});

describe(coversAction.name, () => {
  it('answers per agent and action whatever the host conditions', () => {
    const u = user([{ permission: 'create_jobs', namespaces: ['package'], actions: ['status'], hostgroupIds: [1] }]);
    expect(coversAction(u, 'create_jobs', 'package', 'status')).toBe(true);
    expect(coversAction(u, 'create_jobs', 'package')).toBe(true);
    expect(coversAction(u, 'create_jobs', 'package', 'install')).toBe(false);
    expect(coversAction(u, 'create_jobs', 'rpcutil')).toBe(false);
  });
});

describe(coversTemplate.name, () => {
  it('answers for the names a run_job_templates filter spells exactly, and for any name without one', () => {
    const named = user([{ permission: 'run_job_templates', templates: ['restart-web'], hostgroupIds: [1] }]);
    expect(coversTemplate(named, 'restart-web')).toBe(true);
    expect(coversTemplate(named, 'Restart-web')).toBe(false);
    expect(coversTemplate(named, 'restart-db')).toBe(false);
    expect(coversTemplate(user([{ permission: 'run_job_templates' }]), 'restart-db')).toBe(true);
    expect(coversTemplate(user([{ permission: 'create_jobs' }]), 'restart-web')).toBe(false);
  });

  it('reads a filter search naming templates into a rule with the host conditions kept', () => {
    expect(rulesFromFilters([{ permissions: ['run_job_templates'], search: 'name ^ (restart-web, ping) and hostgroup = web/eu' }], LOOKUP, { organizationIds: [], locationIds: [] }))
      .toEqual([{ permission: 'run_job_templates', templates: ['restart-web', 'ping'], hostgroupIds: [2, 3] }]);
  });

  it('refuses a template name in a filter of a permission without template conditions', () => {
    expect(() => parseFilterSearch('name = restart-web', ['create_jobs'])).toThrow("'name' does not apply to create_jobs");
  });
});

describe(asTemplateRunner.name, () => {
  const template = { name: 'restart-web', namespace: 'service', action: 'restart' };

  it('grants create_jobs for the template\'s action only, on the hosts of the filter naming it', () => {
    const runner = asTemplateRunner(user([{ permission: 'run_job_templates', templates: ['restart-web'], hostgroupIds: [1] }]), template);
    expect(coversAction(runner, 'create_jobs', 'service', 'restart')).toBe(true);
    expect(coversAction(runner, 'create_jobs', 'service', 'stop')).toBe(false);
    expect(coversAction(runner, 'create_jobs', 'package', 'restart')).toBe(false);
    expect(hostScope(runner, 'create_jobs', { namespace: 'service', action: 'restart' })).toEqual({ all: false, anyOf: [{ hostgroupIds: [1] }] });
  });

  it('grants nothing for a template no filter names', () => {
    const u = user([{ permission: 'run_job_templates', templates: ['restart-web'] }]);
    const runner = asTemplateRunner(u, { ...template, name: 'restart-db' });
    expect(runner).toBe(u);
    expect(hasPermission(runner, 'create_jobs')).toBe(false);
  });
});

describe(allowsHost.name, () => {
  const u = user([{ permission: 'create_jobs', namespaces: ['package'], actions: ['status'], hostgroupIds: [1, 2, 3], organizationIds: [10] }]);

  it('lets CASL decide one host from its ids and the action it would run', () => {
    expect(allowsHost(u, 'create_jobs', { namespace: 'package', action: 'status', hostgroup_id: 2, organization_id: 10, location_id: null })).toBe(true);
    expect(allowsHost(u, 'create_jobs', { namespace: 'package', action: 'status', hostgroup_id: 5, organization_id: 10, location_id: null })).toBe(false);
    expect(allowsHost(u, 'create_jobs', { namespace: 'package', action: 'status', hostgroup_id: 2, organization_id: 11, location_id: null })).toBe(false);
    expect(allowsHost(u, 'create_jobs', { namespace: 'package', action: 'install', hostgroup_id: 2, organization_id: 10, location_id: null })).toBe(false);
    expect(allowsHost(u, 'create_jobs', { namespace: 'package', action: 'status', hostgroup_id: null, organization_id: 10, location_id: null })).toBe(false);
  });
});

describe(abilityFor.name, () => {
  it('keeps manage_schedules from granting manage_others_schedules through CASL\'s manage wildcard', () => {
    const own = user([{ permission: 'manage_schedules' }]);
    expect(hasPermission(own, 'manage_schedules')).toBe(true);
    expect(hasPermission(own, 'manage_others_schedules')).toBe(false);
    expect(hasPermission(user([{ permission: 'manage_others_schedules' }]), 'manage_schedules')).toBe(false);
  });

  it('maps permissions to CASL actions and subjects', () => {
    const ability = abilityFor(user([{ permission: 'manage_users' }, { permission: 'view_hosts', hostgroupIds: [1] }]));
    expect(ability.can('manage', 'User')).toBe(true);
    expect(ability.can('manage', 'Role')).toBe(true);
    expect(ability.can('view', 'Host')).toBe(true);
    expect(ability.can('create', 'Job')).toBe(false);
    expect(hasPermission(user([{ permission: 'view_hosts', hostgroupIds: [] }]), 'view_hosts')).toBe(true);
  });
});

describe(ruleWithin.name, () => {
  it('holds a rule inside one of the same permission whose every condition is absent or wider', () => {
    expect(ruleWithin({ permission: 'view_hosts', hostgroupIds: [2] }, { permission: 'view_hosts', hostgroupIds: [1, 2] })).toBe(true);
    expect(ruleWithin({ permission: 'view_hosts', hostgroupIds: [2] }, { permission: 'view_hosts' })).toBe(true);
    expect(ruleWithin({ permission: 'create_jobs', namespaces: ['package'], actions: ['status'], organizationIds: [10] }, { permission: 'create_jobs', namespaces: ['package'], organizationIds: [10, 11] })).toBe(true);
  });

  it('refuses another permission, a missing condition or a wider list', () => {
    expect(ruleWithin({ permission: 'view_jobs' }, { permission: 'view_hosts' })).toBe(false);
    expect(ruleWithin({ permission: 'view_hosts' }, { permission: 'view_hosts', hostgroupIds: [1] })).toBe(false);
    expect(ruleWithin({ permission: 'view_hosts', hostgroupIds: [1, 5] }, { permission: 'view_hosts', hostgroupIds: [1, 2] })).toBe(false);
    expect(ruleWithin({ permission: 'create_jobs', namespaces: ['package'] }, { permission: 'create_jobs', namespaces: ['package'], actions: ['status'] })).toBe(false);
    expect(ruleWithin({ permission: 'view_hosts', hostgroupIds: [1] }, { permission: 'view_hosts', hostgroupIds: [1], locationIds: [20] })).toBe(false);
  });
});

describe(uncoveredRules.name, () => {
  const granted = [{ permission: 'view_hosts' as const, hostgroupIds: [1] }, { permission: 'manage_inventory' as const }];

  it('answers the granted rules no rule of the actor holds, and none for an administrator', () => {
    expect(uncoveredRules(user([{ permission: 'view_hosts', hostgroupIds: [1, 2] }]), granted)).toEqual([{ permission: 'manage_inventory' }]);
    expect(uncoveredRules(user([], true), granted)).toEqual([]);
    expect(uncoveredRules(user(undefined), [])).toEqual([]);
  });

  it('refuses a grant that only two of the actor\'s rules cover together', () => {
    const actor = user([{ permission: 'view_hosts', hostgroupIds: [1] }, { permission: 'view_hosts', hostgroupIds: [2] }]);
    expect(uncoveredRules(actor, [{ permission: 'view_hosts', hostgroupIds: [1, 2] }])).toHaveLength(1);
  });
});

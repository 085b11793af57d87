import { autocompleteSearch, type AutocompleteSources } from '@server/search/autocomplete';
import { HOST_SEARCH } from '@server/search/host-search';

const sources: AutocompleteSources = {
  definition: HOST_SEARCH,
  async values(key, prefix) {
    const all: Record<string, string[]> = { hostgroup: ['web', 'db'], 'facts.osfamily': ['RedHat', 'Debian'], name: ['web01.example.com', 'db01.example.com'] };
    return (all[key] ?? []).filter((v) => v.toLowerCase().startsWith(prefix.toLowerCase()));
  },
  async dynamicKeys(_prefix, partial) {
    return ['osfamily', 'operatingsystem', 'kernel'].filter((n) => n.startsWith(partial));
  },
};

describe(autocompleteSearch.name, () => {
  it('offers every key when the search is empty', async () => {
    const labels = (await autocompleteSearch('', sources)).map((s) => s.label);
    expect(labels).toEqual(expect.arrayContaining(['name', 'hostgroup', 'parent_hostgroup', 'last_seen', 'facts.']));
  });

  it('offers matching keys when a key is half typed', async () => {
    expect(await autocompleteSearch('name = a and host', sources)).toEqual([
      { completed: 'name = a and ', part: 'hostgroup', label: 'name = a and hostgroup', category: 'key' },
      { completed: 'name = a and ', part: 'hostgroup_id', label: 'name = a and hostgroup_id', category: 'key' },
      { completed: 'name = a and ', part: 'hostgroup_fullname', label: 'name = a and hostgroup_fullname', category: 'key' },
      { completed: 'name = a and ', part: 'hostgroup_title', label: 'name = a and hostgroup_title', category: 'key' },
    ]);
  });

  it('offers fact names when the key starts with facts.', async () => {
    expect((await autocompleteSearch('facts.o', sources)).map((s) => s.label)).toEqual(['facts.osfamily', 'facts.operatingsystem']);
  });

  it('offers the operators of a key when the key is complete', async () => {
    const parts = (await autocompleteSearch('parent_hostgroup ', sources)).map((s) => s.part);
    expect(parts).toEqual(['= ', '!= ', '^ ', '!^ ']);
  });

  it('offers values when an operator was typed', async () => {
    expect((await autocompleteSearch('facts.osfamily =', sources)).map((s) => s.label)).toEqual(['facts.osfamily = RedHat', 'facts.osfamily = Debian']);
  });

  it('offers values starting with the partial value', async () => {
    expect(await autocompleteSearch('hostgroup = w', sources)).toEqual([{ completed: 'hostgroup = ', part: 'web', label: 'hostgroup = web', category: 'value' }]);
  });

  it('offers and/or/not after a complete condition', async () => {
    expect((await autocompleteSearch('hostgroup = web ', sources)).map((s) => s.part)).toEqual(['and ', 'or ', 'not ']);
  });
});

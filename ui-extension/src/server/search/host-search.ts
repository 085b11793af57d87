import type { SearchDefinition } from './compiler';

/**
 * The host search keys, as Foreman's (app/models/concerns/hostext/search.rb), over `hosts h`.
 * `hostgroup` matches the group's own name as in Foreman, and its full path too (`hostgroup =
 * base/db`: a name never holds a `/`, so that could only match nothing); `hostgroup_fullname` and
 * `hostgroup_title` the full path only, `parent_hostgroup` the group and every group below it.
 */
export const HOST_SEARCH: SearchDefinition = {
  idColumn: 'h.id',
  fields: {
    name: { kind: 'column', column: 'h.name', type: 'string' },
    id: { kind: 'column', column: 'h.id', type: 'number' },
    hostgroup: { kind: 'lookup', column: 'h.hostgroup_id', table: 'hostgroups', idColumn: 'id', match: ['name', 'title'] },
    hostgroup_id: { kind: 'column', column: 'h.hostgroup_id', type: 'number', nullable: true },
    hostgroup_fullname: { kind: 'lookup', column: 'h.hostgroup_id', table: 'hostgroups', idColumn: 'id', match: 'title' },
    hostgroup_title: { kind: 'lookup', column: 'h.hostgroup_id', table: 'hostgroups', idColumn: 'id', match: 'title' },
    parent_hostgroup: { kind: 'subtree', column: 'h.hostgroup_id', table: 'hostgroups', idColumn: 'id', pathColumn: 'title', separator: '/' },
    puppetmaster: { kind: 'lookup', column: 'h.smart_proxy_id', table: 'smart_proxies', idColumn: 'id', match: 'name' },
    smart_proxy: { kind: 'lookup', column: 'h.smart_proxy_id', table: 'smart_proxies', idColumn: 'id', match: 'name' },
    organization: { kind: 'lookup', column: 'h.organization_id', table: 'organizations', idColumn: 'id', match: 'name' },
    location: { kind: 'lookup', column: 'h.location_id', table: 'locations', idColumn: 'id', match: 'name' },
    last_seen: { kind: 'column', column: 'h.last_seen_at', type: 'datetime', nullable: true },
  },
  keyValues: {
    facts: { table: 'facts', ownerColumn: 'host_id', nameColumn: 'name', valueColumn: 'value', mysqlIndex: 'idx_facts_name_value' },
  },
  freeText: ['name'],
};

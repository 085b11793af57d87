import { Alert, Button, PageSection } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMemo, useState } from 'react';
import type { Targeting } from '@common/jobs';
import { PuppetRunModal } from '../PuppetRun/PuppetRunModal';
import { RunActionModal } from '../RunAction/RunActionModal';
import { EmptyTableRow } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { relativeTime } from '../shared/format';
import { useLoad } from '../shared/hooks';
import { ListToolbar, pageParams } from '../shared/ListToolbar';
import { PageHeader } from '../shared/PageHeader';
import { Link, useRouter } from '../shared/router';
import { SearchBar } from '../shared/SearchBar';
import { scopedSearch, useTaxonomy } from '../shared/session';
import { autocompleteHosts, listHosts } from './api';

/**
 * Hosts: Foreman's search bar with auto-completion, server paging, checkboxes with "select all N
 * matching", and the bulk actions "Run remote action" and "Run Puppet" for the selection or the whole search.
 */
export function HostsPage() {
  const { search: params, navigate } = useRouter();
  const { taxonomy } = useTaxonomy();
  const search = params.get('search') ?? '';
  const { page, perPage } = pageParams(params);
  const effective = scopedSearch(search, taxonomy);
  const hosts = useLoad((signal) => listHosts({ search: effective, page, per_page: perPage }, signal), [effective, page, perPage]);
  const [selected, setSelected] = useState<Map<number, string>>(new Map());
  const [allMatching, setAllMatching] = useState(false);
  const [running, setRunning] = useState(false);
  const [puppetRun, setPuppetRun] = useState(false);

  const go = (next: { search?: string; page?: number; perPage?: number }) => {
    const q = new URLSearchParams();
    const s = next.search ?? search;
    if (s) q.set('search', s);
    q.set('page', String(next.page ?? page));
    q.set('per_page', String(next.perPage ?? perPage));
    navigate(`/hosts?${q.toString()}`);
  };

  const rows = hosts.data?.results ?? [];
  const subtotal = hosts.data?.subtotal ?? 0;
  const pageAllSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const count = allMatching ? subtotal : selected.size;

  const setSearch = (s: string) => {
    setSelected(new Map());
    setAllMatching(false);
    go({ search: s, page: 1 });
  };
  const toggle = (id: number, name: string, on: boolean) => {
    setAllMatching(false);
    setSelected((m) => {
      const n = new Map(m);
      if (on) n.set(id, name);
      else n.delete(id);
      return n;
    });
  };
  const togglePage = (on: boolean) => {
    setAllMatching(false);
    setSelected((m) => {
      const n = new Map(m);
      for (const r of rows) {
        if (on) n.set(r.id, r.name);
        else n.delete(r.id);
      }
      return n;
    });
  };

  const targeting: Targeting = useMemo(() => (allMatching ? { search: effective } : { host_ids: [...selected.keys()] }), [allMatching, effective, selected]);
  const targetLabel = allMatching ? `all ${subtotal} hosts matching "${effective || 'everything'}"` : selected.size === 1 ? [...selected.values()][0] : `${selected.size} selected hosts`;

  return (
    <>
      <PageHeader title="Hosts" />
      <PageSection>
        <ListToolbar
          id="hosts-toolbar"
          search={<SearchBar value={search} onSearch={setSearch} autocomplete={autocompleteHosts} placeholder="Filter hosts, e.g. hostgroup_title = base/web" ariaLabel="Search hosts" />}
          actions={
            <div style={{ display: 'flex', gap: 8 }}>
              <Button variant="primary" isDisabled={count === 0} onClick={() => setRunning(true)}>
                Run remote action{count > 0 ? ` (${count})` : ''}
              </Button>
              <Button variant="secondary" isDisabled={count === 0} onClick={() => setPuppetRun(true)}>
                Run Puppet{count > 0 ? ` (${count})` : ''}
              </Button>
            </div>
          }
          total={subtotal}
          page={page}
          perPage={perPage}
          onPage={(p, pp) => go({ page: p, perPage: pp })}
        />
        {pageAllSelected && subtotal > rows.length && (
          <Alert isInline variant="info" title={allMatching ? `All ${subtotal} hosts matching this search are selected.` : `All ${rows.length} hosts on this page are selected.`} className="pf-v6-u-mb-sm">
            {allMatching ? (
              <Button variant="link" isInline onClick={() => { setAllMatching(false); setSelected(new Map()); }}>Clear selection</Button>
            ) : (
              <Button variant="link" isInline onClick={() => setAllMatching(true)}>Select all {subtotal} matching</Button>
            )}
          </Alert>
        )}
        <ErrorAlert error={hosts.error} title="Cannot list hosts" />
        <Table aria-label="Hosts" variant="compact">
          <Thead>
            <Tr>
              <Th select={{ onSelect: (_e, on) => togglePage(on), isSelected: pageAllSelected }} aria-label="Select all on this page" />
              <Th>Name</Th>
              <Th>Host group</Th>
              <Th>Smart proxy</Th>
              <Th>Organization</Th>
              <Th>Location</Th>
              <Th>Last seen</Th>
            </Tr>
          </Thead>
          <Tbody>
            {rows.map((h, i) => (
              <Tr key={h.id}>
                <Td select={{ rowIndex: i, onSelect: (_e, on) => toggle(h.id, h.name, on), isSelected: allMatching || selected.has(h.id) }} aria-label={`Select ${h.name}`} />
                <Td dataLabel="Name"><Link to={`/hosts/${h.id}`}>{h.name}</Link></Td>
                <Td dataLabel="Host group">{h.hostgroup_id ? <Link to={`/hostgroups/${h.hostgroup_id}`}>{h.hostgroup_title}</Link> : '—'}</Td>
                <Td dataLabel="Smart proxy">{h.smart_proxy_id ? <Link to={`/smart_proxies/${h.smart_proxy_id}/remote_execution`}>{h.smart_proxy_name}</Link> : '—'}</Td>
                <Td dataLabel="Organization">{h.organization_name ?? '—'}</Td>
                <Td dataLabel="Location">{h.location_name ?? '—'}</Td>
                <Td dataLabel="Last seen">{relativeTime(h.last_seen_at)}</Td>
              </Tr>
            ))}
            {!hosts.loading && hosts.error === undefined && rows.length === 0 && (
              <EmptyTableRow colSpan={7} filtered={effective !== ''} title={effective ? 'No hosts match this search' : 'No hosts'}>
                {effective ? `Nothing matches ${effective}.` : 'Import an inventory, or sync it from Foreman or PuppetDB.'}
              </EmptyTableRow>
            )}
          </Tbody>
        </Table>
      </PageSection>
      {running && <RunActionModal targeting={targeting} targetLabel={targetLabel} onClose={() => setRunning(false)} />}
      {puppetRun && <PuppetRunModal target={{ targeting, label: targetLabel }} onClose={() => setPuppetRun(false)} />}
    </>
  );
}

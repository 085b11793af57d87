import { PageSection } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { EmptyTableRow } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { useLoad } from '../shared/hooks';
import { ListToolbar } from '../shared/ListToolbar';
import { PageHeader } from '../shared/PageHeader';
import { Link } from '../shared/router';
import { SearchBar } from '../shared/SearchBar';
import { listHostgroups } from './api';

/** Host groups, each linking to its page (jobs run on it) and to its hosts, with how many it holds. */
export function HostgroupsPage() {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState({ page: 1, perPage: 20 });
  const groups = useLoad(() => listHostgroups({ search, page: page.page, per_page: page.perPage }), [search, page]);
  return (
    <>
      <PageHeader title="Host groups" />
      <PageSection>
        <ListToolbar id="hostgroups-toolbar" search={<SearchBar value={search} onSearch={(s) => { setSearch(s); setPage({ ...page, page: 1 }); }} placeholder="e.g. title ~ web" ariaLabel="Search host groups" />} total={groups.data?.subtotal ?? 0} page={page.page} perPage={page.perPage} onPage={(p, pp) => setPage({ page: p, perPage: pp })} />
        <ErrorAlert error={groups.error} title="Cannot list host groups" />
        <Table aria-label="Host groups" variant="compact">
          <Thead><Tr><Th>Title</Th><Th>Hosts</Th></Tr></Thead>
          <Tbody>
            {(groups.data?.results ?? []).map((g) => (
              <Tr key={g.id}>
                <Td dataLabel="Title"><Link to={`/hostgroups/${g.id}`}>{g.title}</Link></Td>
                <Td dataLabel="Hosts">
                  {g.hosts_count > 0
                    ? <Link to={`/hosts?search=${encodeURIComponent(`hostgroup_title = ${g.title}`)}`} aria-label={`${g.hosts_count} hosts in ${g.title}`}>{g.hosts_count}</Link>
                    : 0}
                </Td>
              </Tr>
            ))}
            {groups.data && groups.data.results.length === 0 && <EmptyTableRow colSpan={2} filtered={search !== ''} title={search ? 'No host groups match this search' : 'No host groups'}>{search ? undefined : 'Import an inventory, or sync it from Foreman or PuppetDB.'}</EmptyTableRow>}
          </Tbody>
        </Table>
      </PageSection>
    </>
  );
}

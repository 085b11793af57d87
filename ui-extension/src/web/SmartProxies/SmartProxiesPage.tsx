import { Dropdown, DropdownItem, DropdownList, Label, MenuToggle, PageSection } from '@patternfly/react-core';
import { EllipsisVIcon } from '@patternfly/react-icons';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import type { SmartProxyDto } from '@common/inventory';
import { EmptyTableRow } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { relativeTime } from '../shared/format';
import { errorMessage } from '../shared/http';
import { useLoad } from '../shared/hooks';
import { ListToolbar } from '../shared/ListToolbar';
import { useNotify } from '../shared/Notifications';
import { PageHeader } from '../shared/PageHeader';
import { Link, useRouter } from '../shared/router';
import { SearchBar } from '../shared/SearchBar';
import { StateLabel } from '../shared/StateLabel';
import { useSession } from '../shared/session';
import { listSmartProxies, refreshSmartProxy } from './api';

function ProxyActions({ proxy, onRefreshed }: { proxy: SmartProxyDto; onRefreshed(): void }) {
  const [open, setOpen] = useState(false);
  const { navigate } = useRouter();
  const { user } = useSession();
  const notify = useNotify();
  const refresh = () => {
    refreshSmartProxy(proxy.id).then(
      () => { notify('success', `Refreshed ${proxy.name}`); onRefreshed(); },
      (error: unknown) => notify('danger', `Refreshing ${proxy.name} failed`, errorMessage(error)),
    );
  };
  return (
    <Dropdown
      isOpen={open}
      onOpenChange={setOpen}
      onSelect={() => setOpen(false)}
      popperProps={{ position: 'right' }}
      toggle={(ref) => <MenuToggle ref={ref} variant="plain" onClick={() => setOpen((o) => !o)} isExpanded={open} aria-label={`Actions for ${proxy.name}`} icon={<EllipsisVIcon />} />}
    >
      <DropdownList>
        <DropdownItem onClick={() => navigate(`/smart_proxies/${proxy.id}/remote_execution`)} isDisabled={!proxy.capabilities.includes('remote_execution')}>Remote Execution</DropdownItem>
        <DropdownItem onClick={() => navigate(`/hosts?search=${encodeURIComponent(`smart_proxy = ${proxy.name}`)}`)}>Hosts</DropdownItem>
        {user.admin && <DropdownItem onClick={refresh}>Refresh</DropdownItem>}
      </DropdownList>
    </Dropdown>
  );
}

/** Smart proxies, each with Foreman's per-row dropdown; the name and "Remote Execution" open the proxy's command center. */
export function SmartProxiesPage() {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState({ page: 1, perPage: 20 });
  const proxies = useLoad(() => listSmartProxies({ search, page: page.page, per_page: page.perPage }), [search, page]);
  return (
    <>
      <PageHeader title="Smart proxies" />
      <PageSection>
        <ListToolbar id="proxies-toolbar" search={<SearchBar value={search} onSearch={(s) => { setSearch(s); setPage({ ...page, page: 1 }); }} placeholder="e.g. name ~ puppet" ariaLabel="Search smart proxies" />} total={proxies.data?.subtotal ?? 0} page={page.page} perPage={page.perPage} onPage={(p, pp) => setPage({ page: p, perPage: pp })} />
        <ErrorAlert error={proxies.error} title="Cannot list smart proxies" />
        <Table aria-label="Smart proxies" variant="compact">
          <Thead><Tr><Th>Name</Th><Th>URL</Th><Th>Features</Th><Th>Transport</Th><Th>Status</Th><Th>Last seen</Th><Th screenReaderText="Actions" /></Tr></Thead>
          <Tbody>
            {(proxies.data?.results ?? []).map((p) => (
              <Tr key={p.id}>
                <Td dataLabel="Name">{p.capabilities.includes('remote_execution') ? <Link to={`/smart_proxies/${p.id}/remote_execution`}>{p.name}</Link> : p.name}</Td>
                <Td dataLabel="URL" className="rex-mono">{p.url}</Td>
                <Td dataLabel="Features">{p.features.map((f) => <Label key={f} isCompact style={{ marginRight: 4 }}>{f}</Label>)}</Td>
                <Td dataLabel="Transport">{p.transport ?? '—'}</Td>
                <Td dataLabel="Status"><StateLabel state={p.status} /></Td>
                <Td dataLabel="Last seen">{relativeTime(p.last_seen_at)}</Td>
                <Td isActionCell><ProxyActions proxy={p} onRefreshed={proxies.reload} /></Td>
              </Tr>
            ))}
            {proxies.data && proxies.data.results.length === 0 && <EmptyTableRow colSpan={7} filtered={search !== ''} title={search ? 'No smart proxies match this search' : 'No smart proxies'}>{search ? undefined : 'A proxy registers itself when it starts (rex smart-proxy create adds one by hand).'}</EmptyTableRow>}
          </Tbody>
        </Table>
      </PageSection>
    </>
  );
}

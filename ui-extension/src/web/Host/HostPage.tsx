import { Button, Card, CardBody, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, PageSection, Tab, Tabs, TabTitleText } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import { JobHistory } from '../Jobs/JobHistory';
import { PuppetRunModal } from '../PuppetRun/PuppetRunModal';
import { RunActionModal } from '../RunAction/RunActionModal';
import { EmptyTableRow, LoadFailure } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { formatTime, relativeTime } from '../shared/format';
import { useLoad } from '../shared/hooks';
import { ListToolbar } from '../shared/ListToolbar';
import { PageHeader } from '../shared/PageHeader';
import { Link } from '../shared/router';
import { SearchBar } from '../shared/SearchBar';
import { getHost, hostFacts } from './api';

function Facts({ hostId }: { hostId: number }) {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState({ page: 1, perPage: 20 });
  const facts = useLoad(() => hostFacts(hostId, { search, page: page.page, per_page: page.perPage }), [hostId, search, page]);
  return (
    <>
      <ListToolbar id="facts-toolbar" search={<SearchBar value={search} onSearch={(s) => { setSearch(s); setPage({ ...page, page: 1 }); }} placeholder="Fact name, e.g. os*" ariaLabel="Search facts" />} total={facts.data?.subtotal ?? 0} page={page.page} perPage={page.perPage} onPage={(p, pp) => setPage({ page: p, perPage: pp })} />
      <ErrorAlert error={facts.error} title="Cannot list facts" />
      <Table aria-label="Facts" variant="compact">
        <Thead><Tr><Th>Name</Th><Th>Value</Th></Tr></Thead>
        <Tbody>
          {(facts.data?.results ?? []).map((f) => (
            <Tr key={f.name}>
              <Td dataLabel="Name"><Link to={`/fact_names/${encodeURIComponent(f.name)}`}>{f.name}</Link></Td>
              <Td dataLabel="Value" className="rex-mono">{f.value}</Td>
            </Tr>
          ))}
          {facts.data && facts.data.results.length === 0 && <EmptyTableRow colSpan={2} filtered={search !== ''} title={search ? 'No facts match this search' : 'No facts'} />}
        </Tbody>
      </Table>
    </>
  );
}

/** A host: details, facts, its job history, the Remote management button and the Run Puppet quick action. */
export function HostPage({ id }: { id: string }) {
  const host = useLoad(() => getHost(id), [id]);
  const [tab, setTab] = useState<string | number>('details');
  const [running, setRunning] = useState(false);
  const [puppetRun, setPuppetRun] = useState(false);
  const h = host.data;
  return (
    <>
      <PageHeader
        title={h?.name ?? id}
        crumbs={[{ to: '/hosts', label: 'Hosts' }]}
        actions={
          <div style={{ display: 'flex', gap: 8 }}>
            <Button variant="secondary" onClick={() => setPuppetRun(true)} isDisabled={!h}>Run Puppet</Button>
            <Button variant="primary" onClick={() => setRunning(true)} isDisabled={!h}>Remote management</Button>
          </div>
        }
      />
      <PageSection>
        {host.error !== undefined && <LoadFailure error={host.error} what={`Host ${id}`} back={{ to: '/hosts', label: 'All hosts' }} title="Cannot load the host" />}
        {h && (
          <Tabs activeKey={tab} onSelect={(_e, k) => setTab(k)} aria-label="Host details" mountOnEnter>
            <Tab eventKey="details" title={<TabTitleText>Details</TabTitleText>}>
              <Card isPlain>
                <CardBody>
                  <DescriptionList isHorizontal columnModifier={{ lg: '2Col' }}>
                    <DescriptionListGroup><DescriptionListTerm>Name</DescriptionListTerm><DescriptionListDescription>{h.name}</DescriptionListDescription></DescriptionListGroup>
                    <DescriptionListGroup><DescriptionListTerm>Host group</DescriptionListTerm><DescriptionListDescription>{h.hostgroup_id ? <Link to={`/hostgroups/${h.hostgroup_id}`}>{h.hostgroup_title}</Link> : '—'}</DescriptionListDescription></DescriptionListGroup>
                    <DescriptionListGroup><DescriptionListTerm>Smart proxy</DescriptionListTerm><DescriptionListDescription>{h.smart_proxy_id ? <Link to={`/smart_proxies/${h.smart_proxy_id}/remote_execution`}>{h.smart_proxy_name}</Link> : '—'}</DescriptionListDescription></DescriptionListGroup>
                    <DescriptionListGroup><DescriptionListTerm>Organization</DescriptionListTerm><DescriptionListDescription>{h.organization_name ?? '—'}</DescriptionListDescription></DescriptionListGroup>
                    <DescriptionListGroup><DescriptionListTerm>Location</DescriptionListTerm><DescriptionListDescription>{h.location_name ?? '—'}</DescriptionListDescription></DescriptionListGroup>
                    <DescriptionListGroup><DescriptionListTerm>Last seen</DescriptionListTerm><DescriptionListDescription>{relativeTime(h.last_seen_at)} ({formatTime(h.last_seen_at)})</DescriptionListDescription></DescriptionListGroup>
                    <DescriptionListGroup><DescriptionListTerm>Missing since</DescriptionListTerm><DescriptionListDescription>{h.missing_since ? formatTime(h.missing_since) : '—'}</DescriptionListDescription></DescriptionListGroup>
                    <DescriptionListGroup><DescriptionListTerm>Created</DescriptionListTerm><DescriptionListDescription>{formatTime(h.created_at)}</DescriptionListDescription></DescriptionListGroup>
                  </DescriptionList>
                </CardBody>
              </Card>
            </Tab>
            <Tab eventKey="facts" title={<TabTitleText>Facts</TabTitleText>}>
              <Facts hostId={h.id} />
            </Tab>
            <Tab eventKey="jobs" title={<TabTitleText>Jobs</TabTitleText>}>
              <JobHistory scope={`/hosts/${h.id}`} label="Host jobs" />
            </Tab>
          </Tabs>
        )}
      </PageSection>
      {puppetRun && h && <PuppetRunModal target={{ hostId: h.id, label: h.name }} onClose={() => setPuppetRun(false)} />}
      {running && h && <RunActionModal targeting={{ host_ids: [h.id] }} targetLabel={h.name} smartProxyId={h.smart_proxy_id ?? undefined} onClose={() => setRunning(false)} />}
    </>
  );
}

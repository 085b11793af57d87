import {
  Button, Card, CardBody, CardTitle, Content, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, ExpandableSection, Gallery, Label, PageSection, Tab, Tabs, TabTitleText, Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import type { NamespaceAction } from '@common/jobs';
import type { DdlInputDto, DdlOutputDto } from '@common/inventory';
import { JobHistory } from '../Jobs/JobHistory';
import { RunActionModal } from '../RunAction/RunActionModal';
import { TASKS_NAMESPACE } from '../RunAction/task-metadata';
import { TaskMetadataView } from '../RunAction/TaskMetadataView';
import { LoadFailure } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { formatTime, relativeTime } from '../shared/format';
import { useLoad } from '../shared/hooks';
import { ListToolbar } from '../shared/ListToolbar';
import { PageHeader } from '../shared/PageHeader';
import { Link } from '../shared/router';
import { SearchBar } from '../shared/SearchBar';
import { StateLabel } from '../shared/StateLabel';
import { getSmartProxy, proxyHosts, proxyNamespaces } from './api';

function ActionDoc({ action }: { action: NamespaceAction }) {
  const inputs = action.inputs as DdlInputDto[];
  const outputs = action.outputs as DdlOutputDto[];
  return (
    <ExpandableSection toggleText={`${action.name}${action.description ? ` — ${action.description}` : ''}`}>
      <Title headingLevel="h4" size="md">Inputs</Title>
      {inputs.length === 0 ? <Content component="p">None.</Content> : (
        <Table aria-label={`${action.name} inputs`} variant="compact" borders={false}>
          <Thead><Tr><Th>Name</Th><Th>Type</Th><Th>Required</Th><Th>Validation</Th><Th>Default</Th><Th>Description</Th></Tr></Thead>
          <Tbody>
            {inputs.map((i) => (
              <Tr key={i.name}>
                <Td className="rex-mono">{i.name}</Td><Td className={i.puppet_type ? 'rex-mono' : undefined}>{i.puppet_type || i.type}{i.list.length > 0 ? ` (${i.list.join(', ')})` : ''}</Td><Td>{i.optional ? 'no' : 'yes'}</Td>
                <Td className="rex-mono">{i.validation || '—'}{i.maxlength ? `, ≤ ${i.maxlength} chars` : ''}</Td><Td className="rex-mono">{i.default_json || '—'}</Td><Td>{i.description}</Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
      <Title headingLevel="h4" size="md">Outputs</Title>
      {outputs.length === 0 ? <Content component="p">None.</Content> : (
        <Table aria-label={`${action.name} outputs`} variant="compact" borders={false}>
          <Thead><Tr><Th>Name</Th><Th>Shown as</Th><Th>Description</Th></Tr></Thead>
          <Tbody>{outputs.map((o) => <Tr key={o.name}><Td className="rex-mono">{o.name}</Td><Td>{o.display_as}</Td><Td>{o.description}</Td></Tr>)}</Tbody>
        </Table>
      )}
    </ExpandableSection>
  );
}

function Nodes({ proxyName }: { proxyName: string }) {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState({ page: 1, perPage: 20 });
  const scoped = [`smart_proxy = "${proxyName}"`, search && `(${search})`].filter(Boolean).join(' and ');
  const hosts = useLoad((signal) => proxyHosts({ search: scoped, page: page.page, per_page: page.perPage }, signal), [scoped, page]);
  return (
    <>
      <ListToolbar id="proxy-nodes-toolbar" search={<SearchBar value={search} onSearch={(s) => { setSearch(s); setPage({ ...page, page: 1 }); }} ariaLabel="Search nodes" placeholder="e.g. hostgroup_title = base/web" />} total={hosts.data?.subtotal ?? 0} page={page.page} perPage={page.perPage} onPage={(p, pp) => setPage({ page: p, perPage: pp })} />
      <ErrorAlert error={hosts.error} title="Cannot list nodes" />
      <Table aria-label="Nodes" variant="compact">
        <Thead><Tr><Th>Name</Th><Th>Host group</Th><Th>Last seen</Th></Tr></Thead>
        <Tbody>
          {(hosts.data?.results ?? []).map((h) => (
            <Tr key={h.id}><Td><Link to={`/hosts/${h.id}`}>{h.name}</Link></Td><Td>{h.hostgroup_title ?? '—'}</Td><Td>{relativeTime(h.last_seen_at)}</Td></Tr>
          ))}
        </Tbody>
      </Table>
    </>
  );
}

/**
 * The remote-execution command center of one proxy (reached from the proxy list's dropdown): its
 * transport and status, agents and actions with their DDL documentation, its nodes, the jobs running
 * on it now and its history, and running an action on its hosts.
 */
export function ProxyCommandCenterPage({ id }: { id: string }) {
  const proxy = useLoad(() => getSmartProxy(id), [id]);
  const p = proxy.data;
  const catalog = useLoad(async () => (p ? proxyNamespaces(p.id) : undefined), [p?.id]);
  const [tab, setTab] = useState<string | number>('overview');
  const [running, setRunning] = useState(false);
  const [refreshKey, setRefreshKey] = useState(0);
  return (
    <>
      <PageHeader
        title={p ? `Remote Execution — ${p.name}` : 'Remote Execution'}
        crumbs={[{ to: '/smart_proxies', label: 'Smart proxies' }]}
        actions={<Button onClick={() => setRunning(true)} isDisabled={!p}>Run action on this proxy's hosts</Button>}
      />
      <PageSection>
        {proxy.error !== undefined && <LoadFailure error={proxy.error} what={`Smart proxy ${id}`} back={{ to: '/smart_proxies', label: 'All smart proxies' }} title="Cannot load the smart proxy" />}
        {p && (
          <Tabs activeKey={tab} onSelect={(_e, k) => { setTab(k); setRefreshKey((n) => n + 1); }} aria-label="Command center" mountOnEnter unmountOnExit>
            <Tab eventKey="overview" title={<TabTitleText>Overview</TabTitleText>}>
              <Gallery hasGutter minWidths={{ default: '280px' }} style={{ marginTop: 16 }}>
                <Card>
                  <CardTitle>Proxy</CardTitle>
                  <CardBody>
                    <DescriptionList isCompact>
                      <DescriptionListGroup><DescriptionListTerm>Status</DescriptionListTerm><DescriptionListDescription><StateLabel state={p.status} /></DescriptionListDescription></DescriptionListGroup>
                      <DescriptionListGroup><DescriptionListTerm>Transport</DescriptionListTerm><DescriptionListDescription>{p.transport ?? '—'}{p.demo ? ' (demo)' : ''}</DescriptionListDescription></DescriptionListGroup>
                      <DescriptionListGroup><DescriptionListTerm>URL</DescriptionListTerm><DescriptionListDescription className="rex-mono">{p.url}</DescriptionListDescription></DescriptionListGroup>
                      <DescriptionListGroup><DescriptionListTerm>Version</DescriptionListTerm><DescriptionListDescription>{p.version ?? '—'}</DescriptionListDescription></DescriptionListGroup>
                      <DescriptionListGroup><DescriptionListTerm>Last seen</DescriptionListTerm><DescriptionListDescription>{formatTime(p.last_seen_at)}</DescriptionListDescription></DescriptionListGroup>
                    </DescriptionList>
                  </CardBody>
                </Card>
                <Card>
                  <CardTitle>Capabilities</CardTitle>
                  <CardBody>{[...p.features, ...p.capabilities].map((c) => <Label key={c} isCompact style={{ margin: 2 }}>{c}</Label>)}</CardBody>
                </Card>
                <Card>
                  <CardTitle>Agents</CardTitle>
                  <CardBody>
                    <ErrorAlert error={catalog.error} title="Cannot list agents" />
                    {catalog.data && `${catalog.data.results.length} agents, ${catalog.data.results.reduce((n, a) => n + a.actions.length, 0)} actions`}
                  </CardBody>
                </Card>
              </Gallery>
            </Tab>
            <Tab eventKey="agents" title={<TabTitleText>Agents and actions</TabTitleText>}>
              <ErrorAlert error={catalog.error} title="Cannot list agents" />
              {(catalog.data?.results ?? []).map((ns) => (
                <Card key={ns.name} isCompact style={{ marginTop: 12 }}>
                  <CardTitle>{ns.name} <Label isCompact>v{ns.version}</Label></CardTitle>
                  <CardBody>
                    <Content component="p">{ns.description} · timeout {ns.timeout}s</Content>
                    {ns.actions.map((a) => (ns.name === TASKS_NAMESPACE ? <TaskMetadataView key={a.name} action={a} expanded={false} /> : <ActionDoc key={a.name} action={a} />))}
                  </CardBody>
                </Card>
              ))}
            </Tab>
            <Tab eventKey="nodes" title={<TabTitleText>Nodes</TabTitleText>}>
              <Nodes proxyName={p.name} />
            </Tab>
            <Tab eventKey="running" title={<TabTitleText>Running now</TabTitleText>}>
              <JobHistory scope={`/smart_proxies/${p.id}`} label="Running jobs" fixedSearch="state = running" refreshKey={refreshKey} live />
            </Tab>
            <Tab eventKey="history" title={<TabTitleText>History</TabTitleText>}>
              <JobHistory scope={`/smart_proxies/${p.id}`} label="Proxy jobs" refreshKey={refreshKey} />
            </Tab>
          </Tabs>
        )}
      </PageSection>
      {running && p && <RunActionModal targeting={{ search: `smart_proxy = "${p.name}"` }} targetLabel={`all hosts of ${p.name}`} smartProxyId={p.id} onClose={() => setRunning(false)} />}
    </>
  );
}

import { Alert, PageSection } from '@patternfly/react-core';
import { ExpandableRowContent, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import type { AuditDto } from '@common/users';
import { EmptyTableRow } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { formatTime } from '../shared/format';
import { useLoad } from '../shared/hooks';
import { ListToolbar, pageParams } from '../shared/ListToolbar';
import { PageHeader } from '../shared/PageHeader';
import { Link, useRouter } from '../shared/router';
import { SearchBar } from '../shared/SearchBar';
import { useSession } from '../shared/session';
import { listAudits } from './api';

/** Where an audited object lives in the UI, when it has a page. */
function objectLink(a: AuditDto): string | null {
  if (a.auditable_id === null) return null;
  switch (a.auditable_type) {
    case 'JobInvocation': return `/jobs/${a.auditable_id}`;
    case 'User': return `/users/${a.auditable_id}`;
    case 'Role': return `/roles/${a.auditable_id}`;
    case 'SmartProxy': return `/smart_proxies/${a.auditable_id}/remote_execution`;
    default: return null;
  }
}

/**
 * Foreman's Monitor > Audits: who did what to which object, newest first, with Foreman's search
 * keys (user, action, type, auditable_id, remote_address, time). Everyone sees their own entries;
 * view_audit_logs shows all. Search and page live in the URL.
 */
export function AuditsPage() {
  const { can } = useSession();
  const { search: params, navigate } = useRouter();
  const search = params.get('search') ?? '';
  const { page, perPage } = pageParams(params);
  const [expanded, setExpanded] = useState<Set<number>>(new Set());
  const audits = useLoad(() => listAudits({ search, page, per_page: perPage }), [search, page, perPage]);
  const go = (next: { search?: string; page?: number; perPage?: number }) => {
    const q = new URLSearchParams();
    const s = next.search ?? search;
    if (s) q.set('search', s);
    q.set('page', String(next.page ?? page));
    q.set('per_page', String(next.perPage ?? perPage));
    navigate(`/audits?${q.toString()}`);
  };
  const rows = audits.data?.results ?? [];
  return (
    <>
      <PageHeader title="Audits" />
      <PageSection>
        {!can('view_audit_logs') && <Alert variant="info" isInline isPlain title="You see your own audit entries; view_audit_logs shows everyone's." className="pf-v6-u-mb-sm" />}
        <ListToolbar
          id="audits-toolbar"
          search={<SearchBar value={search} onSearch={(s) => go({ search: s, page: 1 })} placeholder='e.g. action = destroy and type = User, user = admin, time > "1 day ago"' ariaLabel="Search audits" />}
          total={audits.data?.subtotal ?? 0}
          page={page}
          perPage={perPage}
          onPage={(p, pp) => go({ page: p, perPage: pp })}
        />
        <ErrorAlert error={audits.error} title="Cannot list audits" />
        <Table aria-label="Audits" variant="compact">
          <Thead><Tr><Th screenReaderText="Changes" /><Th>Time</Th><Th>User</Th><Th>Action</Th><Th>Object</Th><Th>Address</Th></Tr></Thead>
          {rows.map((a, i) => {
            const open = expanded.has(a.id);
            const link = objectLink(a);
            const object = `${a.auditable_type}${a.auditable_name ? ` ${a.auditable_name}` : ''}${a.auditable_id !== null ? ` (#${a.auditable_id})` : ''}`;
            return (
              <Tbody key={a.id} isExpanded={open}>
                <Tr>
                  <Td expand={{ rowIndex: i, isExpanded: open, onToggle: () => setExpanded((s) => { const n = new Set(s); if (n.has(a.id)) n.delete(a.id); else n.add(a.id); return n; }) }} />
                  <Td dataLabel="Time" className="rex-nowrap">{formatTime(a.created_at)}</Td>
                  <Td dataLabel="User">{a.user_name ?? '—'}</Td>
                  <Td dataLabel="Action">{a.action}</Td>
                  <Td dataLabel="Object">{link ? <Link to={link}>{object}</Link> : object}</Td>
                  <Td dataLabel="Address" className="rex-mono">{a.remote_address ?? '—'}</Td>
                </Tr>
                <Tr isExpanded={open}>
                  <Td colSpan={6}>
                    <ExpandableRowContent>
                      <pre className="rex-mono">{a.audited_changes ? JSON.stringify(a.audited_changes, null, 2) : 'No changes recorded.'}</pre>
                      {a.request_uuid && <div>Request {a.request_uuid}</div>}
                    </ExpandableRowContent>
                  </Td>
                </Tr>
              </Tbody>
            );
          })}
          {audits.data && rows.length === 0 && <Tbody><EmptyTableRow colSpan={6} filtered={search !== ''} title={search ? 'No audit entries match this search' : 'No audit entries'} /></Tbody>}
        </Table>
      </PageSection>
    </>
  );
}

import { PageSection, TextInput } from '@patternfly/react-core';
import { ErrorAlert } from '../shared/ErrorAlert';
import { useLoad } from '../shared/hooks';
import { ListToolbar, pageParams } from '../shared/ListToolbar';
import { PageHeader } from '../shared/PageHeader';
import { useRouter } from '../shared/router';
import { SearchBar } from '../shared/SearchBar';
import { listJobs } from './api';
import { JobsTable } from './JobsTable';

/** Job history: Foreman-style search and a date range (jobs created between from and to). */
export function JobsPage() {
  const { search: params, navigate } = useRouter();
  const search = params.get('search') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const { page, perPage } = pageParams(params);
  const jobs = useLoad(
    (signal) => listJobs('', { search, from: from ? new Date(from).toISOString() : undefined, to: to ? new Date(to).toISOString() : undefined, page, per_page: perPage }, signal),
    [search, from, to, page, perPage],
  );
  const go = (next: Partial<{ search: string; from: string; to: string; page: number; perPage: number }>) => {
    const q = new URLSearchParams();
    const v = { search, from, to, page, perPage, ...next };
    if (v.search) q.set('search', v.search);
    if (v.from) q.set('from', v.from);
    if (v.to) q.set('to', v.to);
    q.set('page', String(v.page));
    q.set('per_page', String(v.perPage));
    navigate(`/jobs?${q.toString()}`);
  };
  return (
    <>
      <PageHeader title="Jobs" />
      <PageSection>
        <ListToolbar
          id="jobs-toolbar"
          search={<SearchBar value={search} onSearch={(s) => go({ search: s, page: 1 })} placeholder="e.g. namespace = service and state = failed" ariaLabel="Search jobs" />}
          actions={
            <div style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
              <label htmlFor="jobs-from">From</label>
              <TextInput id="jobs-from" type="datetime-local" value={from} onChange={(_e, v) => go({ from: v, page: 1 })} style={{ width: 200 }} />
              <label htmlFor="jobs-to">to</label>
              <TextInput id="jobs-to" type="datetime-local" value={to} onChange={(_e, v) => go({ to: v, page: 1 })} style={{ width: 200 }} />
            </div>
          }
          total={jobs.data?.subtotal ?? 0}
          page={page}
          perPage={perPage}
          onPage={(p, pp) => go({ page: p, perPage: pp })}
        />
        <ErrorAlert error={jobs.error} title="Cannot list jobs" />
        <JobsTable jobs={jobs.data?.results ?? []} label="Jobs" empty={jobs.loading ? 'Loading jobs…' : search || from || to ? 'No jobs match this search' : 'No jobs yet'} />
      </PageSection>
    </>
  );
}


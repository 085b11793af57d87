import { useState } from 'react';
import { ErrorAlert } from '../shared/ErrorAlert';
import { useLoad } from '../shared/hooks';
import { ListToolbar } from '../shared/ListToolbar';
import { SearchBar } from '../shared/SearchBar';
import { listJobs } from './api';
import { JobsTable } from './JobsTable';

/** One object's job history with search and paging, for host, hostgroup, fact and proxy pages. */
export function JobHistory({ scope, label, fixedSearch, refreshKey }: { scope: string; label: string; fixedSearch?: string; refreshKey?: unknown }) {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState({ page: 1, perPage: 20 });
  const effective = [fixedSearch, search].filter(Boolean).join(' and ');
  const jobs = useLoad((signal) => listJobs(scope, { search: effective, page: page.page, per_page: page.perPage }, signal), [scope, effective, page, refreshKey]);
  return (
    <>
      <ListToolbar
        id={`${label.toLowerCase().replace(/\W+/g, '-')}-toolbar`}
        search={<SearchBar value={search} onSearch={(s) => { setSearch(s); setPage({ ...page, page: 1 }); }} placeholder="e.g. namespace = package and state = failed" ariaLabel={`Search ${label}`} />}
        total={jobs.data?.subtotal ?? 0}
        page={page.page}
        perPage={page.perPage}
        onPage={(p, pp) => setPage({ page: p, perPage: pp })}
      />
      <ErrorAlert error={jobs.error} title="Cannot list jobs" />
      <JobsTable jobs={jobs.data?.results ?? []} label={label} empty={jobs.loading ? 'Loading jobs…' : search ? 'No jobs match this search' : 'No jobs yet'} />
    </>
  );
}

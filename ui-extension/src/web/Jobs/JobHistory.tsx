import { useEffect, useState } from 'react';
import { FINAL_JOB_STATES } from '@common/jobs';
import { ErrorAlert } from '../shared/ErrorAlert';
import { useLoad } from '../shared/hooks';
import { ListToolbar } from '../shared/ListToolbar';
import { SearchBar } from '../shared/SearchBar';
import { listJobs } from './api';
import { JobsTable } from './JobsTable';

/** How often a history showing a job not yet final (or the running-now list) reads itself again. */
const LIVE_LIST_MS = 2000;

/**
 * One object's job history with search and paging, for host, hostgroup, fact and proxy pages. It
 * follows its jobs while any it shows is not final, and `live` (the command center's running-now
 * list) always: a job that ended kept reading "running 0%" until the tab was switched.
 */
export function JobHistory({ scope, label, fixedSearch, refreshKey, live = false }: { scope: string; label: string; fixedSearch?: string; refreshKey?: unknown; live?: boolean }) {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState({ page: 1, perPage: 20 });
  const effective = [fixedSearch, search].filter(Boolean).join(' and ');
  const jobs = useLoad((signal) => listJobs(scope, { search: effective, page: page.page, per_page: page.perPage }, signal), [scope, effective, page, refreshKey]);
  const open = (jobs.data?.results ?? []).some((j) => !FINAL_JOB_STATES.includes(j.state));
  const { reload } = jobs;
  useEffect(() => {
    if (!live && !open) return undefined;
    const timer = setInterval(reload, LIVE_LIST_MS);
    return () => clearInterval(timer);
  }, [live, open, reload]);
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

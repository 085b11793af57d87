import type { HostState, PuppetRunOutcomeFilter } from '@common/jobs';

/** Where the hosts list's search, states and run outcomes export to, in one format. */
export function exportUrl(jobId: number, format: 'csv' | 'jsonl', filter: { states: HostState[]; outcomes?: PuppetRunOutcomeFilter[]; search: string }): string {
  const query = new URLSearchParams({ format });
  if (filter.search.trim() !== '') query.set('search', filter.search);
  if (filter.states.length > 0) query.set('state', filter.states.join(','));
  if (filter.outcomes && filter.outcomes.length > 0) query.set('outcome', filter.outcomes.join(','));
  return `/api/v2/remote_execution/jobs/${jobId}/hosts/export?${query.toString()}`;
}

/**
 * Download links for the job's hosts as the table filters them (every page): plain links, so the
 * browser streams the file to disk instead of the page holding 100,000 rows (issue #19).
 */
export function ExportLinks(props: { jobId: number; filter: { states: HostState[]; outcomes?: PuppetRunOutcomeFilter[]; search: string } }) {
  return (
    <span className="rex-export-links" data-testid="job-hosts-export">
      Export:{' '}
      <a href={exportUrl(props.jobId, 'csv', props.filter)} download={`job-${props.jobId}-hosts.csv`}>CSV</a>
      {' · '}
      <a href={exportUrl(props.jobId, 'jsonl', props.filter)} download={`job-${props.jobId}-hosts.jsonl`}>JSON lines</a>
    </span>
  );
}

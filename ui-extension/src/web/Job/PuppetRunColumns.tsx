import { Label, ToggleGroup, ToggleGroupItem } from '@patternfly/react-core';
import { Td, Th } from '@patternfly/react-table';
import { PUPPET_RUN_OUTCOME_FILTERS, type JobHost, type PuppetRunJobHost, type PuppetRunOutcomeFilter, type PuppetRunOutcomeName } from '@common/jobs';

/** A puppet#runonce job's hosts carry their run's outcome (issue 18); other jobs show no such columns. */
export const isPuppetRunJob = (job: { namespace: string; action: string } | undefined): boolean => job?.namespace === 'puppet' && job.action === 'runonce';

/** How many columns PuppetRunHeaders adds, for the rows that span the table. */
export const PUPPET_RUN_COLUMNS = 6;

const COLORS: Record<PuppetRunOutcomeName, 'red' | 'blue' | 'orange' | 'green'> = { failed: 'red', changed: 'blue', noop_pending: 'orange', unchanged: 'green' };

export function PuppetRunHeaders() {
  return (
    <>
      <Th>Outcome</Th>
      <Th>Changed</Th>
      <Th>Failed</Th>
      <Th>Out of sync / total</Th>
      <Th>Config version</Th>
      <Th>PuppetDB report</Th>
    </>
  );
}

/** The outcome columns of one host: its run, as `puppet job show` lists it; empty when no run finished. */
export function PuppetRunCells({ host }: { host: JobHost }) {
  const run = (host as PuppetRunJobHost).puppet_run ?? null;
  return (
    <>
      <Td dataLabel="Outcome">{run && <Label isCompact color={COLORS[run.outcome]} data-testid="puppet-run-outcome">{run.outcome.replace('_', ' ')}{run.noop ? ' (noop)' : ''}</Label>}</Td>
      <Td dataLabel="Changed" data-testid="puppet-run-changed">{run ? run.changed_resources : ''}</Td>
      <Td dataLabel="Failed" data-testid="puppet-run-failed">
        {run ? run.failed_resources : ''}
        {run && run.failed_resource_titles.length > 0 && (
          <ul className="rex-mono" aria-label={`Failed resources of ${host.host_name}`}>
            {run.failed_resource_titles.map((t) => <li key={t}>{t}</li>)}
          </ul>
        )}
      </Td>
      <Td dataLabel="Out of sync / total">{run ? `${run.out_of_sync_resources} / ${run.total_resources}` : ''}</Td>
      <Td dataLabel="Config version" className="rex-mono">{run ? `${run.config_version}${run.environment ? ` (${run.environment}, ${run.run_time} s)` : ` (${run.run_time} s)`}` : ''}</Td>
      <Td dataLabel="PuppetDB report" data-testid="puppetdb-report"><PuppetDbReportCell host={host} /></Td>
    </>
  );
}

/**
 * The run's report as PuppetDB holds it: the short hash (the full one and the query URL on hover, for
 * `curl`), its status and counts; or why none was found. Empty until looked up, or without PuppetDB.
 */
function PuppetDbReportCell({ host }: { host: JobHost }) {
  const report = host.puppetdb_report ?? null;
  if (!report) return null;
  if (!report.hash || !report.summary) return <span>{report.reason ?? 'no report'}</span>;
  const r = report.summary;
  return (
    <span title={`${report.hash}\n${report.url ?? ''}`}>
      <span className="rex-mono">{report.hash.slice(0, 12)}</span> {r.status ?? ''}{r.noop ? ' (noop)' : ''}: {r.changed_resources ?? '?'} changed, {r.failed_resources ?? '?'} failed
    </span>
  );
}

const OUTCOME_TEXT: Record<PuppetRunOutcomeFilter, string> = { changed: 'Changed', unchanged: 'Unchanged', failed: 'Failed', noop_pending: 'Noop pending', not_run: 'Not run' };

/**
 * The host table's run outcome filter of a Puppet run job: each outcome a toggle, with the job's count
 * of it once the job has its aggregate; none selected shows every host.
 */
export function PuppetRunOutcomeFilterToggles(props: { selected: readonly PuppetRunOutcomeFilter[]; counts?: Partial<Record<string, number>>; onToggle(outcome: PuppetRunOutcomeFilter): void }) {
  return (
    <ToggleGroup aria-label="Filter hosts by Puppet run outcome" isCompact data-testid="puppet-run-outcome-filter">
      {PUPPET_RUN_OUTCOME_FILTERS.map((o) => (
        <ToggleGroupItem
          key={o}
          buttonId={`outcome-${o}`}
          text={props.counts?.[o] !== undefined ? `${OUTCOME_TEXT[o]} ${props.counts[o]}` : OUTCOME_TEXT[o]}
          isSelected={props.selected.includes(o)}
          onChange={() => props.onToggle(o)}
        />
      ))}
    </ToggleGroup>
  );
}

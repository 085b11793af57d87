import {
  Button, Card, CardBody, CardTitle, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, Gallery, Label, LabelGroup, PageSection, Title,
} from '@patternfly/react-core';
import { ExpandableRowContent, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { FINAL_JOB_STATES, type JobHost, type JobStatus } from '@common/jobs';
import type { ListEnvelope } from '../shared/http';
import { RunActionModal } from '../RunAction/RunActionModal';
import { EmptyTableRow, LoadFailure } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { formatTime, formatValue, targetingText } from '../shared/format';
import { ApiError, errorMessage } from '../shared/http';
import { ListToolbar } from '../shared/ListToolbar';
import { useNotify } from '../shared/Notifications';
import { PageHeader } from '../shared/PageHeader';
import { Link, useRouter } from '../shared/router';
import { SearchBar } from '../shared/SearchBar';
import { StateLabel } from '../shared/StateLabel';
import { TargetingText, useHostgroupTitle } from '../shared/Targeting';
import { cancelJob, getJob, jobHosts, pauseJob, replayJob, resumeJob } from './api';
import { JobRollout } from './JobRollout';
import { hostReason, outputPreview } from './host-summary';
import { ExportLinks } from './ExportLinks';
import { HostStateDonut } from './HostStateDonut';
import { JobAggregates } from './JobAggregates';
import { hostFilterQuery, readHostFilter, toggleOutcome, toggleState, type HostFilter } from './job-url';
import { JobTiming } from './JobTiming';
import { isPuppetRunJob, PUPPET_RUN_COLUMNS, PuppetRunCells, PuppetRunHeaders, PuppetRunOutcomeFilterToggles } from './PuppetRunColumns';
import { ReplayModal } from './ReplayModal';

/** How long the server may hold one long poll; it answers at once when the job changes. */
const LONG_POLL_S = 25;
/** Host-table reloads triggered by changes are at least this far apart, so 10,000 results arriving do not mean 10,000 reloads. */
const TABLE_RELOAD_GAP_MS = 750;

function HostOutput({ host }: { host: JobHost }) {
  // The DDL's display rule hid the outputs (puppet#runonce shows them only for failures, as mco
  // does): the full reply is still one click away here, under the agent's own key names.
  const hidden = host.output.length === 0 && host.data ? Object.entries(host.data) : [];
  if (host.output.length === 0 && hidden.length === 0 && !host.statusmsg && !host.reason && !host.late) return <span>No output.</span>;
  return (
    <DescriptionList isCompact isHorizontal aria-label={`Reply of ${host.host_name}`}>
      {host.reason && <DescriptionListGroup><DescriptionListTerm>Reason</DescriptionListTerm><DescriptionListDescription>{host.reason}</DescriptionListDescription></DescriptionListGroup>}
      {host.late && <DescriptionListGroup><DescriptionListTerm>Late</DescriptionListTerm><DescriptionListDescription>This reply arrived after the job had ended; recorded {formatTime(host.late_at)}.</DescriptionListDescription></DescriptionListGroup>}
      {host.statusmsg && <DescriptionListGroup><DescriptionListTerm>Status</DescriptionListTerm><DescriptionListDescription>{host.statuscode ?? ''} {host.statusmsg}</DescriptionListDescription></DescriptionListGroup>}
      {host.output.map((o) => (
        <DescriptionListGroup key={o.name}>
          <DescriptionListTerm>{o.display_as || o.name}</DescriptionListTerm>
          <DescriptionListDescription className="rex-mono">{typeof o.value === 'object' && o.value !== null ? JSON.stringify(o.value, null, 2) : formatValue(o.value)}</DescriptionListDescription>
        </DescriptionListGroup>
      ))}
      {hidden.map(([name, value]) => (
        <DescriptionListGroup key={name}>
          <DescriptionListTerm>{name}</DescriptionListTerm>
          <DescriptionListDescription className="rex-mono">{typeof value === 'object' && value !== null ? JSON.stringify(value, null, 2) : formatValue(value)}</DescriptionListDescription>
        </DescriptionListGroup>
      ))}
    </DescriptionList>
  );
}

/**
 * A job, live, as Foreman's job invocation page: the status arrives by long polling (the server
 * answers as soon as the job's version moves; no fixed-interval polling); a donut of the hosts'
 * states whose slices and legend filter the host table; the host table paged and filtered on the
 * server, with each unsuccessful host's reason in its row, reloaded when results arrive; the
 * filter lives in the URL, so a link to a job's failed hosts works. The page offers Rerun failed
 * (when hosts failed), Rerun, Cancel and Schedule again.
 */
export function JobPage({ id }: { id: number }) {
  const [job, setJob] = useState<JobStatus>();
  const [jobError, setJobError] = useState<unknown>();
  const [hosts, setHosts] = useState<ListEnvelope<JobHost>>();
  const [hostsError, setHostsError] = useState<unknown>();
  const [expanded, setExpanded] = useState<Set<number | string>>(new Set());
  const [replaying, setReplaying] = useState(false);
  const [scheduling, setScheduling] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [holding, setHolding] = useState(false);
  const [rerunning, setRerunning] = useState(false);
  const notify = useNotify();
  const { path, search: params, navigate } = useRouter();
  const query = params.toString();
  const filter = useMemo(() => readHostFilter(new URLSearchParams(query)), [query]);
  // The filter is the URL: replaced, not pushed, so Back leaves the job page instead of undoing filters.
  const setFilter = (next: HostFilter) => navigate(`${path}${hostFilterQuery(next)}`, { replace: true });
  const version = job?.version;
  const hostgroupTitle = useHostgroupTitle(job?.targeting.hostgroup_id ?? null);

  // The long-poll loop: one request open at a time, re-armed with the last version seen.
  useEffect(() => {
    const controller = new AbortController();
    let since = 0;
    let failures = 0;
    (async () => {
      while (!controller.signal.aborted) {
        try {
          const next = await getJob(id, since === 0 ? undefined : { since, wait: LONG_POLL_S }, controller.signal);
          failures = 0;
          setJobError(undefined);
          setJob(next);
          since = next.version;
          if ((FINAL_JOB_STATES as readonly string[]).includes(next.state)) return;
        } catch (error) {
          if (controller.signal.aborted) return;
          setJobError(error);
          // A refusal or a missing job (403, 404, ...) will not change by asking again: show it and stop.
          if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429) return;
          failures += 1;
          // Back off after a failure (server restarting, network); a success resets it.
          await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** Math.min(failures, 5))));
        }
      }
    })();
    return () => controller.abort();
  }, [id]);

  // Host table: reloaded when the filter changes, and after the job's version moves (coalesced).
  const inFlight = useRef<AbortController | null>(null);
  const lastLoad = useRef(0);
  const timer = useRef<number | undefined>(undefined);
  const loadHosts = useCallback(() => {
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    lastLoad.current = Date.now();
    jobHosts(id, { state: filter.states.length ? filter.states : undefined, outcome: filter.outcomes.length ? filter.outcomes : undefined, search: filter.search || undefined, page: filter.page, per_page: filter.perPage }, controller.signal).then(
      (h) => { if (!controller.signal.aborted) { setHosts(h); setHostsError(undefined); } },
      (error: unknown) => { if (!controller.signal.aborted) setHostsError(error); },
    );
  }, [id, filter]);

  useEffect(() => {
    loadHosts();
    return () => inFlight.current?.abort();
  }, [loadHosts]);

  // The timer calls the newest loadHosts: one armed before the filter changed must not load the old filter.
  const latestLoad = useRef(loadHosts);
  latestLoad.current = loadHosts;
  useEffect(() => {
    if (version === undefined) return;
    const wait = Math.max(0, TABLE_RELOAD_GAP_MS - (Date.now() - lastLoad.current));
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => latestLoad.current(), wait);
    return () => window.clearTimeout(timer.current);
  }, [version]);

  const cancel = async () => {
    setCancelling(true);
    try {
      await cancelJob(id);
      notify('info', `Job ${id}: cancel requested`);
    } catch (error) {
      notify('danger', `Job ${id} was not cancelled`, errorMessage(error));
    } finally {
      setCancelling(false);
    }
  };

  // Pause and resume hold a rollout's next batch; what was sent finishes either way.
  const hold = async (paused: boolean) => {
    setHolding(true);
    try {
      await (paused ? pauseJob(id) : resumeJob(id));
      notify('info', `Job ${id}: ${paused ? 'paused' : 'resumed'}`);
    } catch (error) {
      notify('danger', `Job ${id} was not ${paused ? 'paused' : 'resumed'}`, errorMessage(error));
    } finally {
      setHolding(false);
    }
  };

  // Replay's `hosts: failed` takes the hosts that failed or did not respond.
  const rerunnable = job ? job.counts.failed + job.counts.no_response : 0;
  const rerunFailed = async () => {
    setRerunning(true);
    try {
      const replay = await replayJob(id, { hosts: 'failed' });
      notify('success', `Rerun of the failed hosts started as job ${replay.id}`);
      navigate(`/jobs/${replay.id}`);
    } catch (error) {
      notify('danger', `The failed hosts of job ${id} were not rerun`, errorMessage(error));
    } finally {
      setRerunning(false);
    }
  };

  if (!job && jobError !== undefined) {
    return (
      <>
        <PageHeader title={`Job ${id}`} crumbs={[{ to: '/jobs', label: 'Jobs' }]} />
        <PageSection><LoadFailure error={jobError} what={`Job ${id}`} back={{ to: '/jobs', label: 'All jobs' }} title="Cannot load the job" /></PageSection>
      </>
    );
  }

  const final = job ? (FINAL_JOB_STATES as readonly string[]).includes(job.state) : false;
  const rows = hosts?.results ?? [];
  const puppetRun = isPuppetRunJob(job);
  const columns = 6 + (puppetRun ? PUPPET_RUN_COLUMNS : 0);
  const filtered = filter.states.length > 0 || filter.outcomes.length > 0 || filter.search !== '';
  const runOutcomes = job?.aggregates?.find((a) => a.function === 'puppet_run')?.value as Record<string, number> | undefined;
  return (
    <>
      <PageHeader
        title={job ? job.description || `${job.namespace}.${job.action}` : `Job ${id}`}
        crumbs={[{ to: '/jobs', label: 'Jobs' }]}
        actions={job && (
          <div className="rex-actions">
            {final && rerunnable > 0 && <Button variant="primary" onClick={rerunFailed} isDisabled={rerunning} isLoading={rerunning}>Rerun failed ({rerunnable})</Button>}
            <Button variant="secondary" onClick={() => setReplaying(true)} isDisabled={!final}>Rerun</Button>
            <Button variant="secondary" onClick={() => setScheduling(true)}>Schedule again</Button>
            {!final && job.rollout_progress && !job.rollout_progress.stopped_reason && (job.rollout_progress.paused
              ? <Button variant="primary" onClick={() => void hold(false)} isDisabled={holding} isLoading={holding}>Resume</Button>
              : <Button variant="secondary" onClick={() => void hold(true)} isDisabled={holding} isLoading={holding}>Pause</Button>)}
            <Button variant="danger" onClick={cancel} isDisabled={final || cancelling} isLoading={cancelling}>Cancel</Button>
          </div>
        )}
      />
      <PageSection>
        <ErrorAlert error={jobError} title="Cannot load the job" />
        {job && (
          <Gallery hasGutter minWidths={{ default: '420px' }}>
            <Card isCompact>
              <CardTitle component="h2">Status</CardTitle>
              <CardBody>
                <div className="rex-status-line"><StateLabel state={job.state} /> <span aria-live="polite" data-testid="job-progress-text">{job.progress}% of {job.total_hosts} hosts done</span></div>
                <HostStateDonut counts={job.counts} total={job.total_hosts} progress={job.progress} selected={filter.states} onToggle={(s) => setFilter(toggleState(filter, s))} />
                <JobRollout job={job} />
                {job.late_results > 0 && <div data-testid="job-late-results">{job.late_results} {job.late_results === 1 ? 'result' : 'results'} arrived after the job had ended (late); counted in the states above.</div>}
              </CardBody>
            </Card>
            <Card isCompact>
              <CardTitle component="h2">Details</CardTitle>
              <CardBody>
                <DescriptionList isCompact isHorizontal horizontalTermWidthModifier={{ default: '12ch' }}>
                  <DescriptionListGroup><DescriptionListTerm>Action</DescriptionListTerm><DescriptionListDescription>{job.namespace}.{job.action} <span className="rex-mono">{Object.keys(job.arguments).length ? JSON.stringify(job.arguments) : ''}</span></DescriptionListDescription></DescriptionListGroup>
                  <DescriptionListGroup><DescriptionListTerm>Target</DescriptionListTerm><DescriptionListDescription><TargetingText targeting={job.targeting} /></DescriptionListDescription></DescriptionListGroup>
                  <DescriptionListGroup><DescriptionListTerm>Owner</DescriptionListTerm><DescriptionListDescription>{job.owner}</DescriptionListDescription></DescriptionListGroup>
                  <JobTiming job={job} final={final} />
                  {job.parent_id && <DescriptionListGroup><DescriptionListTerm>Rerun of</DescriptionListTerm><DescriptionListDescription><Link to={`/jobs/${job.parent_id}`}>job {job.parent_id}</Link></DescriptionListDescription></DescriptionListGroup>}
                </DescriptionList>
              </CardBody>
            </Card>
          </Gallery>
        )}
        {job?.aggregates && job.aggregates.length > 0 && (
          <>
            <Title headingLevel="h2" size="lg" className="rex-section-title">Summary</Title>
            <JobAggregates aggregates={job.aggregates} />
          </>
        )}
        <Title headingLevel="h2" size="lg" className="rex-section-title">Hosts</Title>
        <ListToolbar
          id="job-hosts-toolbar"
          search={
            <div className="rex-filters">
              <SearchBar value={filter.search} onSearch={(s) => setFilter({ ...filter, search: s, page: 1 })} placeholder={'e.g. name ~ web and output ~ "No space"'} ariaLabel="Search job hosts" />
              {filter.states.length > 0 && (
                <LabelGroup categoryName="State" isClosable closeBtnAriaLabel="Clear the state filter" onClick={() => setFilter({ ...filter, states: [], page: 1 })} data-testid="job-state-filter">
                  {filter.states.map((s) => <Label key={s} variant="outline" onClose={() => setFilter(toggleState(filter, s))} closeBtnAriaLabel={`Remove ${s.replace('_', ' ')} from the filter`}>{s.replace('_', ' ')}</Label>)}
                </LabelGroup>
              )}
              {puppetRun && <PuppetRunOutcomeFilterToggles selected={filter.outcomes} counts={runOutcomes} onToggle={(o) => setFilter(toggleOutcome(filter, o))} />}
            </div>
          }
          actions={<ExportLinks jobId={id} filter={filter} />}
          total={hosts?.subtotal ?? 0}
          page={filter.page}
          perPage={filter.perPage}
          onPage={(p, pp) => setFilter({ ...filter, page: p, perPage: pp })}
        />
        <ErrorAlert error={hostsError} title="Cannot list the job's hosts" />
        <Table aria-label="Job hosts" variant="compact" data-testid="job-hosts">
          <Thead>
            <Tr>
              <Th screenReaderText="Details" />
              <Th>Host</Th>
              <Th>State</Th>
              {puppetRun && <PuppetRunHeaders />}
              <Th>Reason</Th>
              <Th>Output</Th>
              <Th>Finished</Th>
            </Tr>
          </Thead>
          {rows.map((h, i) => {
            // A host outside the inventory (a PQL certname, skipped) has no id and no host page.
            const key = h.host_id ?? `name:${h.host_name}`;
            const isOpen = expanded.has(key);
            return (
              <Tbody key={key} isExpanded={isOpen}>
                <Tr>
                  <Td expand={{ rowIndex: i, isExpanded: isOpen, onToggle: () => setExpanded((s) => { const n = new Set(s); if (n.has(key)) n.delete(key); else n.add(key); return n; }) }} />
                  <Td dataLabel="Host">{h.host_id === null ? h.host_name : <Link to={`/hosts/${h.host_id}`}>{h.host_name}</Link>}</Td>
                  <Td dataLabel="State"><StateLabel state={h.state} />{h.late && <> <Label isCompact color="purple" data-testid="late-result">late</Label></>}</Td>
                  {puppetRun && <PuppetRunCells host={h} />}
                  <Td dataLabel="Reason" className="rex-reason">{hostReason(h)}</Td>
                  <Td dataLabel="Output" className="rex-mono">{outputPreview(h)}</Td>
                  <Td dataLabel="Finished" className="rex-nowrap">{formatTime(h.finished_at)}</Td>
                </Tr>
                <Tr isExpanded={isOpen}>
                  <Td colSpan={columns}><ExpandableRowContent><HostOutput host={h} /></ExpandableRowContent></Td>
                </Tr>
              </Tbody>
            );
          })}
          {hosts && rows.length === 0 && (
            <Tbody>
              <EmptyTableRow colSpan={columns} filtered={filtered} title={filtered ? 'No hosts match this filter' : 'No hosts'}>
                {filtered ? <Button variant="link" isInline onClick={() => setFilter({ ...filter, states: [], outcomes: [], search: '', page: 1 })}>Clear all filters</Button> : 'This job has no hosts.'}
              </EmptyTableRow>
            </Tbody>
          )}
        </Table>
      </PageSection>
      {replaying && job && <ReplayModal job={job} onClose={() => setReplaying(false)} />}
      {scheduling && job && (
        <RunActionModal
          targeting={job.targeting.pql !== null ? { pql: job.targeting.pql } : job.targeting.search !== null ? { search: job.targeting.search } : job.targeting.host_ids ? { host_ids: job.targeting.host_ids } : { hostgroup_id: job.targeting.hostgroup_id ?? undefined }}
          targetLabel={targetingText(job.targeting, hostgroupTitle)}
          preset={{ namespace: job.namespace, action: job.action, arguments: job.arguments, description: job.description, schedule: true }}
          onClose={() => setScheduling(false)}
        />
      )}
    </>
  );
}

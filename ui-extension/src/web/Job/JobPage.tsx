import {
  Button, Card, CardBody, CardTitle, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, Gallery, Label, PageSection, Progress, ProgressMeasureLocation, Title, ToggleGroup, ToggleGroupItem,
} from '@patternfly/react-core';
import { ExpandableRowContent, Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useCallback, useEffect, useRef, useState } from 'react';
import { FINAL_JOB_STATES, HOST_STATES, type AggregateResult, type HostState, type JobHost, type JobStatus } from '@common/jobs';
import type { ListEnvelope } from '../shared/http';
import { RunActionModal } from '../RunAction/RunActionModal';
import { ErrorAlert } from '../shared/ErrorAlert';
import { formatTime, formatValue, targetingText } from '../shared/format';
import { ApiError, errorMessage } from '../shared/http';
import { ListToolbar } from '../shared/ListToolbar';
import { useNotify } from '../shared/Notifications';
import { PageHeader } from '../shared/PageHeader';
import { Link } from '../shared/router';
import { SearchBar } from '../shared/SearchBar';
import { StateLabel } from '../shared/StateLabel';
import { cancelJob, getJob, jobHosts } from './api';
import { ReplayModal } from './ReplayModal';

/** How long the server may hold one long poll; it answers at once when the job changes. */
const LONG_POLL_S = 25;
/** Host-table reloads triggered by changes are at least this far apart, so 10,000 results arriving do not mean 10,000 reloads. */
const TABLE_RELOAD_GAP_MS = 750;

const STATE_COLOURS: Record<HostState, string> = {
  succeeded: 'var(--pf-t--global--color--status--success--default)',
  failed: 'var(--pf-t--global--color--status--danger--default)',
  no_response: 'var(--pf-t--global--color--status--warning--default)',
  running: 'var(--pf-t--global--color--status--info--default)',
  pending: 'var(--pf-t--global--border--color--default)',
  skipped: 'var(--pf-t--global--color--nonstatus--gray--default)',
  cancelled: 'var(--pf-t--global--color--nonstatus--orange--default)',
};

function Aggregates({ aggregates }: { aggregates: AggregateResult[] }) {
  return (
    <Gallery hasGutter minWidths={{ default: '260px' }}>
      {aggregates.map((a) => {
        const entries = a.value && typeof a.value === 'object' ? Object.entries(a.value).sort((x, y) => y[1] - x[1]) : [];
        const max = Math.max(1, ...entries.map((e) => e[1]));
        return (
          <Card key={`${a.function}-${a.output}`} isCompact>
            <CardTitle>{a.function}({a.output})</CardTitle>
            <CardBody>
              {entries.length > 0 ? (
                <table className="rex-aggregate" aria-label={`${a.function} of ${a.output}`} style={{ width: '100%' }}>
                  <tbody>
                    {entries.slice(0, 12).map(([k, n]) => (
                      <tr key={k}>
                        <td className="rex-mono" style={{ paddingRight: 8, width: '40%' }}>{k}</td>
                        <td style={{ width: '45%' }}><div className="rex-bar"><span style={{ width: `${(n / max) * 100}%`, background: 'var(--pf-t--global--color--brand--default)' }} /></div></td>
                        <td style={{ textAlign: 'right' }}>{n}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <span className="rex-mono">{a.value === null ? 'no value' : formatValue(a.value)}</span>
              )}
            </CardBody>
          </Card>
        );
      })}
    </Gallery>
  );
}

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

/** At most `max` characters, cut at a word with an ellipsis; the expanded row shows the whole text. */
function clip(text: string, max = 160): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max / 2))}…`;
}

function summary(host: JobHost): string {
  if (host.reason) return clip(host.reason);
  const first = host.output[0];
  if (first) return clip(`${first.display_as || first.name}: ${formatValue(first.value)}`);
  if (host.state === 'running' && !host.started_at) return 'waiting for its batch';
  return host.statusmsg ?? '';
}

/**
 * A job, live: the status arrives by long polling (the server answers as soon as the job's version
 * moves; no fixed-interval polling), the per-host table is paged and filtered on the server and
 * reloaded when results arrive, and the page offers Replay, Cancel and Schedule again.
 */
export function JobPage({ id }: { id: number }) {
  const [job, setJob] = useState<JobStatus>();
  const [jobError, setJobError] = useState<unknown>();
  const [states, setStates] = useState<HostState[]>([]);
  const [search, setSearch] = useState('');
  const [page, setPage] = useState({ page: 1, perPage: 20 });
  const [hosts, setHosts] = useState<ListEnvelope<JobHost>>();
  const [hostsError, setHostsError] = useState<unknown>();
  const [expanded, setExpanded] = useState<Set<number>>(new Set());
  const [replaying, setReplaying] = useState(false);
  const [scheduling, setScheduling] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const notify = useNotify();
  const version = job?.version;

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

  // Host table: reloaded when the query changes, and after the job's version moves (coalesced).
  const inFlight = useRef<AbortController | null>(null);
  const lastLoad = useRef(0);
  const timer = useRef<number | undefined>(undefined);
  const loadHosts = useCallback(() => {
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    lastLoad.current = Date.now();
    jobHosts(id, { state: states.length ? states : undefined, search: search || undefined, page: page.page, per_page: page.perPage }, controller.signal).then(
      (h) => { if (!controller.signal.aborted) { setHosts(h); setHostsError(undefined); } },
      (error: unknown) => { if (!controller.signal.aborted) setHostsError(error); },
    );
  }, [id, states, search, page]);

  useEffect(() => {
    loadHosts();
    return () => inFlight.current?.abort();
  }, [loadHosts]);

  useEffect(() => {
    if (version === undefined) return;
    const wait = Math.max(0, TABLE_RELOAD_GAP_MS - (Date.now() - lastLoad.current));
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(loadHosts, wait);
    return () => window.clearTimeout(timer.current);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);

  const toggleState = (s: HostState) => {
    setStates((cur) => (cur.includes(s) ? cur.filter((x) => x !== s) : [...cur, s]));
    setPage((p) => ({ ...p, page: 1 }));
  };

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

  const final = job ? (FINAL_JOB_STATES as readonly string[]).includes(job.state) : false;
  return (
    <>
      <PageHeader
        title={job ? job.description || `${job.namespace}.${job.action}` : `Job ${id}`}
        crumbs={[{ to: '/jobs', label: 'Jobs' }]}
        actions={job && (
          <div style={{ display: 'flex', gap: 8 }}>
            <Button variant="secondary" onClick={() => setReplaying(true)} isDisabled={!final}>Replay</Button>
            <Button variant="secondary" onClick={() => setScheduling(true)}>Schedule again</Button>
            <Button variant="danger" onClick={cancel} isDisabled={final || cancelling} isLoading={cancelling}>Cancel</Button>
          </div>
        )}
      />
      <PageSection>
        <ErrorAlert error={jobError} title="Cannot load the job" />
        {job && (
          <Gallery hasGutter minWidths={{ default: '420px' }}>
            <Card isCompact>
              <CardTitle>Status</CardTitle>
              <CardBody>
                <div style={{ marginBottom: 8 }}><StateLabel state={job.state} /> <span aria-live="polite" data-testid="job-progress-text">{job.progress}% of {job.total_hosts} hosts done</span></div>
                <Progress value={job.progress} measureLocation={ProgressMeasureLocation.outside} aria-label="Job progress" variant={job.state === 'failed' ? 'danger' : job.state === 'succeeded' ? 'success' : undefined} />
                <div className="rex-bar" style={{ margin: '8px 0' }} aria-hidden>
                  {HOST_STATES.map((s) => job.counts[s] > 0 && <span key={s} style={{ width: `${(job.counts[s] / Math.max(1, job.total_hosts)) * 100}%`, background: STATE_COLOURS[s] }} />)}
                </div>
                <div className="rex-counts" data-testid="job-counts">
                  {HOST_STATES.map((s) => <span key={s} data-count-state={s}><StateLabel state={s} /> {job.counts[s]}</span>)}
                </div>
                {job.late_results > 0 && <div data-testid="job-late-results">{job.late_results} {job.late_results === 1 ? 'result' : 'results'} arrived after the job had ended (late); counted in the states above.</div>}
              </CardBody>
            </Card>
            <Card isCompact>
              <CardTitle>Details</CardTitle>
              <CardBody>
                <DescriptionList isCompact isHorizontal horizontalTermWidthModifier={{ default: '9ch' }}>
                  <DescriptionListGroup><DescriptionListTerm>Action</DescriptionListTerm><DescriptionListDescription>{job.namespace}.{job.action} <span className="rex-mono">{Object.keys(job.arguments).length ? JSON.stringify(job.arguments) : ''}</span></DescriptionListDescription></DescriptionListGroup>
                  <DescriptionListGroup><DescriptionListTerm>Target</DescriptionListTerm><DescriptionListDescription>{targetingText(job.targeting)}</DescriptionListDescription></DescriptionListGroup>
                  <DescriptionListGroup><DescriptionListTerm>Owner</DescriptionListTerm><DescriptionListDescription>{job.owner}</DescriptionListDescription></DescriptionListGroup>
                  <DescriptionListGroup><DescriptionListTerm>Run</DescriptionListTerm><DescriptionListDescription>{formatTime(job.started_at ?? job.created_at)} → {job.finished_at ? formatTime(job.finished_at) : 'running'}</DescriptionListDescription></DescriptionListGroup>
                  {job.parent_id && <DescriptionListGroup><DescriptionListTerm>Replay of</DescriptionListTerm><DescriptionListDescription><Link to={`/jobs/${job.parent_id}`}>job {job.parent_id}</Link></DescriptionListDescription></DescriptionListGroup>}
                </DescriptionList>
              </CardBody>
            </Card>
          </Gallery>
        )}
        {job?.aggregates && job.aggregates.length > 0 && (
          <>
            <Title headingLevel="h2" size="lg" style={{ marginTop: 16 }}>Summary</Title>
            <Aggregates aggregates={job.aggregates} />
          </>
        )}
        <Title headingLevel="h2" size="lg" style={{ marginTop: 16 }}>Hosts</Title>
        <ListToolbar
          id="job-hosts-toolbar"
          search={
            <div style={{ display: 'flex', gap: 8, flexWrap: 'wrap', alignItems: 'center' }}>
              <SearchBar value={search} onSearch={(s) => { setSearch(s); setPage((p) => ({ ...p, page: 1 })); }} placeholder="Host name" ariaLabel="Search job hosts" />
              <ToggleGroup aria-label="Filter by state" isCompact>
                {HOST_STATES.map((s) => <ToggleGroupItem key={s} text={`${s.replace('_', ' ')} ${job ? job.counts[s] : ''}`} buttonId={`state-${s}`} isSelected={states.includes(s)} onChange={() => toggleState(s)} />)}
              </ToggleGroup>
            </div>
          }
          total={hosts?.subtotal ?? 0}
          page={page.page}
          perPage={page.perPage}
          onPage={(p, pp) => setPage({ page: p, perPage: pp })}
        />
        <ErrorAlert error={hostsError} title="Cannot list the job's hosts" />
        <Table aria-label="Job hosts" variant="compact" data-testid="job-hosts">
          <Thead>
            <Tr>
              <Th screenReaderText="Details" />
              <Th>Host</Th>
              <Th>State</Th>
              <Th>Output</Th>
              <Th>Finished</Th>
            </Tr>
          </Thead>
          {(hosts?.results ?? []).map((h, i) => {
            const isOpen = expanded.has(h.host_id);
            return (
              <Tbody key={h.host_id} isExpanded={isOpen}>
                <Tr>
                  <Td expand={{ rowIndex: i, isExpanded: isOpen, onToggle: () => setExpanded((s) => { const n = new Set(s); if (n.has(h.host_id)) n.delete(h.host_id); else n.add(h.host_id); return n; }) }} />
                  <Td dataLabel="Host"><Link to={`/hosts/${h.host_id}`}>{h.host_name}</Link></Td>
                  <Td dataLabel="State"><StateLabel state={h.state} />{h.late && <> <Label isCompact color="purple" data-testid="late-result">late</Label></>}</Td>
                  <Td dataLabel="Output" className="rex-mono">{summary(h)}</Td>
                  <Td dataLabel="Finished" className="rex-nowrap">{formatTime(h.finished_at)}</Td>
                </Tr>
                <Tr isExpanded={isOpen}>
                  <Td colSpan={5}><ExpandableRowContent><HostOutput host={h} /></ExpandableRowContent></Td>
                </Tr>
              </Tbody>
            );
          })}
        </Table>
      </PageSection>
      {replaying && job && <ReplayModal job={job} onClose={() => setReplaying(false)} />}
      {scheduling && job && (
        <RunActionModal
          targeting={job.targeting.pql !== null ? { pql: job.targeting.pql } : job.targeting.search !== null ? { search: job.targeting.search } : job.targeting.host_ids ? { host_ids: job.targeting.host_ids } : { hostgroup_id: job.targeting.hostgroup_id ?? undefined }}
          targetLabel={targetingText(job.targeting)}
          preset={{ namespace: job.namespace, action: job.action, arguments: job.arguments, description: job.description, schedule: true }}
          onClose={() => setScheduling(false)}
        />
      )}
    </>
  );
}

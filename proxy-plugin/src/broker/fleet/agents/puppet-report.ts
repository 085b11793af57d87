/**
 * What a simulated Puppet run of a virtual node did, and the report of it as Puppet Server's
 * puppetdb report processor would submit it to PuppetDB (`store report`, wire format v8:
 * puppetlabs/puppetdb documentation/api/wire_format/report_format_v8.markdown).
 *
 * The report is a stand-in: no real puppet agent runs on a virtual node (there is no Choria server
 * on the test machine), so the node plays agent and Puppet Server at once and hands the report of
 * each run it ends to whoever submits it (test/fleet/puppetdb-reports.ts posts it to a real
 * PuppetDB). Its figures are the ones `last_run_summary` answers for the same run, so a reader of
 * both sees one run: same counts, configuration version, environment, noop and end time.
 */
import { randomUUID } from 'node:crypto';

import type { NodeState } from './agent';

type LastRun = NodeState['puppet']['lastRun'];

/** The figures of one run (the last one, or none yet when `last` is undefined). */
export interface RunFigures {
  number: number;
  noop: boolean;
  environment: string;
  configVersion: string;
  total: number;
  changed: number;
  failed: number;
  outOfSync: number;
  /** Events a noop run recorded instead of changing (all out-of-sync resources). */
  noopEvents: number;
  /** Seconds the run took. */
  totalTime: number;
  configRetrievalTime: number;
}

export function runFigures(node: NodeState, last: LastRun): RunFigures {
  const number = last?.number ?? 0;
  const r = node.random(`puppet:last_run:${number}`);
  const total = 200 + Math.floor(r * 800);
  // A share of runs (by node and run number, so the same every time) has failed resources.
  const rf = node.random(`puppet:failed:${number}`);
  const failing = last && rf < node.puppetFailedRunRate ? 1 + Math.floor((rf / node.puppetFailedRunRate) * 2) : 0;
  const outOfSync = Math.floor(r * 5) + failing;
  const noop = last?.noop === true;
  return {
    number,
    noop,
    environment: last?.environment ?? String(node.facts.environment ?? 'production'),
    configVersion: String(1700000000 + number),
    total,
    // A noop run changes nothing and fails nothing; it only reports what is out of sync.
    changed: noop ? 0 : outOfSync - failing,
    failed: noop ? 0 : failing,
    outOfSync,
    noopEvents: noop ? outOfSync : 0,
    // A run simulated to take time reports that time; an instant one, a plausible figure.
    totalTime: node.puppetRunSeconds > 0 ? node.puppetRunSeconds : 5 + Math.floor(r * 30),
    configRetrievalTime: 1 + Math.floor(r * 3),
  };
}

/** The resources a run changed, failed on, or (noop) found out of sync, as `Type[title]` with their class. */
export function runResources(figures: RunFigures): Array<{ type: string; title: string; klass: string; status: 'success' | 'failure' | 'noop' }> {
  const files = (count: number, status: 'success' | 'noop') => Array.from({ length: count }, (_, i) => ({ type: 'File', title: `/etc/rex/managed-${i + 1}.conf`, klass: 'Profile::Base', status }));
  return [
    ...files(figures.noop ? figures.outOfSync : figures.changed, figures.noop ? 'noop' : 'success'),
    ...Array.from({ length: figures.failed }, (_, i) => ({ type: 'Service', title: `app-${i + 1}`, klass: 'Profile::App', status: 'failure' as const })),
  ];
}

/** The run's log lines as last_run_summary and the report carry them (a resource's events name its path). */
export function runLogs(figures: RunFigures, timeSeconds: number): Array<{ time_utc: number; level: string; source: string; msg: string }> {
  const lines = runResources(figures)
    .filter((r) => r.status !== 'noop')
    .map((r) => r.status === 'failure'
      ? { time_utc: timeSeconds, level: 'err', source: `/Stage[main]/${r.klass}/${r.type}[${r.title}]`, msg: `Could not start ${r.type}[${r.title}]: Execution of '/bin/systemctl start ${r.title}' returned 1` }
      : { time_utc: timeSeconds, level: 'notice', source: `/Stage[main]/${r.klass}/${r.type}[${r.title}]/content`, msg: 'content changed {md5}0 to {md5}1' });
  return [...lines, { time_utc: timeSeconds, level: 'notice', source: 'Puppet', msg: `Applied catalog in ${figures.totalTime} seconds` }];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The `store report` v8 command body of a run that ended at `endSeconds` (the agent's lastrun),
 * submitted at `nowMs`; `producer` is the Puppet Server's certname in real life (the submitter may
 * name another).
 */
export function puppetReport(certname: string, figures: RunFigures, endSeconds: number, nowMs: number, producer = 'puppet'): Record<string, unknown> {
  const endMs = endSeconds * 1000;
  const startMs = endMs - figures.totalTime * 1000;
  const resources = runResources(figures).map((r, i) => ({
    timestamp: iso(endMs - 1000),
    resource_type: r.type,
    resource_title: r.title,
    skipped: false,
    file: `/etc/puppetlabs/code/environments/${figures.environment}/modules/profile/manifests/${r.klass === 'Profile::App' ? 'app' : 'base'}.pp`,
    line: 10 + i,
    containment_path: ['Stage[main]', r.klass, `${r.type}[${r.title}]`],
    corrective_change: false,
    events: [
      r.status === 'failure'
        ? { status: 'failure', timestamp: iso(endMs - 1000), property: 'ensure', old_value: 'stopped', new_value: 'running', message: `Could not start ${r.type}[${r.title}]`, corrective_change: false }
        : { status: r.status, timestamp: iso(endMs - 1000), property: 'content', old_value: '{md5}0', new_value: '{md5}1', message: r.status === 'noop' ? "current_value '{md5}0', should be '{md5}1' (noop)" : 'content changed {md5}0 to {md5}1', corrective_change: false },
    ],
  }));
  const metric = (category: string, name: string, value: number) => ({ category, name, value });
  return {
    certname,
    environment: figures.environment,
    puppet_version: '7.23.0',
    report_format: 12,
    configuration_version: figures.configVersion,
    start_time: iso(startMs),
    end_time: iso(endMs),
    producer_timestamp: iso(nowMs),
    producer,
    resources,
    metrics: [
      metric('resources', 'total', figures.total),
      metric('resources', 'changed', figures.changed),
      metric('resources', 'failed', figures.failed),
      metric('resources', 'failed_to_restart', 0),
      metric('resources', 'out_of_sync', figures.outOfSync),
      metric('resources', 'restarted', 0),
      metric('resources', 'scheduled', 0),
      metric('resources', 'skipped', 0),
      metric('resources', 'corrective_change', 0),
      metric('time', 'config_retrieval', figures.configRetrievalTime),
      metric('time', 'total', figures.totalTime),
      metric('changes', 'total', figures.changed),
      metric('events', 'total', figures.changed + figures.failed + figures.noopEvents),
      metric('events', 'success', figures.changed),
      metric('events', 'failure', figures.failed),
      metric('events', 'noop', figures.noopEvents),
    ],
    logs: runLogs(figures, endSeconds).map((l) => ({ file: null, line: null, level: l.level, message: l.msg, source: l.source, tags: [l.level], time: iso(l.time_utc * 1000) })),
    transaction_uuid: randomUUID(),
    catalog_uuid: randomUUID(),
    code_id: null,
    cached_catalog_status: 'not_used',
    status: figures.failed > 0 ? 'failed' : figures.changed > 0 ? 'changed' : 'unchanged',
    noop: figures.noop,
    noop_pending: figures.noopEvents > 0,
    corrective_change: false,
  };
}

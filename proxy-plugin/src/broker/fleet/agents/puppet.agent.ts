import { aborted, ok, type NodeState, type VirtualAgent } from './agent';
import { puppetReport, runFigures, runLogs } from './puppet-report';

/**
 * The puppet agent of a virtual node. `runonce` starts a simulated run the way the real agent
 * (choria-plugins/puppet-agent) does: refused while disabled or while a catalog is being applied,
 * otherwise it signals the idling daemon (or starts a one-off run) and answers at once; the run
 * then shows as `applying` for `puppetRunSeconds`, after which status and last_run_summary report
 * it (last run time, noop or not, tags, environment). Time comes from the node's clock, so the
 * simulation needs no timers. A node given `puppetReports` hands each run's report to it when it
 * sees the run ended (puppet-report.ts: the stand-in for Puppet Server's report to PuppetDB).
 */

/** Ends a run whose simulated duration has passed. */
function settle(node: NodeState): void {
  const run = node.puppet.current;
  if (!run || node.nowMs() < run.endsAtMs) return;
  node.puppet.current = undefined;
  // Each run ends after the one before, as real runs (which take seconds) do: a follower that tells a
  // new run from the previous one by its lastrun must see a newer one even for runs of zero seconds.
  node.puppet.lastRunSeconds = Math.max(Math.floor(run.endsAtMs / 1000), node.puppet.lastRunSeconds + 1);
  node.puppet.lastRun = { noop: run.noop, tags: run.tags, environment: run.environment, number: node.puppet.runs };
  node.puppetReports?.(puppetReport(node.identity, runFigures(node, node.puppet.lastRun), node.puppet.lastRunSeconds, node.nowMs()));
}

function applying(node: NodeState): boolean {
  return node.puppet.current !== undefined;
}

function statusOf(node: NodeState): Record<string, unknown> {
  const now = Math.floor(node.nowMs() / 1000);
  const busy = applying(node);
  const state = busy ? 'applying a catalog' : node.puppet.enabled ? 'idling' : 'disabled';
  return {
    applying: busy,
    idling: node.puppet.enabled && !busy,
    enabled: node.puppet.enabled,
    daemon_present: node.services.get('puppet') === true,
    lastrun: node.puppet.lastRunSeconds,
    since_lastrun: now - node.puppet.lastRunSeconds,
    status: state,
    disable_message: node.puppet.disableMessage,
    message: `Currently ${state}; last completed run ${now - node.puppet.lastRunSeconds} seconds ago`,
  };
}

function commandLine(data: Record<string, unknown>): string {
  const flags = ['--onetime', '--no-daemonize'];
  if (data.noop === true) flags.push('--noop');
  if (data.noop === false) flags.push('--no-noop');
  if (typeof data.tags === 'string') flags.push(`--tags ${data.tags}`);
  if (typeof data.skip_tags === 'string') flags.push(`--skip_tags ${data.skip_tags}`);
  if (typeof data.environment === 'string') flags.push(`--environment ${data.environment}`);
  if (typeof data.server === 'string') flags.push(`--server ${data.server}`);
  if (data.use_cached_catalog === true) flags.push('--use_cached_catalog');
  if (data.splay === true && data.force !== true) flags.push('--splay');
  return `puppet agent ${flags.join(' ')}`;
}

export const puppetAgent: VirtualAgent = {
  name: 'puppet',
  handle(action, data, node) {
    settle(node);
    const now = Math.floor(node.nowMs() / 1000);
    switch (action) {
      case 'status':
        return ok(statusOf(node));
      case 'runonce': {
        if (!node.puppet.enabled) return aborted(`Puppet is disabled: '${node.puppet.disableMessage}'`, { summary: '', initiated_at: 0 });
        if (applying(node)) return aborted('Puppet is currently applying a catalog, cannot run now', { summary: '', initiated_at: 0 });
        node.puppet.runs += 1;
        node.puppet.current = {
          endsAtMs: node.nowMs() + node.puppetRunSeconds * 1000,
          noop: data.noop === true,
          tags: typeof data.tags === 'string' ? data.tags : '',
          environment: typeof data.environment === 'string' ? data.environment : String(node.facts.environment ?? 'production'),
        };
        // A run of zero seconds is over as soon as it started.
        settle(node);
        // Like the real agent: an idling daemon is woken with a signal, else a one-off run starts.
        const summary = node.services.get('puppet') === true && data.force !== true && data.noop === undefined && data.tags === undefined
          ? 'Signalled the running Puppet Daemon'
          : `Started a Puppet run using the '${commandLine(data)}' command`;
        return ok({ summary, initiated_at: now });
      }
      case 'enable':
        if (node.puppet.enabled) return aborted('Puppet is already enabled', { status: 'Puppet is already enabled', enabled: true });
        node.puppet.enabled = true;
        node.puppet.disableMessage = '';
        return ok({ status: 'Puppet has been enabled', enabled: true });
      case 'disable':
        if (!node.puppet.enabled) return aborted(`Puppet is already disabled: ${node.puppet.disableMessage}`, { status: 'Puppet is already disabled', enabled: false });
        node.puppet.enabled = false;
        node.puppet.disableMessage = typeof data.message === 'string' ? data.message : 'Disabled via MCollective by rex';
        return ok({ status: 'Puppet has been disabled', enabled: false });
      case 'last_run_summary': {
        const last = node.puppet.lastRun;
        const run = runFigures(node, last);
        return ok({
          out_of_sync_resources: run.outOfSync,
          failed_resources: run.failed,
          corrected_resources: 0,
          changed_resources: run.changed,
          total_resources: run.total,
          config_retrieval_time: run.configRetrievalTime,
          total_time: run.totalTime,
          // As in last_run_report.yaml: a resource's events have its path as their source.
          logs: data.logs ? runLogs(run, node.puppet.lastRunSeconds) : [],
          lastrun: node.puppet.lastRunSeconds,
          since_lastrun: now - node.puppet.lastRunSeconds,
          config_version: run.configVersion,
          type_distribution: { File: Math.floor(run.total / 2), Package: Math.floor(run.total / 5), Service: Math.floor(run.total / 20) },
          summary: {
            resources: { total: run.total, changed: run.changed, failed: run.failed, out_of_sync: run.outOfSync },
            time: { total: run.totalTime },
            events: { noop: run.noopEvents, success: run.changed, failure: run.failed },
            environment: run.environment,
          },
        });
      }
      default:
        return aborted(`Action ${action} is not simulated by the virtual puppet agent`);
    }
  },
};

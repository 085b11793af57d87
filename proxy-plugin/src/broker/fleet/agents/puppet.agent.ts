import { aborted, ok, type NodeState, type VirtualAgent } from './agent';

function statusOf(node: NodeState): Record<string, unknown> {
  const now = Math.floor(node.nowMs() / 1000);
  const state = node.puppet.applying ? 'applying a catalog' : node.puppet.enabled ? 'idling' : 'disabled';
  return {
    applying: node.puppet.applying,
    idling: node.puppet.enabled && !node.puppet.applying,
    enabled: node.puppet.enabled,
    daemon_present: true,
    lastrun: node.puppet.lastRunSeconds,
    since_lastrun: now - node.puppet.lastRunSeconds,
    status: state,
    disable_message: node.puppet.disableMessage,
    message: `Currently ${state}; last completed run ${now - node.puppet.lastRunSeconds} seconds ago`,
  };
}

export const puppetAgent: VirtualAgent = {
  name: 'puppet',
  handle(action, data, node) {
    const now = Math.floor(node.nowMs() / 1000);
    switch (action) {
      case 'status':
        return ok(statusOf(node));
      case 'runonce':
        if (!node.puppet.enabled) return aborted(`Puppet is disabled: '${node.puppet.disableMessage}'`, { summary: '', initiated_at: 0 });
        // A run completes instantly in the simulation, so the next status shows it.
        node.puppet.lastRunSeconds = now;
        return ok({ summary: `Started a Puppet run using the 'puppet agent --onetime${data.noop ? ' --noop' : ''}' command`, initiated_at: now });
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
        const r = node.random('puppet:last_run');
        const total = 200 + Math.floor(r * 800);
        const changed = Math.floor(r * 5);
        return ok({
          out_of_sync_resources: changed,
          failed_resources: 0,
          corrected_resources: 0,
          changed_resources: changed,
          total_resources: total,
          config_retrieval_time: 1 + Math.floor(r * 3),
          total_time: 5 + Math.floor(r * 30),
          logs: data.logs
            ? [{ time_utc: node.puppet.lastRunSeconds, level: 'notice', source: 'Puppet', msg: `Applied catalog in ${5 + Math.floor(r * 30)} seconds` }]
            : [],
          lastrun: node.puppet.lastRunSeconds,
          since_lastrun: now - node.puppet.lastRunSeconds,
          config_version: String(1700000000 + Math.floor(r * 1e6)),
          type_distribution: { File: Math.floor(total / 2), Package: Math.floor(total / 5), Service: Math.floor(total / 20) },
          summary: { resources: { total, changed, failed: 0 }, time: { total: 5 + Math.floor(r * 30) } },
        });
      }
      default:
        return aborted(`Action ${action} is not simulated by the virtual puppet agent`);
    }
  },
};

/**
 * A Puppet run job over MCollective (issue 18): the real ui-extension app and proxy-plugin (runProxy
 * on the MCollective transport) against real mcollectived daemons whose puppet agent
 * (test/fleet/mcollective/plugins/mcollective/agent/puppet.rb, simulated: no Puppet here) applies a
 * run for a few seconds. The proxy's runner must follow each host's run to its end through
 * status, runonce, status polls and last_run_summary, as on Choria, and record what the node
 * reports, host by host, as `mco rpc puppet last_run_summary` prints it afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { Job, JobStatus, PuppetRunJobHost } from '@common/jobs';
import { testDatabases } from '@test/support/databases';
import { AUTH, type JobApp } from '@test/ui-extension/jobs/support/job-stack';
import { mcollectiveJobApp, mcollectiveSuite } from './support/mcollective-suite';

jest.setTimeout(120_000);

const PROXY_NAME = 'puppet-mco-runs.mco.test';
const RUN_SECONDS = 5;
/** web, db, app, cache, lb, mail: the db node's runs fail a resource (puppet.rb). */
const NODES = 6;

async function api<T>(app: JobApp, method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${app.url}/api/v2${apiPath}`, { method, headers: { Authorization: AUTH, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

async function waitFinal(app: JobApp, id: number): Promise<JobStatus> {
  let job = (await api<JobStatus>(app, 'GET', `/remote_execution/jobs/${id}`)).body;
  while (!['succeeded', 'failed', 'cancelled'].includes(job.state)) job = (await api<JobStatus>(app, 'GET', `/remote_execution/jobs/${id}?wait=20&since=${job.version}`)).body;
  return job;
}

describe('Puppet runs over MCollective', () => {
  const suite = mcollectiveSuite({ proxyName: PROXY_NAME, fleet: { count: NODES, puppetRunSeconds: RUN_SECONDS }, proxyEnv: { PROXY_PLUGIN_PUPPET_STATUS_INTERVAL_MS: '250' } });

  it('serves the fleet\'s puppet DDL with the runner\'s if_running input', async () => {
    const puppet = (await suite.clients.listAgents(suite.url)).find((a) => a.metadata?.name === 'puppet')!;
    expect(puppet.actions.find((a) => a.name === 'runonce')?.inputs.map((i) => i.name).sort()).toEqual(['environment', 'force', 'if_running', 'noop', 'tags']);
  });

  describe.each(testDatabases())('with the ui-extension on $kind', (database) => {
    const stack = mcollectiveJobApp(suite, database);
    const hostIds = () => suite.fleet.nodes.map((n) => stack.seeded.hostIds.get(n.identity)!);

    it('ends each host only after its run ended, with the outcome the node\'s last_run_summary reports', async () => {
      const { app } = stack;
      const { fleet } = suite;
      const started = Date.now();
      const created = await api<Job>(app, 'POST', '/remote_execution/puppet_run', { targeting: { host_ids: hostIds() }, timeout: 60 });
      expect(created.status).toBe(201);
      const job = await waitFinal(app, created.body.id);
      expect(Date.now() - started).toBeGreaterThanOrEqual(RUN_SECONDS * 1000);
      const hosts = (await api<{ results: PuppetRunJobHost[] }>(app, 'GET', `/remote_execution/jobs/${job.id}/hosts?per_page=100`)).body.results;
      expect(hosts).toHaveLength(NODES);

      // What each node says of its last run now, through the real mco client.
      const mco = await fleet.mco(['rpc', 'puppet', 'last_run_summary', 'logs=true', ...fleet.identities.flatMap((id) => ['-I', id]), '--json', '--np']);
      expect(mco.code).toBe(0);
      const reported = new Map((JSON.parse(mco.stdout) as Array<{ sender: string; data: Record<string, unknown> }>).map((r) => [r.sender, r.data]));
      const tally = { changed: 0, unchanged: 0, failed: 0, noop_pending: 0, not_run: 0 };
      for (const host of hosts) {
        const summary = reported.get(host.host_name)!;
        const failed = summary.failed_resources as number;
        const changed = summary.changed_resources as number;
        const outcome = failed > 0 ? 'failed' : changed > 0 ? 'changed' : 'unchanged';
        const logs = summary.logs as Array<{ level: string; source: string }>;
        expect(host.puppet_run).toEqual({
          outcome,
          changed_resources: changed,
          failed_resources: failed,
          out_of_sync_resources: summary.out_of_sync_resources,
          total_resources: summary.total_resources,
          run_time: RUN_SECONDS,
          config_version: summary.config_version,
          environment: 'production',
          noop: false,
          failed_resource_titles: logs.filter((l) => l.level === 'err').map(() => 'Service[postgresql]'),
          changed_resource_titles: logs.filter((l) => l.level === 'notice').map((_, i) => `File[/etc/rex/mco-${i + 1}.conf]`),
        });
        expect(host.state).toBe(failed > 0 ? 'failed' : 'succeeded');
        // The run the job recorded is the one that began after its request.
        expect((summary.lastrun as number) * 1000).toBeGreaterThanOrEqual(Math.floor(new Date(host.started_at!).getTime() / 1000) * 1000);
        tally[outcome]++;
      }
      expect(hosts.find((h) => h.host_name.startsWith('db-'))).toMatchObject({ state: 'failed', statusmsg: 'puppet run failed: 1 failed resources', puppet_run: { outcome: 'failed', failed_resource_titles: ['Service[postgresql]'] } });
      expect(job.aggregates).toContainEqual({ function: 'puppet_run', output: 'run', display_as: 'Puppet Run Outcome', value: tally });
    });

    it('skips a host already applying, or with if_running wait runs it once that run has ended', async () => {
      const { app } = stack;
      const { fleet } = suite;
      const web = hostIds()[0];
      const first = (await api<Job>(app, 'POST', '/remote_execution/puppet_run', { targeting: { host_ids: [web] }, timeout: 60 })).body;
      // Until its runonce is in, the node is idle: wait for it to apply (the agent's state file says so).
      const state = path.join(fleet.dir, 'nodes', fleet.identities[0], 'puppet-state.json');
      const applying = () => {
        try {
          return (JSON.parse(fs.readFileSync(state, 'utf8')) as { current?: unknown }).current != null;
        } catch {
          // Not written yet, or read while the agent rewrites it.
          return false;
        }
      };
      for (const until = Date.now() + 20_000; !applying() && Date.now() < until;) await new Promise((r) => setTimeout(r, 25));
      expect(applying()).toBe(true);
      const skipped = (await api<Job>(app, 'POST', '/remote_execution/puppet_run', { targeting: { host_ids: [web] }, timeout: 60 })).body;
      const waited = (await api<Job>(app, 'POST', '/remote_execution/puppet_run', { targeting: { host_ids: [web] }, timeout: 60, if_running: 'wait' })).body;
      const [a, b, c] = await Promise.all([waitFinal(app, first.id), waitFinal(app, skipped.id), waitFinal(app, waited.id)]);
      const hostOf = async (id: number) => (await api<{ results: PuppetRunJobHost[] }>(app, 'GET', `/remote_execution/jobs/${id}/hosts`)).body.results[0];
      expect(await hostOf(b.id)).toMatchObject({ state: 'failed', statusmsg: 'puppet agent already applying a catalog: not started', puppet_run: null });
      const ran = await hostOf(a.id);
      const after = await hostOf(c.id);
      expect(ran.puppet_run).not.toBeNull();
      expect(after.puppet_run).not.toBeNull();
      // A run of its own, after the first had ended: a later catalog version, RUN_SECONDS later.
      expect(Number(after.puppet_run!.config_version)).toBe(Number(ran.puppet_run!.config_version) + 1);
      expect(new Date(after.finished_at!).getTime() - new Date(ran.finished_at!).getTime()).toBeGreaterThanOrEqual((RUN_SECONDS - 1) * 1000);
    });
  });
});

/**
 * Submits the virtual nodes' Puppet run reports to a real PuppetDB, as Puppet Server's puppetdb
 * report processor does after each agent run: one `store report` command (version 8) per run
 * through the command API, which queues it and answers before it is stored. It is the stand-in
 * for agent + Puppet Server (proxy-plugin broker/fleet/agents/puppet-report.ts says why); the
 * PuppetDB, its command queue and its query API are the real ones.
 */
export interface PuppetDbReportSubmitter {
  /** Posts a report; failures are counted, never thrown (a node's run does not depend on it). */
  submit(report: Record<string, unknown>): void;
  /** Resolves when every report posted so far has been answered. */
  settled(): Promise<void>;
  readonly stats: { submitted: number; accepted: number; failed: number; lastErrors: string[] };
}

export function createPuppetDbReportSubmitter(options: { url: string; producer?: string }): PuppetDbReportSubmitter {
  const stats = { submitted: 0, accepted: 0, failed: 0, lastErrors: [] as string[] };
  const pending = new Set<Promise<void>>();

  async function post(report: Record<string, unknown>): Promise<void> {
    const url = new URL('/pdb/cmd/v1', options.url);
    url.searchParams.set('command', 'store report');
    url.searchParams.set('version', '8');
    url.searchParams.set('certname', String(report.certname));
    url.searchParams.set('producer-timestamp', String(report.producer_timestamp));
    const body = options.producer ? { ...report, producer: options.producer } : report;
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const text = await response.text();
      if (response.status === 200) stats.accepted++;
      else throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
    } catch (error) {
      stats.failed++;
      stats.lastErrors.push(`${String(report.certname)}: ${(error as Error).message}`);
      if (stats.lastErrors.length > 20) stats.lastErrors.shift();
    }
  }

  return {
    submit(report) {
      stats.submitted++;
      const done = post(report);
      pending.add(done);
      void done.finally(() => pending.delete(done));
    },
    async settled() {
      await Promise.all([...pending]);
    },
    stats,
  };
}

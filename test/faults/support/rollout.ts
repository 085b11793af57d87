/**
 * Helpers of the rollout fault tests (issue 27): a Choria fleet process with silent nodes that
 * reports what each node received and answered, and reads of a job's host rows.
 */
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { startProcess, type Proc } from './processes';

const ROOT = path.resolve(__dirname, '../../..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.cjs');

export interface FleetReport {
  /** Directed requests each node received. */
  received: Record<string, number>;
  /** Replies each node sent. */
  replied: Record<string, number>;
}

export interface ReportingFleet extends Proc {
  /** What every node has seen so far of one agent#action, e.g. `rpcutil#ping` (SIGUSR2 to the fleet process). */
  report(agentAction: string): Promise<FleetReport>;
}

/** The Choria test fleet in its own process, with `silent` nodes that never answer. */
export async function startReportingFleet(options: { natsUrl: string; count: number; prefix: string; collective: string; latencyMs: number; silent?: string[] }): Promise<ReportingFleet> {
  const proc = startProcess('fleet', process.execPath, ['-r', REGISTER, path.join(ROOT, 'test', 'fleet', 'run-fleet.ts'),
    '--nats-url', options.natsUrl, '--count', String(options.count), '--identity-prefix', options.prefix,
    '--collective', options.collective, '--latency-ms', String(options.latencyMs), '--silent', (options.silent ?? []).join(',')], {});
  await proc.waitForLine((line) => line.includes('"msg":"fleet ready"'), 60_000);
  return Object.assign(proc, {
    async report(agentAction: string): Promise<FleetReport> {
      const asked = Date.now();
      proc.child.kill('SIGUSR2');
      const line = await proc.waitForLine((l) => l.includes('"msg":"fleet report"') && (JSON.parse(l) as { at: number }).at >= asked, 10_000);
      return (JSON.parse(line) as { byAction: Record<string, FleetReport> }).byAction[agentAction] ?? { received: {}, replied: {} };
    },
  });
}

export interface HostRow {
  name: string;
  state: string;
  reason: string | null;
  statuscode: number | null;
  asked: boolean;
  late: boolean;
}

export async function hostRows(dataSource: DataSource, jobId: number): Promise<HostRow[]> {
  const rows = (await dataSource.query('SELECT host_name, state, reason, statuscode, started_at, late_at FROM job_invocation_hosts WHERE job_invocation_id = ? ORDER BY host_name', [jobId])) as Array<{
    host_name: string; state: string; reason: string | null; statuscode: number | null; started_at: unknown; late_at: unknown;
  }>;
  return rows.map((r) => ({ name: r.host_name, state: r.state, reason: r.reason, statuscode: r.statuscode === null ? null : Number(r.statuscode), asked: r.started_at !== null, late: r.late_at !== null }));
}

export async function countWhere(dataSource: DataSource, jobId: number, condition: string): Promise<number> {
  const [row] = (await dataSource.query(`SELECT COUNT(*) AS n FROM job_invocation_hosts WHERE job_invocation_id = ? AND ${condition}`, [jobId])) as Array<{ n: unknown }>;
  return Number(row.n);
}

/** Polls until `read` satisfies `ok`; throws naming `what` and the last value after `timeoutMs`. */
export async function waitUntil<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every `"msg":"execution finished"` line a proxy logged, with its time. */
export function executionsFinished(proxy: Proc): Array<{ executionId: string; at: number; state: string }> {
  return proxy.lines.filter((l) => l.includes('"msg":"execution finished"')).map((l) => {
    const line = JSON.parse(l) as { executionId: string; time: string | number; state: string };
    return { executionId: line.executionId, at: typeof line.time === 'number' ? line.time : Date.parse(line.time), state: line.state };
  });
}

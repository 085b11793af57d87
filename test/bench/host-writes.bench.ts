/**
 * A large job's host-row writes on MariaDB, each stage alone with nothing else running (no fleet, no
 * proxies, no HTTP): the product's own repository calls (createJob's pending rows; the result writer's
 * batches through commitResultBatch: hosts handed out, then results in batches of the default
 * jobs.result_batch_size, their HostsSent riding on them) beside the floor script's statements
 * (floor.bench.ts) at the same size, with MariaDB's CPU and the wall time of each stage.
 *
 * Issue 20: in the scale series MariaDB is the busiest process of our job and the writer's batches are
 * its critical path, but one run's ratio moves +-20% with the machine. Here MariaDB runs alone (medians
 * of alternating runs from empty tables) and the figures say how much of the gap is the rows we write:
 * which stage, and how it compares with the floor's two statements per host. MariaDB's CPU includes its
 * background threads (purge, page cleaner), which is why a settle follows each stage, and why one
 * run's total still moves by up to ~70 ms on this machine: compare stages side by side in one run, and
 * alternate builds over several rounds before believing a difference (having no state index at all
 * saves ~70-200 ms; (job, state) in place of (job, state, host_name) saved nothing in such an A/B).
 */
import { createConnection } from 'mysql2/promise';
import type { HostCounts, HostState } from '@common/jobs';
import { emptyCounts } from '@server/jobs/host-states';
import { createJobInvocationRepository, type NewJob } from '@server/jobs/job-invocation.repository';
import { MAX_ID_ROWS_PER_BATCH, type HostResultWrite } from '@server/jobs/result-batch';
import { openTestDataSource } from '@test/support/databases';
import { cpuMs, pidsByCommand } from './bench-processes';
import { median } from './choria-ping.bench';
import { createFloorTable, FLOOR_TABLE, insertFloorPending, RESULT_BATCH, upsertFloorResults, type FloorResultRow } from './floor.bench';

/** The product's default jobs.result_batch_size (config.ts). */
const PRODUCT_RESULT_BATCH = 500;
/** After each stage, before MariaDB's CPU is read: its purge of the stage's old row versions counts too. */
const SETTLE_MS = 300;
/** After emptying the tables, before a run: MariaDB purges the deleted rows meanwhile. */
const PURGE_MS = 1000;
const LEASE = 'host-writes-bench';
/** What a fleet node answers to rpcutil#ping, as the scale series' replies. */
const PING_DATA = '{"pong":1796633663}';

export interface StageFigures {
  /** MariaDB CPU (user + system, all its threads) from the stage's start to SETTLE_MS after its end. */
  mariadbCpuMs: number;
  wallMs: number;
}

type OurStages = { pending: StageFigures; running: StageFigures; results: StageFigures; total: StageFigures };

export interface HostWritesResult {
  hosts: number;
  runs: number;
  ours: OurStages;
  floor: { pending: StageFigures; results: StageFigures; total: StageFigures };
  /** ours.total.mariadbCpuMs / floor.total.mariadbCpuMs */
  cpuRatio: number;
  /**
   * With `indexCosts`: our stages again without each secondary index of job_invocation_hosts in turn
   * (dropped, measured, put back and measured again as its baseline): what each index costs the
   * writes. An index MariaDB keeps a foreign key on cannot be dropped; it says so instead.
   */
  withoutIndex?: Array<{ index: string; columns: string[]; ours?: OurStages; withIt?: OurStages; refused?: string }>;
}

export async function runHostWritesBench(options: { hosts: number; runs?: number; warmup?: number; indexCosts?: boolean }): Promise<HostWritesResult> {
  const runs = options.runs ?? 5;
  const warmup = options.warmup ?? 1;
  const mariadb = pidsByCommand('mariadbd');
  if (mariadb.length === 0) throw new Error('host-writes bench: no local mariadbd process to read CPU from');
  const mariadbCpu = () => mariadb.reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
  async function stage(fn: () => Promise<void>): Promise<StageFigures> {
    const cpu = mariadbCpu();
    const started = performance.now();
    await fn();
    const wallMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    return { mariadbCpuMs: mariadbCpu() - cpu, wallMs };
  }

  const db = await openTestDataSource('mysql');
  const floorDb = await createConnection({ uri: db.database.url!, timezone: 'Z', supportBigNumbers: true });
  try {
    await createFloorTable(floorDb);
    const repo = createJobInvocationRepository(db.dataSource);
    const now = new Date();
    const action = await repo.findOrCreateRemoteAction({ namespace: 'rpcutil', action: 'ping', arguments: '{}', hash: 'host-writes-bench', now });
    // Two proxies' hosts, named as the scale series' inventory names them.
    const hosts = Array.from({ length: options.hosts }, (_, i) => ({ hostId: i + 1, hostName: `scale-node-${String(i + 1).padStart(6, '0')}.bench.example`, smartProxyId: i < options.hosts / 2 ? 1 : 2 }));

    async function ours(): Promise<HostWritesResult['ours']> {
      const counts: HostCounts = { ...emptyCounts(), pending: hosts.length };
      const job: NewJob = {
        remoteActionId: action.id, parentId: null, owner: 'admin', ownerId: 1, description: '', targetingSearch: null, targetingHostIds: null, targetingHostgroupId: null,
        factNames: [], concurrencyLevel: null, batchSize: null, timeoutS: 60, ddl: '{}', counts, smartProxyIds: [], leaseOwner: LEASE, leaseExpiresAt: null, now,
        hosts: hosts.map((h) => ({ ...h, hostgroupId: 1, state: 'pending', reason: null, finishedAt: null })),
      };
      let jobId = 0;
      const pending = await stage(async () => {
        jobId = await repo.createJob(job);
      });
      await repo.updateJob(jobId, { state: 'running', leaseOwner: LEASE }, now);
      const rowIds = await repo.hostRowIds(jobId);
      const batch = (fields: { running?: number[]; results?: HostResultWrite[]; lastEventSeq: number }) => ({ jobId, running: fields.running ?? [], sent: [], results: fields.results ?? [], counts: { ...counts }, lastEventSeq: fields.lastEventSeq, streams: [], leaseOwner: LEASE, now: new Date() });
      const commit = async (b: ReturnType<typeof batch>) => {
        if ((await repo.commitResultBatch(b)) === null) throw new Error(`host-writes bench: job ${jobId} refused a batch`);
      };
      const running = await stage(async () => {
        for (let i = 0; i < rowIds.length; i += MAX_ID_ROWS_PER_BATCH) await commit(batch({ running: rowIds.slice(i, i + MAX_ID_ROWS_PER_BATCH), lastEventSeq: 0 }));
      });
      const sentAt = new Date();
      const results = await stage(async () => {
        for (let i = 0; i < rowIds.length; i += PRODUCT_RESULT_BATCH) {
          const slice = rowIds.slice(i, i + PRODUCT_RESULT_BATCH).map((rowId, k) => ({ rowId, state: 'succeeded' as HostState, reason: null, statuscode: 0, statusmsg: 'OK', data: PING_DATA, finishedAt: new Date(), eventSeq: i + k + 1, proxySequence: i + k + 3, sentAt }));
          await commit(batch({ results: slice, lastEventSeq: i + slice.length }));
        }
      });
      return { pending, running, results, total: sum([pending, running, results]) };
    }

    async function floor(jobId: number): Promise<HostWritesResult['floor']> {
      const ids = hosts.map((h) => h.hostId);
      const pending = await stage(() => insertFloorPending(floorDb, jobId, ids));
      const sentAt = new Date();
      const results = await stage(async () => {
        for (let i = 0; i < ids.length; i += RESULT_BATCH) {
          await upsertFloorResults(floorDb, ids.slice(i, i + RESULT_BATCH).map((id): FloorResultRow => [jobId, id, 'succeeded', 0, 'OK', PING_DATA, sentAt, new Date()]));
        }
      });
      return { pending, results, total: sum([pending, results]) };
    }

    // Every run starts from empty tables, its rows purged: the runs (and the index experiments below,
    // which rebuild an index) see the same table sizes instead of one that grows run by run.
    async function emptyTables(): Promise<void> {
      await db.dataSource.query('DELETE FROM job_invocations');
      await floorDb.query(`DELETE FROM ${FLOOR_TABLE}`);
      await new Promise((resolve) => setTimeout(resolve, PURGE_MS));
    }
    async function oursRuns(): Promise<OurStages> {
      const measured: OurStages[] = [];
      for (let r = 0; r < warmup + runs; r++) {
        await emptyTables();
        const run = await ours();
        if (r >= warmup) measured.push(run);
      }
      return medianStages(measured);
    }

    const measured: Array<{ ours: OurStages; floor: HostWritesResult['floor'] }> = [];
    for (let r = 0; r < warmup + runs; r++) {
      await emptyTables();
      const run = { ours: await ours(), floor: await floor(r + 1) };
      if (r >= warmup) measured.push(run);
    }
    const result: HostWritesResult = {
      hosts: options.hosts,
      runs,
      ours: medianStages(measured.map((m) => m.ours)),
      floor: { pending: medianOf(measured.map((m) => m.floor.pending)), results: medianOf(measured.map((m) => m.floor.results)), total: medianOf(measured.map((m) => m.floor.total)) },
      cpuRatio: 0,
    };
    result.cpuRatio = Math.round((result.ours.total.mariadbCpuMs / result.floor.total.mariadbCpuMs) * 100) / 100;
    if (options.indexCosts) {
      result.withoutIndex = [];
      const indexes = (await db.dataSource.query(
        "SELECT INDEX_NAME AS name, NON_UNIQUE AS nonUnique, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS columns FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'job_invocation_hosts' AND INDEX_NAME <> 'PRIMARY' GROUP BY INDEX_NAME, NON_UNIQUE ORDER BY INDEX_NAME",
      )) as Array<{ name: string; nonUnique: number | string; columns: string }>;
      for (const index of indexes) {
        const columns = index.columns.split(',');
        try {
          await db.dataSource.query(`DROP INDEX \`${index.name}\` ON job_invocation_hosts`);
        } catch (error) {
          result.withoutIndex.push({ index: index.name, columns, refused: (error as Error).message });
          continue;
        }
        const putBack = () => db.dataSource.query(`CREATE ${Number(index.nonUnique) === 0 ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS \`${index.name}\` ON job_invocation_hosts (${columns.map((c) => `\`${c}\``).join(', ')})`);
        try {
          const without = await oursRuns();
          await putBack();
          // Its own baseline right after, with the index back: the pair is measured side by side.
          result.withoutIndex.push({ index: index.name, columns, ours: without, withIt: await oursRuns() });
        } finally {
          await putBack();
        }
      }
    }
    return result;
  } finally {
    await floorDb.end();
    await db.close();
  }
}

function medianOf(figures: StageFigures[]): StageFigures {
  return { mariadbCpuMs: Math.round(median(figures.map((f) => f.mariadbCpuMs))), wallMs: Math.round(median(figures.map((f) => f.wallMs))) };
}

function medianStages(runs: OurStages[]): OurStages {
  return { pending: medianOf(runs.map((r) => r.pending)), running: medianOf(runs.map((r) => r.running)), results: medianOf(runs.map((r) => r.results)), total: medianOf(runs.map((r) => r.total)) };
}

function sum(stages: StageFigures[]): StageFigures {
  return { mariadbCpuMs: stages.reduce((s, x) => s + x.mariadbCpuMs, 0), wallMs: stages.reduce((s, x) => s + x.wallMs, 0) };
}

if (require.main === module) {
  // Standalone: node dist/test/bench/host-writes.bench.js [hosts] [runs] [--index-costs]
  void runHostWritesBench({ hosts: Number(process.argv[2] ?? 10_000), runs: Number(process.argv[3] ?? 5), indexCosts: process.argv.includes('--index-costs') }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (error: Error) => {
      process.stderr.write(`${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}

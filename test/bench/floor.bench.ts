/**
 * The machine's floor for "POST a job on N hosts -> every result stored" (research/limits.md §5),
 * on the same NATS, the same virtual fleet and the same MariaDB as the product's job benchmarks, with
 * none of the product between them (no HTTP, no ORM, no gRPC, no search):
 *  1. N pending rows: multi-row INSERT x 1000 in one transaction;
 *  2. per "proxy" (one NATS connection each) one Choria request built and signed once with the
 *     project's own codec (proxy-plugin/src/broker/choria/protocol.ts, the onion the product emits;
 *     `insecure` signature, as the benchmarks' proxies run with security.mode insecure) and published
 *     directed to each of its nodes, yielding to the event loop every 250 publishes as the proxy does;
 *  3. every reply decoded (all four layers and the mcorpc body, as choria.client does), and the rows
 *     upserted in 500-row batches (INSERT ... ON DUPLICATE KEY UPDATE, one connection, serialised)
 *     while replies still stream in.
 * The clock runs from the first pending INSERT to the last commit. The rows go to a scratch table
 * of limits.md's shape (`floor_job_hosts`) in the database the caller names (the scale benchmark
 * passes the product's scratch test database, so both write to the same MariaDB server and schema).
 */
import { connect, type NatsConnection } from 'nats';
import { createConnection, type Connection } from 'mysql2/promise';
import {
  createRequestSigner,
  decodeMcorpcReply,
  decodeReply,
  encodeMcorpcRequest,
  encodeRequest,
  newRequestId,
  nodeSubject,
  replySubject,
  toWireFilter,
  unixSeconds,
} from '@proxy/broker/choria/protocol';

export const FLOOR_TABLE = 'floor_job_hosts';
const PENDING_CHUNK = 1000;
export const RESULT_BATCH = 500;
/** choria.client's DEFAULT_PUBLISH_BATCH. */
const PUBLISH_BATCH = 250;
/** The proxies' default callerid (proxy-plugin config identity.callerid). */
const CALLERID = 'choria=rex.mcollective';

export interface FloorOptions {
  natsUrl: string;
  collective: string;
  /** The identities each "proxy" (NATS connection) addresses; one connection per entry. */
  shares: string[][];
  /** mysql://... of the database the scratch table lives in. */
  mysqlUrl: string;
  /** How long a run may wait for its replies. */
  timeoutMs?: number;
}

/** Milliseconds from the start of the run (the first pending INSERT). */
export interface FloorRun {
  totalMs: number;
  pendingStoredMs: number;
  firstPublishMs: number;
  lastPublishMs: number;
  lastReplyMs: number;
  lastCommitMs: number;
  replies: number;
  batches: number;
  stored: number;
}

export interface Floor {
  run(jobId: number): Promise<FloorRun>;
  close(): Promise<void>;
}

/** [job_id, host_id, state, statuscode, statusmsg, data, started_at, finished_at] */
export type FloorResultRow = [number, number, string, number, string, string, Date, Date];

/** The scratch table, limits.md §2's shape. */
export async function createFloorTable(db: Connection): Promise<void> {
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${FLOOR_TABLE} (job_id INT NOT NULL, host_id INT NOT NULL, state VARCHAR(16) NOT NULL, statuscode INT NULL, statusmsg VARCHAR(255) NULL, data JSON NULL, started_at DATETIME(3) NULL, finished_at DATETIME(3) NULL, PRIMARY KEY (job_id, host_id), KEY idx_floor_job_state (job_id, state)) ENGINE=InnoDB`,
  );
}

/** A job's pending rows: multi-row INSERTs of PENDING_CHUNK rows in one transaction. */
export async function insertFloorPending(db: Connection, jobId: number, hostIds: number[]): Promise<void> {
  await db.query('START TRANSACTION');
  for (let i = 0; i < hostIds.length; i += PENDING_CHUNK) {
    await db.query(`INSERT INTO ${FLOOR_TABLE} (job_id, host_id, state) VALUES ?`, [hostIds.slice(i, i + PENDING_CHUNK).map((id) => [jobId, id, 'pending'])]);
  }
  await db.query('COMMIT');
}

/** One batch of results (RESULT_BATCH rows in a run): one INSERT ... ON DUPLICATE KEY UPDATE, autocommitted. */
export async function upsertFloorResults(db: Connection, rows: FloorResultRow[]): Promise<void> {
  await db.query(
    `INSERT INTO ${FLOOR_TABLE} (job_id, host_id, state, statuscode, statusmsg, data, started_at, finished_at) VALUES ? ON DUPLICATE KEY UPDATE state = VALUES(state), statuscode = VALUES(statuscode), statusmsg = VALUES(statusmsg), data = VALUES(data), started_at = VALUES(started_at), finished_at = VALUES(finished_at)`,
    [rows],
  );
}

/** Connects the NATS connections and MariaDB, creates the scratch table; the clock is not running yet. */
export async function openFloor(options: FloorOptions): Promise<Floor> {
  const db: Connection = await createConnection({ uri: options.mysqlUrl, timezone: 'Z', supportBigNumbers: true });
  await createFloorTable(db);
  const connections: NatsConnection[] = [];
  for (let p = 0; p < options.shares.length; p++) connections.push(await connect({ servers: options.natsUrl, name: `floor-proxy-${p + 1}` }));
  // Host ids are known before a job starts, as the product's targeting finds them in its inventory.
  const hostIds = new Map<string, number>();
  options.shares.flat().forEach((identity, i) => hostIds.set(identity, i + 1));
  const signer = createRequestSigner({ mode: 'insecure' });
  const total = hostIds.size;

  async function run(jobId: number): Promise<FloorRun> {
    const started = performance.now();
    const at = (): number => performance.now() - started;
    await insertFloorPending(db, jobId, [...hostIds.values()]);
    const pendingStoredMs = at();

    let buffer: FloorResultRow[] = [];
    let chain: Promise<unknown> = Promise.resolve();
    let batches = 0;
    let replies = 0;
    let lastReplyMs = 0;
    let lastCommitMs = 0;
    const flush = (): void => {
      if (buffer.length === 0) return;
      const rows = buffer;
      buffer = [];
      batches++;
      chain = chain.then(async () => {
        await upsertFloorResults(db, rows);
        lastCommitMs = at();
      });
    };
    let resolveAll: () => void = () => {};
    const allReplies = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    let firstPublishMs = -1;
    const sentAt = new Date();
    const subscriptions = connections.map((nc, p) => {
      const requestId = newRequestId();
      const replyTo = replySubject(options.collective, CALLERID, requestId);
      const pending = new Set(options.shares[p]);
      const sub = nc.subscribe(replyTo, {
        callback: (err, msg) => {
          if (err) return;
          const decoded = decodeReply(msg.data);
          if (decoded.requestid !== requestId || !pending.delete(decoded.senderid)) return;
          const body = decodeMcorpcReply(decoded.message);
          buffer.push([jobId, hostIds.get(decoded.senderid)!, body.statuscode === 0 ? 'succeeded' : 'failed', body.statuscode, body.statusmsg, body.dataJson ?? '{}', sentAt, new Date()]);
          replies++;
          if (buffer.length >= RESULT_BATCH) flush();
          if (replies === total) {
            lastReplyMs = at();
            resolveAll();
          }
        },
      });
      const { payload } = encodeRequest(
        {
          message: encodeMcorpcRequest({ agent: 'rpcutil', action: 'ping', data: {} }),
          requestid: requestId,
          senderid: `floor-proxy-${p + 1}`,
          callerid: CALLERID,
          collective: options.collective,
          agent: 'rpcutil',
          ttl: 60,
          time: unixSeconds(),
          filter: toWireFilter({ fact: [], cf_class: [], identity: [], agent: ['rpcutil'], compound: '' }),
          replyTo,
        },
        signer,
      );
      return { nc, sub, payload, share: options.shares[p] };
    });
    let lastPublishMs = 0;
    // The proxies publish side by side; here they interleave at their yields.
    await Promise.all(
      subscriptions.map(async ({ nc, payload, share }) => {
        let sent = 0;
        if (firstPublishMs < 0) firstPublishMs = at();
        for (const identity of share) {
          nc.publish(nodeSubject(options.collective, identity), payload);
          if (++sent % PUBLISH_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        lastPublishMs = Math.max(lastPublishMs, at());
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.timeoutMs ?? 120_000);
    });
    await Promise.race([allReplies, timedOut]);
    clearTimeout(timer);
    subscriptions.forEach(({ sub }) => sub.unsubscribe());
    flush();
    await chain;
    const totalMs = at();
    const [rows] = await db.query(`SELECT COUNT(*) AS n FROM ${FLOOR_TABLE} WHERE job_id = ? AND state = 'succeeded'`, [jobId]);
    const stored = Number((rows as Array<{ n: number }>)[0].n);
    if (replies !== total || stored !== total) throw new Error(`floor job ${jobId}: ${replies} replies, ${stored} of ${total} rows stored`);
    return { totalMs: Math.round(totalMs), pendingStoredMs: Math.round(pendingStoredMs), firstPublishMs: Math.round(firstPublishMs), lastPublishMs: Math.round(lastPublishMs), lastReplyMs: Math.round(lastReplyMs), lastCommitMs: Math.round(lastCommitMs), replies, batches, stored };
  }

  return {
    run,
    async close() {
      for (const nc of connections) await nc.drain();
      await db.end();
    },
  };
}

if (require.main === module) {
  // Standalone: node dist/test/bench/floor.bench.js [hosts] [proxies] [runs]; fleet in worker threads,
  // one subscription per node as in the scale series.
  void (async () => {
    const { startFleetInWorker } = await import('@test/fleet/fleet-worker');
    const { openTestDataSource } = await import('@test/support/databases');
    const hosts = Number(process.argv[2] ?? 10_000);
    const proxies = Number(process.argv[3] ?? 2);
    const runs = Number(process.argv[4] ?? 3);
    const natsUrl = 'nats://127.0.0.1:4222';
    const collective = `rexfloor${newRequestId().slice(0, 8)}`;
    const per = Math.ceil(hosts / proxies);
    const fleets = [];
    for (let p = 1; p <= proxies; p++) {
      fleets.push(await startFleetInWorker({ natsUrl, count: Math.min(per, hosts - (p - 1) * per), collective, identityPrefix: `floor-p${p}-`, subscription: 'each' }));
    }
    const db = await openTestDataSource('mysql', { migrate: false });
    const floor = await openFloor({ natsUrl, collective, shares: fleets.map((f) => f.identities), mysqlUrl: db.database.url! });
    try {
      const results: FloorRun[] = [];
      for (let r = 0; r <= runs; r++) {
        const result = await floor.run(r + 1);
        if (r > 0) results.push(result);
      }
      process.stdout.write(`${JSON.stringify({ hosts, proxies, runs: results })}\n`);
    } finally {
      await floor.close();
      for (const f of fleets) await f.stop();
      await db.close();
    }
  })().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  });
}

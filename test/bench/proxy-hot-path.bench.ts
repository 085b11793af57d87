/**
 * A proxy's CPU per job on its hot path, in one process and without sockets (issue 20): the replies of
 * an N-host rpcutil ping are decoded as the Choria client decodes them (transport, secure reply and its
 * hash, reply, mcorpc body), go through the real execution registry (with /metrics), and are streamed
 * by streamEvents with the gRPC server's serializer. The scale bench's per-process CPU is too noisy on
 * a shared machine to see a 10% change; this one reads process.cpuUsage() around each job and reports
 * the min and median of `runs`. NATS and HTTP/2 themselves are not included. Standalone:
 * `node dist/test/bench/proxy-hot-path.bench.js [hosts]` on a build, e.g. one per branch to compare.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { ServerWritableStream } from '@grpc/grpc-js';

import type { ExecuteEvent } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import { loadProxyProto } from '@protos/load';
import { createDdlRegistry, loadDdlDirectory } from '@proxy/actions/ddl-registry';
import { createExecutionRegistry } from '@proxy/actions/executions';
import type { BrokerClient } from '@proxy/broker/broker-client';
import { decodeMcorpcReply, decodeReply, encodeReply, newRequestId } from '@proxy/broker/choria/protocol';
import { streamEvents } from '@proxy/grpc/event-stream';
import { withResultBatchEncoder } from '@proxy/grpc/result-batch-encoder';
import { silentLogger } from '@proxy/logger';
import { createProxyMetrics } from '@proxy/metrics/metrics';

export interface ProxyHotPathResult {
  hosts: number;
  runs: number;
  minCpuMs: number;
  medianCpuMs: number;
  /** gRPC messages the last job's stream wrote, and their bytes. */
  messages: number;
  bytes: number;
}

/** Replies handed over per turn of the event loop, as a socket read brings a few at a time. */
const REPLIES_PER_TURN = 3;

export async function runProxyHotPathBench(options: { hosts?: number; runs?: number; warmup?: number } = {}): Promise<ProxyHotPathResult> {
  const hosts = options.hosts ?? 5000;
  const runs = options.runs ?? 15;
  const warmup = options.warmup ?? 5;
  const requestId = newRequestId();
  const identities = Array.from({ length: hosts }, (_, i) => `hot-path-${String(i).padStart(6, '0')}`);
  const payloads = identities.map((senderid, i) =>
    encodeReply({ requestid: requestId, senderid, agent: 'rpcutil', time: 1_733_500_000, message: JSON.stringify({ statuscode: 0, statusmsg: 'OK', data: { pong: 1_733_500_000 + i } }) }),
  );
  // What choria.client.ts does with each reply of a directed call, minus NATS.
  const broker: BrokerClient = {
    kind: 'choria',
    displayUrl: 'nats://hot-path',
    isConnected: () => true,
    connect: async () => undefined,
    close: async () => undefined,
    discover: async () => [],
    inventory: async () => [],
    async callDirected({ identities: targets, onReply }) {
      const pending = new Set(targets);
      for (let i = 0; i < payloads.length; i++) {
        const decoded = decodeReply(payloads[i]);
        if (decoded.requestid !== requestId || !pending.has(decoded.senderid)) continue;
        const body = decodeMcorpcReply(decoded.message);
        pending.delete(decoded.senderid);
        onReply({ identity: decoded.senderid, statuscode: body.statuscode, statusmsg: body.statusmsg, data: body.data, dataJson: body.dataJson, receivedAtMs: Date.now() });
        if (i % REPLIES_PER_TURN === REPLIES_PER_TURN - 1) await new Promise((resolve) => setImmediate(resolve));
      }
      return { requestId, silent: [...pending], publishedAtMs: Date.now() };
    },
  };
  const registry = createExecutionRegistry({
    broker,
    ddls: createDdlRegistry(loadDdlDirectory(path.join(process.cwd(), 'proxy-plugin', 'ddl')).agents),
    audit: { record: () => undefined, reopen: async () => undefined, close: async () => undefined },
    logger: silentLogger(),
    callerid: 'choria=rex.mcollective',
    collectives: ['mcollective'],
    mainCollective: 'mcollective',
    defaultDiscoveryTimeoutMs: 1000,
    retentionMs: 1000,
    maxRetained: 2,
    metrics: createProxyMetrics({ transport: 'choria' }),
  });
  const serialize = withResultBatchEncoder(loadProxyProto().rex.proxy.v1.ProxyService.service.Execute.responseSerialize);

  const job = async (n: number): Promise<{ messages: number; bytes: number }> => {
    const execution = registry.execute({ executionId: `hot-path-${n}`, agent: 'rpcutil', action: 'ping', arguments: {}, identities, timeoutSeconds: 0, batchSize: 0, batchSleepMs: 0, caller: 'admin', collective: '', discoveryTimeoutMs: 0 });
    const sink = { messages: 0, bytes: 0 };
    const call = Object.assign(new EventEmitter(), {
      write(message: ExecuteEvent) {
        sink.messages++;
        sink.bytes += serialize(message).length;
        return true;
      },
      end: () => undefined,
    });
    await streamEvents(call as unknown as ServerWritableStream<unknown, ExecuteEvent>, execution, 0, true, true);
    return sink;
  };

  for (let i = 0; i < warmup; i++) await job(i);
  const cpuMs: number[] = [];
  let last = { messages: 0, bytes: 0 };
  for (let i = 0; i < runs; i++) {
    const before = process.cpuUsage();
    last = await job(warmup + i);
    const used = process.cpuUsage(before);
    cpuMs.push((used.user + used.system) / 1000);
  }
  cpuMs.sort((a, b) => a - b);
  const round = (ms: number): number => Math.round(ms * 10) / 10;
  return { hosts, runs, minCpuMs: round(cpuMs[0]), medianCpuMs: round(cpuMs[Math.floor(runs / 2)]), ...last };
}

if (require.main === module) {
  runProxyHotPathBench({ hosts: Number(process.argv[2] ?? 5000) })
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = 1;
    });
}

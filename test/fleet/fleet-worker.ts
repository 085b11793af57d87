/**
 * Runs a Choria fleet in a worker thread so that a benchmark's client and its virtual nodes use
 * separate cores, as they would with real nodes. Only usable from compiled JavaScript (dist).
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';

import { startChoriaFleet, type ChoriaFleetOptions, type ChoriaFleetStats } from './choria-fleet';

export interface WorkerFleet {
  identities: string[];
  subscribeMs: number;
  /** Stops the fleet and the thread; resolves with the fleet's final counters. */
  stop(): Promise<ChoriaFleetStats>;
}

type FromWorker =
  | { type: 'ready'; identities: string[]; subscribeMs: number }
  | { type: 'stopped'; stats: ChoriaFleetStats }
  | { type: 'error'; message: string };

export function canRunFleetInWorker(): boolean {
  return __filename.endsWith('.js');
}

export function startFleetInWorker(options: Omit<ChoriaFleetOptions, 'nodes'>): Promise<WorkerFleet> {
  const worker = new Worker(__filename, { workerData: options });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (msg: FromWorker) => {
      if (msg.type !== 'ready') return reject(new Error(msg.type === 'error' ? msg.message : 'fleet worker did not start'));
      resolve({
        identities: msg.identities,
        subscribeMs: msg.subscribeMs,
        stop: () =>
          new Promise<ChoriaFleetStats>((done, fail) => {
            worker.once('message', (reply: FromWorker) => {
              void worker.terminate();
              if (reply.type === 'stopped') done(reply.stats);
              else fail(new Error(reply.type === 'error' ? reply.message : 'fleet worker did not stop'));
            });
            worker.postMessage('stop');
          }),
      });
    });
  });
}

if (parentPort && workerData) {
  const port = parentPort;
  startChoriaFleet(workerData as ChoriaFleetOptions)
    .then((fleet) => {
      port.on('message', () => {
        void fleet.stop().then(() => port.postMessage({ type: 'stopped', stats: fleet.stats } satisfies FromWorker));
      });
      port.postMessage({ type: 'ready', identities: fleet.identities, subscribeMs: fleet.subscribeMs } satisfies FromWorker);
    })
    .catch((err: unknown) => port.postMessage({ type: 'error', message: (err as Error).message } satisfies FromWorker));
}

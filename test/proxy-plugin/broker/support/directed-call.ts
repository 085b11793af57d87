/**
 * One directed Choria request from its own process, for the reply-order test. Arguments: NATS URL,
 * collective, timeout in ms, identities. Prints `{"msg":"published"}` once the request has left and
 * `{"msg":"result",...}` at the end. A line `stall <ms>` on stdin blocks the process that long inside
 * that I/O callback, as a long synchronous piece of work (a big message, a GC pause) would.
 */
import readline from 'node:readline';

import { createChoriaClient } from '@proxy/broker/choria.client';

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [word, ms] = line.split(' ');
  if (word === 'stall') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(ms));
});

async function main(): Promise<void> {
  const [natsUrl, collective, timeoutMs, ...identities] = process.argv.slice(2);
  const client = createChoriaClient({ natsUrl, collectives: [collective], mainCollective: collective, callerid: 'choria=rex.mcollective', senderid: 'order-proxy', security: { mode: 'insecure' } });
  await client.connect();
  const replied: string[] = [];
  const call = client.callDirected({
    request: { agent: 'rpcutil', action: 'ping', data: {}, collective, callerid: 'choria=rex.mcollective', ttlSeconds: 60 },
    identities,
    onReply: (reply) => replied.push(reply.identity),
    signal: new AbortController().signal,
    timeoutMs: Number(timeoutMs),
  });
  // nats.js writes what was published on a later tick: give it 50 ms (the fleet answers after 200).
  setTimeout(() => process.stdout.write(`${JSON.stringify({ msg: 'published' })}\n`), 50);
  const result = await call;
  process.stdout.write(`${JSON.stringify({ msg: 'result', silent: result.silent, replied })}\n`);
  await client.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});

/**
 * A reply that reached the proxy before its batch timer must never be counted missing (issue 27).
 * A proxy whose event loop stalls (a long synchronous piece of work in an I/O callback) resumes with
 * its batch timer expired and the replies waiting in its socket; Node runs expired timers before it
 * polls the sockets again, so a timer that ended the batch at once dropped them. Here a directed call
 * runs in its own process (support/directed-call.ts), stalled right after publishing, or stopped
 * with SIGSTOP, while a Choria fleet in another process answers on the real NATS server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

import { newRequestId } from '@proxy/broker/choria/protocol';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../../..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.cjs');
const NATS_URL = process.env.PROXY_PLUGIN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

function lines(child: ChildProcess): (msg: string) => Promise<Record<string, unknown>> {
  const seen: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      seen.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return;
    }
    for (const wake of waiters.splice(0)) wake();
  });
  return async (msg) => {
    for (;;) {
      const found = seen.find((l) => l.msg === msg);
      if (found) return found;
      await new Promise<void>((resolve, reject) => {
        waiters.push(resolve);
        child.once('exit', (code) => reject(new Error(`${path.basename(String(child.spawnargs[3]))} exited with ${code} before "${msg}"`)));
      });
    }
  };
}

describe('a Choria batch whose timer expired while the proxy process was stopped', () => {
  const collective = `rexorder${newRequestId().slice(0, 8)}`;
  let fleet: ChildProcess;

  beforeAll(async () => {
    fleet = spawn(process.execPath, ['-r', REGISTER, path.join(ROOT, 'test', 'fleet', 'run-fleet.ts'),
      '--nats-url', NATS_URL, '--count', '5', '--identity-prefix', 'order-', '--collective', collective, '--latency-ms', '200'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    await lines(fleet)('fleet ready');
  });

  afterAll(() => {
    fleet?.kill('SIGTERM');
  });

  it.each([
    ['its event loop stalled in an I/O callback', async (caller: ChildProcess) => {
      caller.stdin!.write('stall 2000\n');
    }],
    ['it was stopped with SIGSTOP', async (caller: ChildProcess) => {
      caller.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 2000));
      caller.kill('SIGCONT');
    }],
  ])('keeps the replies that reached the process before the timer when %s', async (_how, pause) => {
    const identities = ['order-00001', 'order-00002', 'order-00003', 'order-00004', 'order-00005'];
    // The fleet answers after 200 ms; the batch gives up after 600 ms; the process pauses from its
    // publish until 2 s later, so every reply waits in its socket and the timer has expired.
    const caller = spawn(process.execPath, ['-r', REGISTER, path.join(__dirname, 'support', 'directed-call.ts'), NATS_URL, collective, '600', ...identities], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const next = lines(caller);
    try {
      await next('published');
      await pause(caller);
      const result = await next('result');
      expect(result.silent).toEqual([]);
      expect((result.replied as string[]).sort()).toEqual(identities);
    } finally {
      caller.kill('SIGKILL');
    }
  });
});

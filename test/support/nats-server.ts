/**
 * A private nats-server (/usr/sbin/nats-server) on 127.0.0.1 and an ephemeral port, for tests that
 * need a broker configured differently from the shared one (TLS with client certificates).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface TestNatsServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

const NATS_SERVER = '/usr/sbin/nats-server';

export function startNatsServer(args: string[], options: { scheme?: 'nats' | 'tls'; timeoutMs?: number } = {}): Promise<TestNatsServer> {
  // -p -1: nats-server picks a free port and logs it, so parallel test files never collide.
  const child: ChildProcess = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', '-1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`nats-server did not start within ${options.timeoutMs ?? 10_000} ms:\n${log}`));
    }, options.timeoutMs ?? 10_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m && /Server is ready/.test(log)) {
        clearTimeout(timer);
        const port = Number(m[1]);
        resolve({ port, url: `${options.scheme ?? 'nats'}://127.0.0.1:${port}`, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}:\n${log}`));
    });
  });
}

/**
 * The product's own processes for the scale benchmark, apart from the benchmark and its fleet: each
 * proxy-plugin is `node dist/proxy-plugin/src/main.js` configured by its environment (as the
 * all-in-one start forks it: an IPC channel, "listening" once its gRPC port is bound), and the
 * ui-extension is `node dist/ui-extension/src/server/main.js` (startUiProcess). Neither gets
 * Node flags (but --cpu-prof when BENCH_CPU_PROF_DIR is set): both run with Node's default heap. Their memory is read from /proc.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { testProxyEnv } from '@test/support/proxy-secret';
import { DDL_DIRECTORY } from '@test/ui-extension/jobs/support/grpc-proxies';

const ROOT = [path.resolve(__dirname, '../../..'), path.resolve(__dirname, '../..')].find((dir) => fs.existsSync(path.join(dir, 'package.json')))!;

export interface ProxyProcess {
  name: string;
  url: string;
  child: ChildProcess;
  stderr: string[];
  stop(): Promise<void>;
}

/** Starts one proxy-plugin process on the Choria transport with the settings of startTestProxy (insecure signing, plain-text gRPC on loopback). */
export function startProxyProcess(options: { name: string; natsUrl: string; collective: string }): Promise<ProxyProcess> {
  if (!__filename.endsWith('.js')) throw new Error('proxy processes need the compiled build (npm run bench)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-scale-proxy-'));
  // The build this file is part of (<build>/test/bench): a scratch build of an A/B runs its own processes, not dist's.
  const child = fork(path.join(path.resolve(__dirname, '../..'), 'proxy-plugin', 'src', 'main.js'), [], {
    cwd: ROOT,
    // BENCH_CPU_PROF_DIR: a V8 CPU profile of each proxy process, written there when it exits.
    execArgv: process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: {
      PATH: process.env.PATH ?? '',
      ...testProxyEnv({ name: options.name, natsUrl: options.natsUrl, collective: options.collective, port: 0, ddlDirectory: DDL_DIRECTORY, auditFile: path.join(dir, 'audit.log'), logLevel: 'warn' }),
    },
  });
  const stderr: string[] = [];
  readline.createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy ${options.name} did not start within 60 s: ${stderr.join('\n')}`)), 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`proxy ${options.name} exited (${signal ?? code}) before listening: ${stderr.join('\n')}`));
    });
    child.on('message', (msg: { type: string; port?: number; message?: string }) => {
      clearTimeout(timer);
      if (msg.type !== 'listening') return reject(new Error(`proxy ${options.name} failed: ${msg.message}`));
      resolve({
        name: options.name,
        url: `127.0.0.1:${msg.port}`,
        child,
        stderr,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
          fs.rmSync(dir, { recursive: true, force: true });
        },
      });
    });
  });
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat; undefined once it is gone. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), 1-based from state: utime is 12th, stime 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** Pids of local server processes by command name (/proc/<pid>/comm), e.g. `mariadbd`, `nats-server`. */
export function pidsByCommand(command: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === command) pids.push(Number(entry));
    } catch {
      // gone between readdir and read
    }
  }
  return pids;
}

/**
 * CPU time used so far by each labelled process plus this benchmark process (all its threads: the
 * simulated fleet, the floor, the client) and the local NATS and MariaDB servers, in milliseconds.
 * Differences of two snapshots say where the CPU of one job went on a machine whose cores all take part.
 */
export function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  const own = process.cpuUsage();
  const out: Record<string, number> = { bench: (own.user + own.system) / 1000 };
  for (const [label, pid] of Object.entries(pids)) out[label] = cpuMs(pid) ?? NaN;
  for (const [label, command] of [['nats', 'nats-server'], ['mariadb', 'mariadbd']] as const) {
    const found = pidsByCommand(command);
    out[label] = found.length === 0 ? NaN : found.reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
  }
  return out;
}

/** after - before per label, rounded to whole milliseconds. */
export function cpuSpent(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, Math.round(after[k] - (before[k] ?? NaN))]));
}

export interface MemoryPeak {
  pid: number;
  /** VmHWM since the last reset: the kernel's exact peak resident set. */
  hwmMb: number | null;
  /** Highest VmRSS seen by sampling every `everyMs`. */
  sampledPeakMb: number | null;
  /** Whether the kernel's peak could be reset (/proc/<pid>/clear_refs "5"); if not, hwmMb is the process's lifetime peak. */
  reset: boolean;
}

const mb = (kb: number | undefined): number | null => (kb === undefined ? null : Math.round(kb / 102.4) / 10);

/** Samples VmRSS of each process every `everyMs` and reads the kernel's VmHWM; reset() starts a new window. */
export function watchMemory(pids: Record<string, number>, everyMs = 50): { reset(): void; peaks(): Record<string, MemoryPeak>; stop(): void } {
  const sampled = new Map<string, number>();
  const resetOk = new Map<string, boolean>();
  const sample = (): void => {
    for (const [label, pid] of Object.entries(pids)) {
      const kb = statusKb(pid, 'VmRSS');
      if (kb !== undefined && kb > (sampled.get(label) ?? 0)) sampled.set(label, kb);
    }
  };
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    reset() {
      sampled.clear();
      for (const [label, pid] of Object.entries(pids)) {
        try {
          fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
          resetOk.set(label, true);
        } catch {
          resetOk.set(label, false);
        }
      }
      sample();
    },
    peaks() {
      sample();
      return Object.fromEntries(Object.entries(pids).map(([label, pid]) => [label, { pid, hwmMb: mb(statusKb(pid, 'VmHWM')), sampledPeakMb: mb(sampled.get(label)), reset: resetOk.get(label) ?? false }]));
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/**
 * Runs the `rex` CLI as a real child process: `node -r ts-register main.ts` from the sources, or
 * dist/.../main.js when the tests are compiled. The environment is only what the test passes (and
 * PATH), with a scratch HOME so no developer's ~/.config/rex leaks in.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = [path.resolve(__dirname, '../../../..'), path.resolve(__dirname, '../../../../..')].find((dir) => fs.existsSync(path.join(dir, 'package.json')))!;
const COMPILED = __filename.endsWith('.js');

/** The node arguments that start the CLI. */
export function rexCommand(): string[] {
  return COMPILED
    ? [path.join(ROOT, 'dist', 'ui-extension', 'src', 'cli', 'main.js')]
    : ['-r', path.join(ROOT, 'test', 'support', 'ts-register.cjs'), path.join(ROOT, 'ui-extension', 'src', 'cli', 'main.ts')];
}

/** A folder holding an executable `rex` that runs this checkout's CLI (for the completion scripts). */
export function rexBinDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-bin-'));
  const quoted = [process.execPath, ...rexCommand()].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  fs.writeFileSync(path.join(dir, 'rex'), `#!/bin/sh\nexec ${quoted} "$@"\n`, { mode: 0o755 });
  return dir;
}

export interface RexResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runRex(args: string[], env: Record<string, string>, options: { timeoutMs?: number; input?: string } = {}): Promise<RexResult> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'rex-home-'));
  const child = spawn(process.execPath, [...rexCommand(), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: home, ...env }, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (options.input !== undefined) child.stdin!.end(options.input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      fs.rmSync(home, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

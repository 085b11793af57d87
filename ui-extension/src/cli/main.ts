#!/usr/bin/env node
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { runCli } from './program';
import { readVersion } from './version';

/** Reads a line from the terminal without echoing it. */
function askSecret(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const muted = new Writable({ write: (_chunk, _enc, callback) => callback() });
  const rl = readline.createInterface({ input: process.stdin, output: muted, terminal: process.stdin.isTTY === true });
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

// `rex job show 1 | head`: the reader went away, which is no error of ours; stop quietly as other CLIs do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

void runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env, askSecret }, readVersion()).then((code) => {
  process.exitCode = code;
});

import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Builds the web UI once for the browser suites, as `npm run build` does. */
export default function globalSetup(): void {
  const root = path.resolve(__dirname, '../../..');
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
}

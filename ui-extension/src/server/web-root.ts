import fs from 'node:fs';
import path from 'node:path';

/**
 * The built web UI: `npm run build` writes it to dist/web (vite.config.ts), beside the compiled
 * server in dist/ui-extension/src/server. Undefined when it was not built, and then only the API is
 * served (the server logs that).
 */
export function builtWebRoot(): string | undefined {
  const candidate = path.resolve(__dirname, '..', '..', '..', 'web');
  return fs.existsSync(path.join(candidate, 'index.html')) ? candidate : undefined;
}

import fs from 'node:fs';
import path from 'node:path';

/** The package version, read from the one package.json (from sources or from dist/). */
export function packageVersion(): string {
  for (const dir of [path.resolve(__dirname, '..', '..', '..'), path.resolve(__dirname, '..', '..', '..', '..')]) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

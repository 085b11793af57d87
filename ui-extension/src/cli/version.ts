import fs from 'node:fs';
import path from 'node:path';

/** The package version from the one package.json (three levels up from sources, four from dist/). */
export function readVersion(): string {
  for (const up of [3, 4]) {
    const file = path.resolve(__dirname, ...new Array<string>(up).fill('..'), 'package.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

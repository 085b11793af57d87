import fs from 'node:fs';
import path from 'node:path';
import { routeCatalog } from '@server/http/routes/catalog';
import { searchFields } from '@server/search/compiler';

const API_MD = fs.readFileSync(path.resolve(__dirname, '../../../docs/API.md'), 'utf8');
const ALL = ['=', '!=', '~', '!~', '^', '!^', '<', '>', '<=', '>='];

/** The `### ` sections of docs/API.md, each with its text. */
const sections = API_MD.split(/^(?=### )/m).filter((s) => s.startsWith('### '));

/** Table rows of a section: the backticked names of the first cell and the operators of the second. */
function rows(section: string): Array<{ names: string[]; operators: string[] }> {
  return section.split('\n').filter((line) => line.startsWith('| `')).map((line) => {
    const [names, operators] = line.split(/(?<!\\)\|/).slice(1, 3);
    return { names: [...names.matchAll(/`([^`]+)`/g)].map((m) => m[1]), operators: operators.trim() === 'all' ? ALL : operators.trim().split(/\s+/) };
  });
}

const searchable = routeCatalog().filter((e) => e.spec.search).map((e) => ({ route: `GET /api/v2${e.spec.path}`, definition: e.spec.search! }));

describe('docs/API.md', () => {
  it.each(searchable)('documents every search field of $route with its operators and other names', ({ route, definition }) => {
    const section = sections.find((s) => s.includes(`\`${route}\``));
    expect(section).toBeDefined();
    const documented = rows(section!);
    const problems: string[] = [];
    for (const field of searchFields(definition)) {
      const row = documented.find((r) => r.names.includes(field.key));
      if (!row) {
        problems.push(`${field.key}: no row`);
        continue;
      }
      if ([...row.operators].sort().join(' ') !== [...field.operators].sort().join(' ')) problems.push(`${field.key}: operators ${row.operators.join(' ')}, the API takes ${field.operators.join(' ')}`);
      for (const alias of field.aliases) if (!row.names.includes(alias)) problems.push(`${field.key}: other name ${alias} not in its row`);
      for (const value of field.values ?? []) if (!section!.includes(value)) problems.push(`${field.key}: value ${value} not named`);
    }
    const known = new Set(searchFields(definition).flatMap((f) => [f.key, ...f.aliases]));
    for (const row of documented) for (const name of row.names.filter((n) => /^[a-z_.<>]+$/.test(n))) if (!known.has(name)) problems.push(`${name}: documented, but not a field of ${route}`);
    expect(problems).toEqual([]);
  });
});

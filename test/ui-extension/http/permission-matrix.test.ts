/**
 * The authorization matrix (permission-matrix.ts) covers every route of the catalog, and its table
 * in docs/SECURITY.md is the one the integration test runs. `UPDATE_DOCS=1` rewrites the table in
 * the docs instead of comparing it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { routeCatalog } from '@server/http/routes/catalog';
import { MATRIX, matrixProblems, renderMatrix, ROUTES_OUTSIDE_CATALOG, type MatrixCase } from './permission-matrix';

const SECURITY_MD = path.resolve(__dirname, '../../../docs/SECURITY.md');
const START = '<!-- authorization-matrix:start -->';
const END = '<!-- authorization-matrix:end -->';

const catalogRoutes = () => [...routeCatalog().map((e) => `${e.spec.method.toUpperCase()} /api/v2${e.spec.path}`), ...ROUTES_OUTSIDE_CATALOG];

describe(matrixProblems.name, () => {
  it('finds nothing wrong between the route catalog and the matrix', () => {
    expect(matrixProblems(catalogRoutes())).toEqual([]);
  });

  it('names a route added to the catalog without a row', () => {
    expect(matrixProblems([...catalogRoutes(), 'POST /api/v2/hosts/:id/reboot'])).toEqual(['POST /api/v2/hosts/:id/reboot has no row in the authorization matrix (test/ui-extension/http/permission-matrix.ts)']);
  });

  it('names a row whose route is gone, and a row without cases', () => {
    const matrix: Record<string, MatrixCase[]> = { ...MATRIX, 'GET /api/v2/gone': MATRIX['GET /api/v2/hosts'], 'GET /api/v2/hosts': [] };
    expect(matrixProblems(catalogRoutes(), matrix)).toEqual(['the matrix row GET /api/v2/gone names no route of the app', 'the matrix row GET /api/v2/hosts has no case']);
  });
});

describe(renderMatrix.name, () => {
  it('is the table docs/SECURITY.md shows', () => {
    const text = fs.readFileSync(SECURITY_MD, 'utf8');
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    expect({ start: start >= 0, end: end > start }).toEqual({ start: true, end: true });
    const table = `${START}\n${renderMatrix()}\n${END}`;
    if (process.env.UPDATE_DOCS === '1') fs.writeFileSync(SECURITY_MD, text.slice(0, start) + table + text.slice(end + END.length));
    else expect(text.slice(start, end + END.length)).toBe(table);
  });

  it('gives every case one status per persona and says what it acts on', () => {
    for (const [route, cases] of Object.entries(MATRIX)) {
      for (const c of cases) expect({ route, on: c.on.length > 0, statuses: c.expect.length }).toEqual({ route, on: true, statuses: 5 });
    }
  });
});

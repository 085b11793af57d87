import { buildOpenApiDocument, toOpenApiPath } from '@server/http/openapi';
import { routeCatalog } from '@server/http/routes/catalog';

type Operation = { operationId: string; parameters: Array<{ name: string; in: string; required: boolean }>; requestBody?: { required: boolean } };

describe(buildOpenApiDocument.name, () => {
  const catalog = routeCatalog();
  const doc = buildOpenApiDocument(catalog, { version: '1.2.3' }) as { openapi: string; info: { version: string }; paths: Record<string, Record<string, Operation>> };

  it('has one operation per declared route when every route is declared once', () => {
    const operations = Object.values(doc.paths).flatMap((ops) => Object.values(ops));
    expect(operations).toHaveLength(catalog.length);
    expect(new Set(operations.map((o) => o.operationId)).size).toBe(catalog.length);
    expect(doc).toMatchObject({ openapi: '3.0.3', info: { version: '1.2.3' } });
  });

  it('declares a required schema for every path parameter when a route has parameters', () => {
    for (const { spec } of catalog) {
      const names = [...spec.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]).sort();
      expect({ route: `${spec.method} ${spec.path}`, params: Object.keys(spec.params ?? {}).sort() }).toEqual({ route: `${spec.method} ${spec.path}`, params: names });
      const op = doc.paths[`/api/v2${toOpenApiPath(spec.path)}`][spec.method];
      expect(op.parameters.filter((p) => p.in === 'path').map((p) => [p.name, p.required]).sort()).toEqual(names.map((n) => [n, true]));
    }
  });

  it('marks a query parameter optional when the schema gives it a default', () => {
    const list = doc.paths['/api/v2/hosts'].get;
    expect(list.parameters.filter((p) => p.in === 'query').map((p) => [p.name, p.required])).toEqual([['search', false], ['order', false], ['page', false], ['per_page', false]]);
  });

  it('marks the body optional only when the route accepts none', () => {
    expect(doc.paths['/api/v2/remote_execution/jobs'].post.requestBody?.required).toBe(true);
    expect(doc.paths['/api/v2/remote_execution/jobs/{id}/replay'].post.requestBody?.required).toBe(false);
  });
});

describe(toOpenApiPath.name, () => {
  it('writes express parameters in braces when the path has several', () => {
    expect(toOpenApiPath('/users/:user_id/personal_access_tokens/:id')).toBe('/users/{user_id}/personal_access_tokens/{id}');
  });
});

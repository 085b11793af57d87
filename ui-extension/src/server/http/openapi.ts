import { zodToJsonSchema } from 'zod-to-json-schema';
import type { z } from 'zod';
import { searchFields, type SearchDefinition } from '../search/compiler';
import type { CatalogEntry } from './routes/catalog';

type JsonSchema = Record<string, unknown>;

/** Error statuses every route may answer, with the body shape of error-handler.ts. */
const ERROR_RESPONSES: Record<string, string> = {
  '400': 'Invalid input (the message names each field and its rule) or a state that forbids it',
  '401': 'No valid identity',
  '403': 'Not permitted',
  '404': 'Not found (or outside the caller\'s scope)',
  '422': 'The input is well-formed but breaks a rule (the message names the field)',
  '500': 'Internal error (the body gives only the request id)',
};

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } } } },
};

/** JSON Schema of what the client sends (the input side of coercions and transforms). */
function toJsonSchema(schema: z.ZodTypeAny): JsonSchema {
  // Typed loosely on purpose: zodToJsonSchema's generic over every schema type is too deep for tsc.
  const convert = zodToJsonSchema as (schema: unknown, options: Record<string, unknown>) => unknown;
  const out = convert(schema, { target: 'openApi3', $refStrategy: 'none', effectStrategy: 'input', pipeStrategy: 'input' }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** Express `:name` segments to OpenAPI `{name}`. */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** The `search` parameter's description and its fields (`x-search-fields`), from the route's search definition. */
function searchParameter(definition: SearchDefinition): JsonSchema {
  const fields = searchFields(definition);
  const keys = fields.map((f) => f.key).join(', ');
  return {
    description: `Foreman search (and, or, not, parentheses; = != ~ !~ ^ !^ < > <= >=; set? null?). Fields: ${keys}. A bare word matches ${definition.freeText.join(', ')}. An unknown field, operator or value answers 400 naming its position. See docs/API.md.`,
    'x-search-fields': fields,
  };
}

/**
 * The OpenAPI 3 document of the declared routes: parameters and bodies are the JSON Schemas of
 * the zod schemas the handlers validate with, so the document and the checks cannot disagree.
 * Each operation carries `x-permission` (who may call it).
 */
export function buildOpenApiDocument(catalog: readonly CatalogEntry[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const { operationId, spec } of catalog) {
    const path = `/api/v2${toOpenApiPath(spec.path)}`;
    const parameters: JsonSchema[] = [];
    for (const [name, schema] of Object.entries(spec.params ?? {})) parameters.push({ name, in: 'path', required: true, schema: toJsonSchema(schema) });
    if (spec.query) {
      const query = toJsonSchema(spec.query);
      const required = new Set((query.required as string[] | undefined) ?? []);
      for (const [name, schema] of Object.entries((query.properties as Record<string, JsonSchema> | undefined) ?? {})) {
        const searched = name === 'search' && spec.search ? searchParameter(spec.search) : {};
        parameters.push({ name, in: 'query', required: required.has(name) && !('default' in schema), schema, ...searched });
      }
    }
    const operation: JsonSchema = {
      operationId,
      summary: spec.summary,
      tags: [spec.tag],
      'x-permission': spec.permission,
      parameters,
      responses: {
        [String(spec.status ?? 200)]: { description: 'Success' },
        ...Object.fromEntries(Object.entries(ERROR_RESPONSES).map(([code, description]) => [code, { description, content: { 'application/json': { schema: ERROR_SCHEMA } } }])),
      },
    };
    if (spec.permission === 'public' || spec.permission === 'session') operation.security = [];
    if (spec.body) {
      const schema = toJsonSchema(spec.body);
      const content: Record<string, JsonSchema> = { 'application/json': { schema } };
      for (const type of spec.bodyMediaTypes ?? []) content[type] = { schema: { type: 'string' } };
      operation.requestBody = { required: !spec.bodyOptional, content };
    }
    (paths[path] ??= {})[spec.method] = operation;
  }
  return {
    openapi: '3.0.3',
    info: { title: 'mco-rex API', version: info.version, description: 'Remote execution over MCollective and Choria, with Foreman\'s API conventions.' },
    servers: [{ url: '/' }],
    components: { securitySchemes: { basic: { type: 'http', scheme: 'basic', description: 'Login and password, or login and a personal access token' } } },
    security: [{ basic: [] }],
    paths,
  };
}

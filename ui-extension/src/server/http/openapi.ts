import { zodToJsonSchema } from 'zod-to-json-schema';
import { z } from 'zod';
import { searchFields, type SearchDefinition } from '../search/compiler';
import { NAMED_RESPONSE_SCHEMAS } from './response-schemas';
import type { RouteAccess } from './route-spec';
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
  description: 'Every error: `code` is a canonical gRPC status name (INVALID_ARGUMENT, NOT_FOUND, ...), `message` is safe to show, `details.fields` names each refused field and its rule',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string', description: 'The X-Request-Id of the request, also in the server\'s log' }, details: { type: 'object', additionalProperties: true },
        errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } }, description: 'On 422, as Foreman: the rules each field broke (`base` when no field is named)' },
        full_messages: { type: 'array', items: { type: 'string' }, description: 'On 422, as Foreman: each field with its rule, ready to print' },
      },
    },
  },
};

/** What each tag groups, shown as the section headings of /apidoc. */
const TAG_DESCRIPTIONS: Record<string, string> = {
  session: 'The web UI\'s cookie session and its CSRF token. Scripts use HTTP Basic with a personal access token instead.',
  status: 'Versions and the health of the database and the smart proxies (open, like /readyz).',
  api: 'This document.',
  hosts: 'Hosts as Foreman shows them, with their facts; Foreman\'s search syntax.',
  hostgroups: 'Hostgroups (a tree; `title` is the full path).',
  facts: 'Fact names across the hosts the caller may see.',
  smart_proxies: 'The proxy-plugins, one per Puppet master, as Foreman smart proxies with their live status.',
  taxonomies: 'Organizations and locations.',
  inventory: 'Filling the inventory: an import document, a PuppetDB sync or a Foreman sync.',
  jobs: 'Job invocations: run an action on hosts now, later or repeatedly, follow it, rerun it, cancel it.',
  actions: 'Stored remote actions (an action with its arguments), reused by reruns and schedules.',
  namespaces: 'The agents (namespaces) and actions the proxies offer, with their DDL.',
  schedules: 'Schedules (Foreman\'s recurring logics) and their occurrences.',
  puppet: 'Run Puppet once on hosts (a puppet#runonce job).',
  users: 'Users, and the calling user.',
  roles: 'Roles and the permissions they grant.',
  filters: 'Filters: permissions granted to a role, narrowed by a search.',
  tokens: 'Personal access tokens, for scripts and the rex CLI.',
  audits: 'The audit log: who changed or ran what, and refused requests.',
  job_templates: 'Job templates: an action with fixed arguments and typed inputs (checked against its DDL), run by name.',
  webhooks: 'Webhooks told when a job is created or ends and when a schedule occurrence fires (HMAC-SHA256 signed, retried), and their delivery log.',
};

/** Who may call an operation, in words (the `x-permission` extension gives it as a name). */
function accessText(access: RouteAccess): string {
  switch (access) {
    case 'public': return 'anyone, without logging in';
    case 'session': return 'the web UI\'s cookie session (HTTP Basic credentials open none)';
    case 'authenticated': return 'any logged-in user; the answer holds only what that user may see';
    case 'admin': return 'administrators';
    default: return `users with the \`${access}\` permission; the answer is narrowed to what their filters allow`;
  }
}

/** The operation's description: its own words, who may call it, and what a success answers. */
function describeOperation(spec: CatalogEntry['spec']): string {
  const status = spec.status ?? 200;
  const parts = [spec.description ?? `${spec.summary}.`, `**Who may call it:** ${accessText(spec.permission)}.`];
  if (spec.search) parts.push(`**search:** Foreman's search syntax over ${searchFields(spec.search).map((f) => `\`${f.key}\``).join(', ')} (see the parameter).`);
  parts.push(status === 204 ? `**Answers** ${status} without a body.` : `**Answers** ${status} with the JSON below; errors as \`{"error": {"code", "message"}}\`.`);
  return parts.join('\n\n');
}

const COMPONENT_PATH = ['#', 'components'];

/**
 * JSON Schema of what the server answers: named schemas become `$ref`s to components.schemas
 * (NAMED_RESPONSE_SCHEMAS), the rest is inline.
 */
function toResponseSchema(schema: z.ZodTypeAny): JsonSchema {
  const convert = zodToJsonSchema as (schema: unknown, options: Record<string, unknown>) => unknown;
  const out = convert(schema, { target: 'openApi3', $refStrategy: 'root', basePath: COMPONENT_PATH, definitionPath: 'schemas', definitions: NAMED_RESPONSE_SCHEMAS }) as JsonSchema;
  delete out.$schema;
  delete out.schemas;
  return out;
}

/** components.schemas: every named answer, referring to the others by name. */
function namedSchemas(): Record<string, JsonSchema> {
  const convert = zodToJsonSchema as (schema: unknown, options: Record<string, unknown>) => unknown;
  const out = convert(z.any(), { target: 'openApi3', $refStrategy: 'root', basePath: COMPONENT_PATH, definitionPath: 'schemas', definitions: NAMED_RESPONSE_SCHEMAS }) as { schemas: Record<string, JsonSchema> };
  return out.schemas;
}

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
    const status = spec.status ?? 200;
    const success: JsonSchema = spec.response
      ? { description: spec.summary, content: { 'application/json': { schema: toResponseSchema(spec.response) } } }
      : spec.responseMediaTypes
        ? { description: spec.summary, content: Object.fromEntries(Object.entries(spec.responseMediaTypes).map(([type, holds]) => [type, { schema: { type: 'string', description: holds } }])) }
        : { description: `${spec.summary}: done, no body` };
    const operation: JsonSchema = {
      operationId,
      summary: spec.summary,
      description: describeOperation(spec),
      tags: [spec.tag],
      'x-permission': spec.permission,
      parameters,
      responses: {
        [String(status)]: success,
        ...Object.fromEntries(Object.entries(ERROR_RESPONSES).map(([code, description]) => [code, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }])),
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
  const tags = [...new Set(catalog.map((e) => e.spec.tag))].map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? name }));
  return {
    openapi: '3.0.3',
    info: {
      title: 'mco-rex API',
      version: info.version,
      description: 'Remote execution over MCollective and Choria, with Foreman\'s API conventions: lists answer `{total, subtotal, page, per_page, search, sort, results}`, searches use Foreman\'s syntax, errors answer `{"error": {"code", "message"}}`. Browse it at `/apidoc`; docs/API.md has the examples.',
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    servers: [{ url: '/' }],
    tags,
    components: {
      securitySchemes: { basic: { type: 'http', scheme: 'basic', description: 'Login and password, or login and a personal access token' } },
      schemas: { ...namedSchemas(), Error: ERROR_SCHEMA },
    },
    security: [{ basic: [] }],
    paths,
  };
}

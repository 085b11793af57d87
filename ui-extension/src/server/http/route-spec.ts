import type { RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { Permission } from '../auth/abilities';
import { AppError } from '../errors';
import type { SearchDefinition } from '../search/compiler';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/**
 * Who may call a route: a permission (CASL then narrows the answer to the caller's scope),
 * `authenticated` (any identified user; the service scopes the answer), `public` (no identity
 * needed) or `session` (the web UI's cookie session itself).
 */
export type RouteAccess = Permission | 'admin' | 'authenticated' | 'public' | 'session';

/**
 * One API route, declared once: the router mounts it and the OpenAPI document describes it from
 * this declaration, and the handler validates with these very schemas through `parseInput`, so the
 * document cannot drift from what the server accepts.
 */
export interface RouteSpec {
  method: HttpMethod;
  /** Express pattern under /api/v2, e.g. `/hosts/:id`. */
  path: string;
  summary: string;
  /** Groups routes in the document (and names the CLI's command group). */
  tag: string;
  permission: RouteAccess;
  /** One schema per path parameter. */
  params?: Record<string, z.ZodTypeAny>;
  query?: z.ZodTypeAny;
  body?: z.ZodTypeAny;
  /** The body may be left out (the handler reads `{}`). */
  bodyOptional?: boolean;
  /** Media types accepted besides application/json (e.g. YAML for the inventory import). */
  bodyMediaTypes?: string[];
  /** Status of a success, 200 unless said. */
  status?: number;
  /**
   * The body of a success (http/response-schemas.ts), shown as the operation's response in the
   * OpenAPI document; null for a 204, which has none. The authorization matrix test checks each
   * success it gets against it.
   */
  response: z.ZodTypeAny | null;
  /**
   * A success that is a file, not JSON (response null, status 200): its media types, each with
   * what it holds (the job hosts export's CSV and JSON lines).
   */
  responseMediaTypes?: Record<string, string>;
  /** What the summary leaves out; the document adds who may call it, the status and the search fields. */
  description?: string;
  /**
   * The fields `search=` understands (search/compiler.ts), for a route whose query takes one: the
   * OpenAPI document lists them, and a test checks each against docs/API.md and real data.
   */
  search?: SearchDefinition;
}

/** Whether a query schema declares a key (through refinements and transforms). */
export function declaresQueryKey(schema: z.ZodTypeAny | undefined, key: string): boolean {
  let current = schema;
  while (current instanceof z.ZodEffects) current = current.innerType() as z.ZodTypeAny;
  return current instanceof z.ZodObject && Object.hasOwn(current.shape as object, key);
}

/**
 * Query strings may carry parameters a route ignores (validate.ts), except `search`: a search a
 * list silently ignored would answer "everything" to a question it never read.
 */
function refuseUndeclaredSearch(spec: RouteSpec): RequestHandler {
  return (req, _res, next) => {
    // An empty `search=` asks nothing (clients send it blank), so it is let through.
    if (req.query.search === undefined || req.query.search === '') return next();
    next(new AppError('INVALID_ARGUMENT', `search: ${spec.method.toUpperCase()} ${spec.path} takes no search`, { details: { fields: [{ field: 'search', rule: 'not accepted here' }] } }));
  };
}

/**
 * A route that reads a body refuses one it cannot read, naming the media type: express.json skips a
 * body sent as another type (curl -d sends application/x-www-form-urlencoded), which then read as
 * missing ("body: Required") though it was sent. A request without a body, or without a type, goes on.
 */
function refuseUnreadableBody(spec: RouteSpec): RequestHandler {
  const types = ['application/json', ...(spec.bodyMediaTypes ?? [])];
  return (req, _res, next) => {
    const type = req.headers['content-type'];
    if (type === undefined || !hasBody(req) || req.is(types)) return next();
    next(new AppError('INVALID_ARGUMENT', `request body: Content-Type must be ${types.join(' or ')}, got ${type.split(';')[0].trim()}`, { httpStatus: 415, details: { fields: [{ field: 'body', rule: `Content-Type ${types.join(' or ')}` }] } }));
  };
}

/** Whether the request carries a body (express's own test, type-is's hasBody, without the dependency). */
function hasBody(req: Parameters<RequestHandler>[0]): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** Declares a feature's routes; the keys become the operation ids (`<tag>_<key>`). */
export function defineRoutes<T extends Record<string, RouteSpec>>(specs: T): T {
  return specs;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The declared route that matched, `POST /api/v2/hosts/:id/puppet_run` (set by `mount`). */
    routeName?: string;
  }
}

/**
 * Mounts a declared route on a router with its handler (and any route-level middleware before it).
 * The request learns its route's declared name first: the error handler audits a refusal under it,
 * and by then express has forgotten the path the router was mounted at. A GET that declares no
 * search refuses one instead of ignoring it; a route with a body refuses one of a type it cannot read.
 */
export function mount(router: Router, spec: RouteSpec, ...handlers: RequestHandler[]): void {
  const routeName = `${spec.method.toUpperCase()} /api/v2${spec.path}`;
  const name: RequestHandler = (req, _res, next) => {
    req.routeName = routeName;
    next();
  };
  if (spec.method === 'get' && !declaresQueryKey(spec.query, 'search')) router.get(spec.path, name, refuseUndeclaredSearch(spec), ...handlers);
  else if (spec.body) router[spec.method](spec.path, name, refuseUnreadableBody(spec), ...handlers);
  else router[spec.method](spec.path, name, ...handlers);
}

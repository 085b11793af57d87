/**
 * The web UI's client-side routes: the paths the single-page app renders itself. The web app
 * (web/App/App.tsx) maps each pattern to its page, and the server may use this list to answer
 * index.html only for these paths and a JSON 404 for any other path that is not the API.
 * A page added to the UI is added here first (App.tsx's route table is typed by this list).
 */
export const CLIENT_ROUTES = [
  '/',
  '/hosts',
  '/hosts/:id',
  '/hostgroups',
  '/hostgroups/:id',
  '/fact_names/:name',
  '/smart_proxies',
  '/smart_proxies/:id/remote_execution',
  '/jobs',
  '/jobs/:id',
  '/schedules',
  '/job_templates',
  '/users',
  '/users/:id',
  '/roles',
  '/roles/:id',
  '/audits',
  '/webhooks',
  '/account',
] as const;

export type ClientRoute = (typeof CLIENT_ROUTES)[number];

/** Matches `/hosts/:id` against a path (no query string); the decoded params, or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      try {
        params[p[i].slice(1)] = decodeURIComponent(s[i]);
      } catch {
        // A malformed escape (`%E0%A4%A`) is no page of ours.
        return null;
      }
    } else if (p[i] !== s[i]) {
      return null;
    }
  }
  return params;
}

/** Whether the web UI renders `path` (a pathname, without query string) as one of its pages. */
export function isClientRoute(path: string): boolean {
  return CLIENT_ROUTES.some((pattern) => matchPath(pattern, path) !== null);
}

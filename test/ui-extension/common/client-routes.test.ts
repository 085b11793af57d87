import { CLIENT_ROUTES, isClientRoute, matchPath } from '@common/client-routes';

describe(isClientRoute.name, () => {
  it('knows the pages of the web UI, with their ids', () => {
    for (const path of ['/', '/hosts', '/hosts/web-1.example.com', '/jobs/42', '/jobs/42/', '/smart_proxies/3/remote_execution', '/schedules', '/users/7', '/roles/2', '/audits', '/account']) {
      expect([path, isClientRoute(path)]).toEqual([path, true]);
    }
  });

  it('knows no API, probe or unknown path, so the server can answer those with JSON 404s', () => {
    for (const path of ['/api/v2/nope', '/healthz', '/readyz', '/apidoc', '/jobs/42/hosts', '/hosts/a/b', '/nowhere', '/hosts/%E0%A4%A']) {
      expect([path, isClientRoute(path)]).toEqual([path, false]);
    }
  });

  it('lists each route once', () => {
    expect(new Set(CLIENT_ROUTES).size).toBe(CLIENT_ROUTES.length);
  });
});

describe(matchPath.name, () => {
  it('decodes the params of a matching path', () => {
    expect(matchPath('/fact_names/:name', '/fact_names/os%3A%3Afamily')).toEqual({ name: 'os::family' });
    expect(matchPath('/jobs/:id', '/hosts/1')).toBeNull();
  });
});

import { Bullseye, Spinner } from '@patternfly/react-core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { SessionResponse } from '@common/session';
import { FactPage } from '../Facts/FactPage';
import { HostPage } from '../Host/HostPage';
import { HostgroupPage } from '../Hostgroups/HostgroupPage';
import { HostgroupsPage } from '../Hostgroups/HostgroupsPage';
import { HostsPage } from '../Hosts/HostsPage';
import { JobPage } from '../Job/JobPage';
import { JobsPage } from '../Jobs/JobsPage';
import { currentSession, logout } from '../Login/api';
import { LoginPage } from '../Login/LoginPage';
import { ProxyCommandCenterPage } from '../ProxyCommandCenter/ProxyCommandCenterPage';
import { SchedulesPage } from '../Schedules/SchedulesPage';
import { SmartProxiesPage } from '../SmartProxies/SmartProxiesPage';
import { setCsrfToken, setUnauthenticatedHandler } from '../shared/http';
import { NotificationsProvider } from '../shared/Notifications';
import { matchPath, RouterProvider, useRouter } from '../shared/router';
import { SessionContext, TaxonomyContext, type Taxonomy } from '../shared/session';
import { Layout } from './Layout';

const TAXONOMY_KEY = 'rex.taxonomy';

function Routes() {
  const { path, navigate } = useRouter();
  const routes: Array<[string, (p: Record<string, string>) => React.ReactNode]> = [
    ['/hosts', () => <HostsPage />],
    ['/hosts/:id', (p) => <HostPage id={p.id} />],
    ['/hostgroups', () => <HostgroupsPage />],
    ['/hostgroups/:id', (p) => <HostgroupPage id={p.id} />],
    ['/fact_names/:name', (p) => <FactPage name={p.name} />],
    ['/smart_proxies', () => <SmartProxiesPage />],
    ['/smart_proxies/:id/remote_execution', (p) => <ProxyCommandCenterPage id={p.id} />],
    ['/jobs', () => <JobsPage />],
    ['/jobs/:id', (p) => <JobPage id={Number(p.id)} />],
    ['/schedules', () => <SchedulesPage />],
  ];
  useEffect(() => {
    if (path === '/' || path === '') navigate('/hosts', { replace: true });
  }, [path, navigate]);
  for (const [pattern, render] of routes) {
    const params = matchPath(pattern, path);
    if (params) return <>{render(params)}</>;
  }
  return <p style={{ padding: 24 }}>Page not found: {path}</p>;
}

function Shell() {
  const [session, setSession] = useState<SessionResponse | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>();
  const [taxonomy, setTaxonomyState] = useState<Taxonomy>(() => {
    try {
      return { organization: null, location: null, ...(JSON.parse(window.localStorage.getItem(TAXONOMY_KEY) ?? '{}') as Partial<Taxonomy>) };
    } catch {
      return { organization: null, location: null };
    }
  });
  const setTaxonomy = useCallback((t: Taxonomy) => {
    window.localStorage.setItem(TAXONOMY_KEY, JSON.stringify(t));
    setTaxonomyState(t);
  }, []);

  const accept = useCallback((s: SessionResponse | null) => {
    setCsrfToken(s?.csrf_token ?? null);
    setSession(s);
  }, []);

  useEffect(() => {
    currentSession().then(accept, () => accept(null));
    setUnauthenticatedHandler(() => {
      setNotice('Your session has ended; log in again.');
      accept(null);
    });
    return () => setUnauthenticatedHandler(null);
  }, [accept]);

  const sessionState = useMemo(() => session && {
    user: session.user,
    logout: () => {
      logout().finally(() => {
        setNotice(undefined);
        accept(null);
      });
    },
  }, [session, accept]);

  if (session === undefined) {
    return (
      <Bullseye style={{ height: '100vh' }}>
        <Spinner aria-label="Loading" />
      </Bullseye>
    );
  }
  if (!sessionState) return <LoginPage notice={notice} onLoggedIn={(s) => { setNotice(undefined); accept(s); }} />;
  return (
    <SessionContext.Provider value={sessionState}>
      <TaxonomyContext.Provider value={{ taxonomy, setTaxonomy }}>
        <Layout>
          <Routes />
        </Layout>
      </TaxonomyContext.Provider>
    </SessionContext.Provider>
  );
}

/** The web UI: login, then Foreman's page structure around one screen per route. */
export function App() {
  return (
    <RouterProvider>
      <NotificationsProvider>
        <Shell />
      </NotificationsProvider>
    </RouterProvider>
  );
}

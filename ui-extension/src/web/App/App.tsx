import { Bullseye, Spinner } from '@patternfly/react-core';
import { Fragment, useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { CLIENT_ROUTES, type ClientRoute } from '@common/client-routes';
import type { SessionResponse } from '@common/session';
import { AccountPage } from '../Admin/AccountPage';
import { AuditsPage } from '../Admin/AuditsPage';
import { RolePage } from '../Admin/RolePage';
import { RolesPage } from '../Admin/RolesPage';
import { UserPage } from '../Admin/UserPage';
import { UsersPage } from '../Admin/UsersPage';
import { FactPage } from '../Facts/FactPage';
import { HostPage } from '../Host/HostPage';
import { HostgroupPage } from '../Hostgroups/HostgroupPage';
import { HostgroupsPage } from '../Hostgroups/HostgroupsPage';
import { HostsPage } from '../Hosts/HostsPage';
import { JobPage } from '../Job/JobPage';
import { JobsPage } from '../Jobs/JobsPage';
import { currentSession, currentUser, logout } from '../Login/api';
import { LoginPage } from '../Login/LoginPage';
import { ProxyCommandCenterPage } from '../ProxyCommandCenter/ProxyCommandCenterPage';
import { SchedulesPage } from '../Schedules/SchedulesPage';
import { TemplatesPage } from '../Templates/TemplatesPage';
import { WebhooksPage } from '../Webhooks/WebhooksPage';
import { SmartProxiesPage } from '../SmartProxies/SmartProxiesPage';
import { setCsrfToken, setUnauthenticatedHandler } from '../shared/http';
import { UnknownRoute } from '../shared/EmptyStates';
import { NotificationsProvider } from '../shared/Notifications';
import { matchPath, RouterProvider, useRouter } from '../shared/router';
import { SessionContext, TaxonomyContext, type Taxonomy } from '../shared/session';
import { forgetHostgroupTitles } from '../shared/Targeting';
import { Layout } from './Layout';

const TAXONOMY_KEY = 'rex.taxonomy';

/** Each client route's page; typed by CLIENT_ROUTES, so a route listed there cannot lack its page. */
const PAGES: Record<ClientRoute, (p: Record<string, string>) => ReactNode> = {
  '/': () => null,
  '/hosts': () => <HostsPage />,
  '/hosts/:id': (p) => <HostPage id={p.id} />,
  '/hostgroups': () => <HostgroupsPage />,
  '/hostgroups/:id': (p) => <HostgroupPage id={p.id} />,
  '/fact_names/:name': (p) => <FactPage name={p.name} />,
  '/smart_proxies': () => <SmartProxiesPage />,
  '/smart_proxies/:id/remote_execution': (p) => <ProxyCommandCenterPage id={p.id} />,
  '/jobs': () => <JobsPage />,
  '/jobs/:id': (p) => <JobPage id={Number(p.id)} />,
  '/schedules': () => <SchedulesPage />,
  '/job_templates': () => <TemplatesPage />,
  '/users': () => <UsersPage />,
  '/users/:id': (p) => <UserPage id={p.id} />,
  '/roles': () => <RolesPage />,
  '/roles/:id': (p) => <RolePage id={p.id} />,
  '/audits': () => <AuditsPage />,
  '/webhooks': () => <WebhooksPage />,
  '/account': () => <AccountPage />,
};

function Routes() {
  const { path, navigate } = useRouter();
  useEffect(() => {
    if (path === '/' || path === '') navigate('/hosts', { replace: true });
  }, [path, navigate]);
  for (const pattern of CLIENT_ROUTES) {
    const params = matchPath(pattern, path);
    // Keyed by the path: another object on the same page starts from a fresh state.
    if (params) return <Fragment key={path}>{PAGES[pattern](params)}</Fragment>;
  }
  return <UnknownRoute path={path} />;
}

function Shell() {
  const [session, setSession] = useState<SessionResponse | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>();
  const [permissions, setPermissions] = useState<ReadonlySet<string>>(new Set());
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
    forgetHostgroupTitles();
    setSession(s);
    setPermissions(new Set());
    if (s) currentUser().then((u) => setPermissions(new Set(u.permissions)), () => undefined);
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
    can: (permission: string) => session.user.admin || permissions.has(permission),
    logout: () => {
      logout().finally(() => {
        setNotice(undefined);
        accept(null);
      });
    },
  }, [session, permissions, accept]);

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

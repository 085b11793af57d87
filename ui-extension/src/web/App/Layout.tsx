import {
  Dropdown, DropdownItem, DropdownList, Masthead, MastheadBrand, MastheadContent, MastheadLogo, MastheadMain, MastheadToggle, MenuToggle, Nav, NavExpandable, NavItem, NavList, Page, PageSidebar, PageSidebarBody, PageToggleButton, SkipToContent, Toolbar, ToolbarContent, ToolbarGroup, ToolbarItem,
} from '@patternfly/react-core';
import { BarsIcon, UserIcon } from '@patternfly/react-icons';
import { useState, type ReactNode } from 'react';
import { useLoad } from '../shared/hooks';
import { errorMessage } from '../shared/http';
import { Link, useRouter } from '../shared/router';
import { useSession, useTaxonomy } from '../shared/session';
import { locations, organizations } from './api';

const NAV: Array<{ to: string; label: string }> = [
  { to: '/hosts', label: 'Hosts' },
  { to: '/hostgroups', label: 'Host groups' },
  { to: '/smart_proxies', label: 'Smart proxies' },
  { to: '/jobs', label: 'Jobs' },
  { to: '/schedules', label: 'Schedules' },
  { to: '/job_templates', label: 'Job templates' },
];

/** Foreman's Administer menu; an entry shows only to users holding its permission (the API refuses the rest anyway). */
const ADMIN_NAV: Array<{ to: string; label: string; permission?: string }> = [
  { to: '/users', label: 'Users', permission: 'manage_users' },
  { to: '/roles', label: 'Roles', permission: 'manage_users' },
  { to: '/audits', label: 'Audits' },
  // Webhooks are for administrators alone (the API's `admin` routes); `can('admin')` holds only for them.
  { to: '/webhooks', label: 'Webhooks', permission: 'admin' },
];

function TaxonomyPicker({ kind }: { kind: 'organization' | 'location' }) {
  const { taxonomy, setTaxonomy } = useTaxonomy();
  const [open, setOpen] = useState(false);
  const list = useLoad(() => (kind === 'organization' ? organizations() : locations()), [kind]);
  // The toggle's name holds its visible text (WCAG 2.5.3, axe's label-content-name-mismatch), after what it picks.
  const current = taxonomy[kind];
  const any = kind === 'organization' ? 'Any organization' : 'Any location';
  return (
    <Dropdown
      isOpen={open}
      onOpenChange={setOpen}
      onSelect={() => setOpen(false)}
      toggle={(ref) => (
        <MenuToggle ref={ref} onClick={() => setOpen((o) => !o)} isExpanded={open} variant="plainText" aria-label={`${kind === 'organization' ? 'Organization' : 'Location'}: ${current ?? any}`}>
          {current ?? any}
        </MenuToggle>
      )}
    >
      <DropdownList>
        <DropdownItem onClick={() => setTaxonomy({ ...taxonomy, [kind]: null })}>{any}</DropdownItem>
        {list.error !== undefined && <DropdownItem isDisabled description={errorMessage(list.error)}>Cannot list {kind}s</DropdownItem>}
        {(list.data?.results ?? []).map((t) => (
          <DropdownItem key={t.id} onClick={() => setTaxonomy({ ...taxonomy, [kind]: t.name })}>
            {t.name}
          </DropdownItem>
        ))}
      </DropdownList>
    </Dropdown>
  );
}

function UserMenu() {
  const { user, logout } = useSession();
  const { navigate } = useRouter();
  const [open, setOpen] = useState(false);
  return (
    <Dropdown
      isOpen={open}
      onOpenChange={setOpen}
      popperProps={{ position: 'right' }}
      toggle={(ref) => (
        <MenuToggle ref={ref} onClick={() => setOpen((o) => !o)} isExpanded={open} variant="plainText" icon={<UserIcon />} aria-label={`User menu: ${user.login}`}>
          {user.login}
        </MenuToggle>
      )}
    >
      <DropdownList>
        <DropdownItem onClick={() => navigate('/account')}>My account</DropdownItem>
        <DropdownItem onClick={logout}>Log out</DropdownItem>
      </DropdownList>
    </Dropdown>
  );
}

/** Foreman's page structure: masthead (organization, location, user), vertical navigation, content. */
export function Layout({ children }: { children: ReactNode }) {
  const { path, navigate } = useRouter();
  const { can } = useSession();
  const active = (to: string) => path === to || path.startsWith(`${to}/`);
  const admin = ADMIN_NAV.filter((n) => !n.permission || can(n.permission));
  const item = (n: { to: string; label: string }) => (
    <NavItem key={n.to} to={n.to} isActive={active(n.to)} onClick={(e) => { e.preventDefault(); navigate(n.to); }}>
      {n.label}
    </NavItem>
  );
  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadToggle>
          <PageToggleButton variant="plain" aria-label="Global navigation" icon={<BarsIcon />} />
        </MastheadToggle>
        <MastheadBrand>
          <MastheadLogo component={(props) => <Link to="/hosts" {...props}>{props.children}</Link>}>
            <span className="rex-brand">mco-rex</span>
          </MastheadLogo>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <Toolbar isFullHeight isStatic>
          <ToolbarContent>
            <ToolbarGroup>
              <ToolbarItem><TaxonomyPicker kind="organization" /></ToolbarItem>
              <ToolbarItem><TaxonomyPicker kind="location" /></ToolbarItem>
            </ToolbarGroup>
            <ToolbarGroup align={{ default: 'alignEnd' }}>
              <ToolbarItem><UserMenu /></ToolbarItem>
            </ToolbarGroup>
          </ToolbarContent>
        </Toolbar>
      </MastheadContent>
    </Masthead>
  );
  const sidebar = (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label="Main navigation">
          <NavList>
            {NAV.map(item)}
            <NavExpandable title="Administer" groupId="administer" isActive={admin.some((n) => active(n.to))} isExpanded={admin.some((n) => active(n.to))}>
              {admin.map(item)}
            </NavExpandable>
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );
  return (
    <Page masthead={masthead} sidebar={sidebar} isManagedSidebar mainContainerId="rex-main" skipToContent={<SkipToContent href="#rex-main">Skip to content</SkipToContent>}>
      {children}
    </Page>
  );
}

import { Bullseye, EmptyState, EmptyStateActions, EmptyStateBody, EmptyStateFooter, PageSection } from '@patternfly/react-core';
import { CubesIcon, SearchIcon } from '@patternfly/react-icons';
import { Td, Tr } from '@patternfly/react-table';
import type { ReactNode } from 'react';
import { ErrorAlert } from './ErrorAlert';
import { ApiError } from './http';
import { LinkButton } from './router';

/** A path the UI has no page for: PatternFly's not-found empty state with a way back. */
export function UnknownRoute({ path }: { path: string }) {
  return (
    <PageSection>
      <EmptyState headingLevel="h1" icon={SearchIcon} titleText="Page not found" variant="lg" data-testid="page-not-found">
        <EmptyStateBody>There is no page at <code>{path}</code>. It may have moved, or the link may be mistyped.</EmptyStateBody>
        <EmptyStateFooter>
          <EmptyStateActions>
            <LinkButton to="/hosts" variant="primary">Go to hosts</LinkButton>
            <LinkButton to="/jobs">Go to jobs</LinkButton>
          </EmptyStateActions>
        </EmptyStateFooter>
      </EmptyState>
    </PageSection>
  );
}

/** An object the API does not know (or does not show this user): the not-found empty state, with the list it belongs to. */
export function NotFound({ what, back }: { what: string; back: { to: string; label: string } }) {
  return (
    <EmptyState headingLevel="h2" icon={SearchIcon} titleText={`${what} not found`} variant="sm" data-testid="object-not-found">
      <EmptyStateBody>It does not exist, or you may not see it.</EmptyStateBody>
      <EmptyStateFooter>
        <EmptyStateActions>
          <LinkButton to={back.to}>{back.label}</LinkButton>
        </EmptyStateActions>
      </EmptyStateFooter>
    </EmptyState>
  );
}

/**
 * A detail page's load failure: a 404 is the not-found empty state; anything else (a 403 refusal,
 * an outage) the API's own message in an alert.
 */
export function LoadFailure({ error, what, back, title }: { error: unknown; what: string; back: { to: string; label: string }; title: string }) {
  if (error instanceof ApiError && error.status === 404) return <NotFound what={what} back={back} />;
  return <ErrorAlert error={error} title={title} />;
}

/** The row of an empty table: PatternFly's empty state across every column. */
export function EmptyTableRow({ colSpan, title, children, filtered = false }: { colSpan: number; title: string; children?: ReactNode; filtered?: boolean }) {
  return (
    <Tr>
      <Td colSpan={colSpan}>
        <Bullseye>
          <EmptyState headingLevel="h2" icon={filtered ? SearchIcon : CubesIcon} titleText={title} variant="xs">
            {children && <EmptyStateBody>{children}</EmptyStateBody>}
          </EmptyState>
        </Bullseye>
      </Td>
    </Tr>
  );
}

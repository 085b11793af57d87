import { Breadcrumb, BreadcrumbItem, Content, Flex, FlexItem, PageBreadcrumb, PageSection, Title } from '@patternfly/react-core';
import type { ReactNode } from 'react';
import { Link } from './router';

/** Foreman's page header: breadcrumbs, the title and the page's main actions on the right. */
export function PageHeader(props: { title: ReactNode; crumbs?: Array<{ to: string; label: string }>; actions?: ReactNode; description?: ReactNode }) {
  return (
    <>
      {props.crumbs && (
        <PageBreadcrumb>
          <Breadcrumb>
            {props.crumbs.map((c) => (
              <BreadcrumbItem key={c.to} render={() => <Link to={c.to}>{c.label}</Link>} />
            ))}
            <BreadcrumbItem isActive>{props.title}</BreadcrumbItem>
          </Breadcrumb>
        </PageBreadcrumb>
      )}
      <PageSection>
        <Flex justifyContent={{ default: 'justifyContentSpaceBetween' }} alignItems={{ default: 'alignItemsCenter' }}>
          <FlexItem>
            <Title headingLevel="h1">{props.title}</Title>
            {props.description && <Content component="p">{props.description}</Content>}
          </FlexItem>
          {props.actions && <FlexItem>{props.actions}</FlexItem>}
        </Flex>
      </PageSection>
    </>
  );
}

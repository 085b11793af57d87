import { PageSection, Title } from '@patternfly/react-core';
import { JobHistory } from '../Jobs/JobHistory';
import { PageHeader } from '../shared/PageHeader';

/** A fact: the jobs whose host search used it. */
export function FactPage({ name }: { name: string }) {
  return (
    <>
      <PageHeader title={`Fact ${name}`} crumbs={[{ to: '/hosts', label: 'Hosts' }]} />
      <PageSection>
        <Title headingLevel="h2" size="lg">Jobs that targeted hosts by this fact</Title>
        <JobHistory scope={`/fact_names/${encodeURIComponent(name)}`} label="Fact jobs" />
      </PageSection>
    </>
  );
}

import { Button, PageSection, Title } from '@patternfly/react-core';
import { useState } from 'react';
import { JobHistory } from '../Jobs/JobHistory';
import { RunActionModal } from '../RunAction/RunActionModal';
import { LoadFailure } from '../shared/EmptyStates';
import { useLoad } from '../shared/hooks';
import { PageHeader } from '../shared/PageHeader';
import { Link } from '../shared/router';
import { getHostgroup } from './api';

/** A host group: the jobs run on it (and on its descendants' hosts), and running an action on it. */
export function HostgroupPage({ id }: { id: string }) {
  const group = useLoad(() => getHostgroup(id), [id]);
  const [running, setRunning] = useState(false);
  const g = group.data;
  return (
    <>
      <PageHeader
        title={g?.title ?? id}
        crumbs={[{ to: '/hostgroups', label: 'Host groups' }]}
        description={g && <Link to={`/hosts?search=${encodeURIComponent(`hostgroup_title = ${g.title}`)}`}>Show the {g.hosts_count} host{g.hosts_count === 1 ? '' : 's'} of {g.title}</Link>}
        actions={<Button onClick={() => setRunning(true)} isDisabled={!g}>Run remote action</Button>}
      />
      <PageSection>
        {group.error !== undefined && <LoadFailure error={group.error} what={`Host group ${id}`} back={{ to: '/hostgroups', label: 'All host groups' }} title="Cannot load the host group" />}
        {g && (
          <>
            <Title headingLevel="h2" size="lg">Jobs run on this host group</Title>
            <JobHistory scope={`/hostgroups/${g.id}`} label="Host group jobs" />
          </>
        )}
      </PageSection>
      {running && g && <RunActionModal targeting={{ hostgroup_id: g.id }} targetLabel={`host group ${g.title}`} onClose={() => setRunning(false)} />}
    </>
  );
}

import { PageSection, Tab, Tabs, TabTitleText } from '@patternfly/react-core';
import { PageHeader } from '../shared/PageHeader';
import { useRouter } from '../shared/router';
import { ScheduleDefinitions } from './ScheduleDefinitions';
import { UpcomingRuns } from './UpcomingRuns';

/**
 * Schedules as Foreman shows recurring logics: the schedules themselves (cron line, time zone,
 * next and last run, iterations, state, their occurrences), and the upcoming runs of all of them
 * in a date range. The tab lives in the URL (`?view=upcoming`).
 */
export function SchedulesPage() {
  const { path, search, navigate } = useRouter();
  const view = search.get('view') === 'upcoming' ? 'upcoming' : 'schedules';
  return (
    <>
      <PageHeader title="Schedules" description="Scheduled and recurring remote actions (Foreman's recurring logics)." />
      <PageSection>
        <Tabs activeKey={view} onSelect={(_e, k) => navigate(k === 'upcoming' ? `${path}?view=upcoming` : path, { replace: true })} aria-label="Schedule views" mountOnEnter unmountOnExit>
          <Tab eventKey="schedules" title={<TabTitleText>Schedules</TabTitleText>}>
            <ScheduleDefinitions />
          </Tab>
          <Tab eventKey="upcoming" title={<TabTitleText>Upcoming runs</TabTitleText>}>
            <UpcomingRuns />
          </Tab>
        </Tabs>
      </PageSection>
    </>
  );
}

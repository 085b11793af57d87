import { DescriptionListDescription, DescriptionListGroup, DescriptionListTerm } from '@patternfly/react-core';
import { useEffect, useState } from 'react';
import type { Job } from '@common/jobs';
import { formatDuration, formatTime, relativeTime } from '../shared/format';

/** The clock, ticking each second while `active` (a running job's elapsed time); still otherwise. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [active]);
  return now;
}

/**
 * When the job ran, as the job page's details: started and finished, the elapsed time (ticking
 * while it runs, the duration once done) and, while it runs, when it times out (its deadline: hosts
 * without a reply by then end no_response). A stuck job shows its deadline passing; a slow one does not.
 */
export function JobTiming({ job, final }: { job: Pick<Job, 'created_at' | 'started_at' | 'finished_at' | 'deadline_at' | 'scheduled_at' | 'state'>; final: boolean }) {
  const running = !final && job.started_at !== null;
  const now = useNow(running);
  const started = job.started_at ? Date.parse(job.started_at) : null;
  const end = job.finished_at ? Date.parse(job.finished_at) : now;
  return (
    <>
      {job.state === 'scheduled' && job.scheduled_at && (
        <DescriptionListGroup><DescriptionListTerm>Scheduled</DescriptionListTerm><DescriptionListDescription>{formatTime(job.scheduled_at)}</DescriptionListDescription></DescriptionListGroup>
      )}
      <DescriptionListGroup>
        <DescriptionListTerm>Started</DescriptionListTerm>
        <DescriptionListDescription>{job.started_at ? formatTime(job.started_at) : 'not yet'}</DescriptionListDescription>
      </DescriptionListGroup>
      {started !== null && (
        <DescriptionListGroup>
          <DescriptionListTerm>{final ? 'Took' : 'Elapsed'}</DescriptionListTerm>
          <DescriptionListDescription data-testid="job-elapsed">{formatDuration(end - started)}</DescriptionListDescription>
        </DescriptionListGroup>
      )}
      {running && job.deadline_at && (
        <DescriptionListGroup>
          <DescriptionListTerm>Times out at</DescriptionListTerm>
          <DescriptionListDescription data-testid="job-times-out-at">
            {formatTime(job.deadline_at)} ({Date.parse(job.deadline_at) < now ? `passed ${relativeTime(job.deadline_at, now)}` : relativeTime(job.deadline_at, now)})
          </DescriptionListDescription>
        </DescriptionListGroup>
      )}
      {job.finished_at && (
        <DescriptionListGroup><DescriptionListTerm>Finished</DescriptionListTerm><DescriptionListDescription>{formatTime(job.finished_at)}</DescriptionListDescription></DescriptionListGroup>
      )}
    </>
  );
}

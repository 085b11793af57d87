import { Alert, Progress, ProgressMeasureLocation } from '@patternfly/react-core';
import type { Job } from '@common/jobs';

/**
 * Where a rollout stands (issue 17): batch k of n, failures against the threshold, and what holds the
 * next batch (a pause, the canary, the threshold). Nothing for a job without a rollout policy.
 */
export function JobRollout({ job }: { job: Job }) {
  const r = job.rollout_progress;
  if (!r) return null;
  const threshold = r.max_failures === null ? `${r.failures} failed or not responding (no threshold)` : `${r.failures} of ${r.max_failures} failures allowed`;
  return (
    <div className="rex-rollout" data-testid="job-rollout">
      <Progress
        value={r.batches === 0 ? 100 : (r.batch / r.batches) * 100}
        title={`Batch ${r.batch} of ${r.batches}${r.batch > 0 ? ` (${r.batch_hosts} hosts)` : ''}`}
        label={`${r.batch}/${r.batches} batches`}
        valueText={`batch ${r.batch} of ${r.batches}`}
        measureLocation={ProgressMeasureLocation.outside}
        size="sm"
        aria-label="Rollout batches"
      />
      <div data-testid="job-rollout-threshold">{threshold}</div>
      {r.stopped_reason && <Alert isInline isPlain variant="danger" title={`Stopped: ${r.stopped_reason}`} />}
      {!r.stopped_reason && r.paused && <Alert isInline isPlain variant="warning" title={`Paused: ${r.pause_reason ?? 'paused'}`} data-testid="job-rollout-paused" />}
      {!r.stopped_reason && !r.paused && r.next_batch_at && <div>Next batch at {new Date(r.next_batch_at).toLocaleTimeString()}</div>}
    </div>
  );
}

import { Progress, ProgressMeasureLocation, ProgressSize } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import type { Job } from '@common/jobs';
import { EmptyTableRow } from '../shared/EmptyStates';
import { formatTime } from '../shared/format';
import { Link } from '../shared/router';
import { StateLabel } from '../shared/StateLabel';
import { TargetingText } from '../shared/Targeting';

/** Jobs as Foreman's job invocation list shows them. */
export function JobsTable({ jobs, label, empty = 'No jobs.' }: { jobs: Job[]; label: string; empty?: string }) {
  return (
    <Table aria-label={label} variant="compact">
      <Thead>
        <Tr>
          <Th>Job</Th>
          <Th>Action</Th>
          <Th>State</Th>
          <Th width={15}>Progress</Th>
          <Th>Hosts</Th>
          <Th>Target</Th>
          <Th>Owner</Th>
          <Th>Started</Th>
        </Tr>
      </Thead>
      <Tbody>
        {jobs.map((j) => (
          <Tr key={j.id}>
            <Td dataLabel="Job"><Link to={`/jobs/${j.id}`}>{j.description || `#${j.id}`}</Link></Td>
            <Td dataLabel="Action" className="rex-nowrap">{j.namespace}.{j.action}</Td>
            <Td dataLabel="State"><StateLabel state={j.state} /></Td>
            <Td dataLabel="Progress">
              <Progress value={j.progress} size={ProgressSize.sm} measureLocation={ProgressMeasureLocation.outside} aria-label={`Job ${j.id} progress`} variant={j.state === 'failed' ? 'danger' : j.state === 'succeeded' ? 'success' : undefined} />
            </Td>
            <Td dataLabel="Hosts">{j.counts.succeeded}/{j.total_hosts}</Td>
            <Td dataLabel="Target"><TargetingText targeting={j.targeting} /></Td>
            <Td dataLabel="Owner">{j.owner}</Td>
            <Td dataLabel="Started" className="rex-nowrap">{formatTime(j.started_at ?? j.created_at)}</Td>
          </Tr>
        ))}
        {jobs.length === 0 && <EmptyTableRow colSpan={8} title={empty} />}
      </Tbody>
    </Table>
  );
}

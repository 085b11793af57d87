import { Label, type LabelProps } from '@patternfly/react-core';
import { CheckCircleIcon, ExclamationCircleIcon, InProgressIcon, PendingIcon, BanIcon, OutlinedClockIcon, MinusCircleIcon, QuestionCircleIcon } from '@patternfly/react-icons';

const LOOK: Record<string, { status?: LabelProps['status']; color?: LabelProps['color']; icon: React.ReactNode; text: string }> = {
  succeeded: { status: 'success', icon: <CheckCircleIcon />, text: 'succeeded' },
  failed: { status: 'danger', icon: <ExclamationCircleIcon />, text: 'failed' },
  no_response: { status: 'warning', icon: <QuestionCircleIcon />, text: 'no response' },
  running: { color: 'blue', icon: <InProgressIcon />, text: 'running' },
  pending: { color: 'grey', icon: <PendingIcon />, text: 'pending' },
  queued: { color: 'grey', icon: <PendingIcon />, text: 'queued' },
  scheduled: { color: 'purple', icon: <OutlinedClockIcon />, text: 'scheduled' },
  skipped: { color: 'grey', icon: <MinusCircleIcon />, text: 'skipped' },
  cancelled: { color: 'orange', icon: <BanIcon />, text: 'cancelled' },
  // A schedule's occurrence whose targeting matched no host when it fired (issue #17): no job ran.
  no_hosts: { status: 'warning', icon: <MinusCircleIcon />, text: 'no hosts' },
  online: { status: 'success', icon: <CheckCircleIcon />, text: 'online' },
  offline: { status: 'danger', icon: <ExclamationCircleIcon />, text: 'offline' },
};

/** A job, host or proxy state as a PatternFly label with an icon, so colour is never the only cue. */
export function StateLabel({ state }: { state: string }) {
  const look = LOOK[state] ?? { color: 'grey' as const, icon: undefined, text: state };
  return (
    <Label isCompact status={look.status} color={look.color} icon={look.icon} data-state={state}>
      {look.text}
    </Label>
  );
}

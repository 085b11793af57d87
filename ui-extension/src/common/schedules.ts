/**
 * REST types of schedules (`/api/v2/remote_execution/schedules...`), shared by the server and the
 * web UI. Field names follow Foreman's job_invocation API (`scheduling`, `recurrence`).
 */
import type { JobState, Recurrence, RolloutPolicy, Scheduling, StoredTargeting, Targeting, TargetingType } from './jobs';

/** A run's outcome: the fired job's own state, or why no job ran (`no_hosts`: its targeting matched no host when it fired). */
export type ScheduleRunState = JobState | 'missed' | 'refused' | 'failed' | 'no_hosts';

export interface ScheduleRun {
  /** The occurrence time. */
  at: string;
  state: ScheduleRunState;
  /** The job of this occurrence; null when none ran (missed, refused, no_hosts, failed to launch). */
  job_id: number | null;
  /** Why it was missed, refused or failed; null for a fired run. */
  reason: string | null;
  /** When the scheduler recorded it (for a fired run: when the job was queued). */
  recorded_at: string;
}

export interface Schedule {
  id: number;
  enabled: boolean;
  namespace: string;
  action: string;
  arguments: Record<string, unknown>;
  remote_action_id: number;
  targeting: StoredTargeting;
  targeting_type: TargetingType;
  /** static_query: the hosts resolved when the targeting was set. */
  static_host_ids: number[] | null;
  /** One-time: when it runs. Recurring: when the schedule began (occurrences come after it). */
  start_at: string;
  start_before: string | null;
  cron_line: string | null;
  time_zone: string | null;
  max_iterations: number | null;
  end_time: string | null;
  /** Occurrences used up so far (fired, refused, failed or missed). */
  iterations: number;
  /** Null when no occurrence is left (or the schedule is disabled). */
  next_run_at: string | null;
  last_run_at: string | null;
  /** The job in state `scheduled` that stands for the next occurrence. */
  next_job_id: number | null;
  owner: string;
  description: string;
  concurrency_level: number | null;
  batch_size: number | null;
  rollout: RolloutPolicy | null;
  timeout: number;
  created_at: string;
  updated_at: string;
}

/** `GET schedules/:id`: the schedule and its most recent runs, newest first. */
export interface ScheduleDetail extends Schedule {
  runs: ScheduleRun[];
}

/** Foreman's recurring logic states: active (it will run), disabled (switched off), finished (no occurrence left). */
export type ScheduleDefinitionState = 'active' | 'disabled' | 'finished';

/**
 * One entry of `GET schedule_definitions`: a schedule (Foreman's recurring logic, or a one-time
 * future run) with its state, its next occurrences and how its last one ended.
 */
export interface ScheduleDefinition extends Schedule {
  state: ScheduleDefinitionState;
  /** The next occurrences, soonest first (at most UPCOMING_SHOWN); [] unless active. */
  upcoming: string[];
  /** The latest occurrence that came (ran, missed, refused or failed); null before the first. */
  last_run: ScheduleRun | null;
}

/** Occurrences listed in a definition's `upcoming`. */
export const UPCOMING_SHOWN = 5;

/** One entry of `GET schedules?from=&to=`: an occurrence in the range. */
export interface ScheduleOccurrence {
  at: string;
  schedule_id: number;
  schedule: Schedule;
}

/** `POST actions/:id/schedule`: a stored action on a targeting, once or recurring. */
export interface ScheduleActionRequest {
  targeting: Targeting;
  targeting_type?: TargetingType;
  scheduling?: Scheduling;
  recurrence?: Recurrence;
  description?: string;
  concurrency_level?: number;
  batch_size?: number;
  rollout?: RolloutPolicy;
  timeout?: number;
}

/** `PUT schedules/:id`: every field optional; scheduling or recurrence replaces the timing. */
export type UpdateScheduleRequest = Partial<ScheduleActionRequest>;

import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { JobState } from '@common/jobs';

/** One run of a remote action against a targeting, with its counters (they survive retention). */
@Entity('job_invocations')
export class JobInvocationEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Index('idx_job_invocations_remote_action')
  @Column({ name: 'remote_action_id', type: 'integer' })
  remoteActionId: number;

  @Index('idx_job_invocations_parent')
  @Column({ name: 'parent_id', type: 'integer', nullable: true })
  parentId: number | null;

  @Index('idx_job_invocations_state')
  @Column({ name: 'state', type: 'varchar', length: 16 })
  state: JobState;

  /** Grows with every change; long polls compare against it. */
  @Column({ name: 'version', type: 'integer', default: 1 })
  version: number;

  /** Last per-host event sequence written; the events feed is a range query below it. */
  @Column({ name: 'last_event_seq', type: 'integer', default: 0 })
  lastEventSeq: number;

  @Index('idx_job_invocations_owner')
  @Column({ name: 'owner', type: 'varchar', length: 100 })
  owner: string;

  /** The owner's user id (null when the owner was deleted before it was recorded): what scoping compares. */
  @Column({ name: 'owner_id', type: 'integer', nullable: true })
  ownerId: number | null;

  @Column({ name: 'description', type: 'varchar', length: 255, default: '' })
  description: string;

  @Column({ name: 'targeting_search', type: 'text', nullable: true })
  targetingSearch: string | null;

  /** JSON array of host ids as given. */
  @Column({ name: 'targeting_host_ids', type: 'text', nullable: true })
  targetingHostIds: string | null;

  /** PuppetDB query (PQL) as given; resolved to hosts through PuppetDB when the job is created. */
  @Column({ name: 'targeting_pql', type: 'text', nullable: true })
  targetingPql: string | null;

  @Index('idx_job_invocations_targeting_hostgroup')
  @Column({ name: 'targeting_hostgroup_id', type: 'integer', nullable: true })
  targetingHostgroupId: number | null;

  @Column({ name: 'concurrency_level', type: 'integer', nullable: true })
  concurrencyLevel: number | null;

  @Column({ name: 'batch_size', type: 'integer', nullable: true })
  batchSize: number | null;

  @Column({ name: 'timeout_s', type: 'integer' })
  timeoutS: number;

  /** The rollout policy (rollout-policy.ts) as JSON; null: the hosts go out as one batch. */
  @Column({ name: 'rollout_policy', type: 'text', nullable: true })
  rolloutPolicy: string | null;

  /** Batches sent so far; a batch is sent only by the instance that moves this from k to k + 1. */
  @Column({ name: 'rollout_batch', type: 'integer', default: 0 })
  rolloutBatch: number;

  /** The last batch whose gate (threshold, canary wait, pause) was decided and stored. */
  @Column({ name: 'rollout_batch_done', type: 'integer', default: 0 })
  rolloutBatchDone: number;

  /** No new batch starts until a resume (a user paused it, or it waits after its canary). */
  @Column({ name: 'paused', type: 'boolean', default: false })
  paused: boolean;

  @Column({ name: 'pause_reason', type: 'text', nullable: true })
  pauseReason: string | null;

  /** The pause between two batches ends at this time. */
  @Column({ name: 'next_batch_at', type: 'datetime', precision: 3, nullable: true })
  nextBatchAt: Date | null;

  /** Why no further batch is sent (the failure threshold was reached). */
  @Column({ name: 'rollout_stop_reason', type: 'text', nullable: true })
  rolloutStopReason: string | null;

  /** The action's DDL when the job was created, so output shaping never needs a proxy. */
  @Column({ name: 'ddl', type: 'text' })
  ddl: string;

  @Column({ name: 'aggregates', type: 'text', nullable: true })
  aggregates: string | null;

  @Column({ name: 'total_hosts', type: 'integer', default: 0 })
  totalHosts: number;

  @Column({ name: 'count_pending', type: 'integer', default: 0 })
  countPending: number;

  @Column({ name: 'count_running', type: 'integer', default: 0 })
  countRunning: number;

  @Column({ name: 'count_succeeded', type: 'integer', default: 0 })
  countSucceeded: number;

  @Column({ name: 'count_failed', type: 'integer', default: 0 })
  countFailed: number;

  @Column({ name: 'count_no_response', type: 'integer', default: 0 })
  countNoResponse: number;

  @Column({ name: 'count_skipped', type: 'integer', default: 0 })
  countSkipped: number;

  @Column({ name: 'count_cancelled', type: 'integer', default: 0 })
  countCancelled: number;

  /** Hosts whose result arrived after the job had ended (they are counted in their state, too). */
  @Column({ name: 'count_late', type: 'integer', default: 0 })
  countLate: number;

  @Column({ name: 'cancel_requested', type: 'boolean', default: false })
  cancelRequested: boolean;

  /** Which ui-extension instance dispatches the job, and until when; an expired lease is taken over. */
  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner: string | null;

  @Column({ name: 'lease_expires_at', type: 'datetime', precision: 3, nullable: true })
  leaseExpiresAt: Date | null;

  /**
   * The rollout's deadline (rollout-deadline.ts), sent to every proxy: no request leaves after it.
   * The dispatcher gives up on a proxy that is still not done a grace period later.
   */
  @Column({ name: 'deadline_at', type: 'datetime', precision: 3, nullable: true })
  deadlineAt: Date | null;

  /** Set when retention purged the host rows; counts and aggregates stay. */
  @Column({ name: 'hosts_purged_at', type: 'datetime', precision: 3, nullable: true })
  hostsPurgedAt: Date | null;

  /** The schedule this job is an occurrence of (it may since have been deleted). */
  @Index('idx_job_invocations_schedule')
  @Column({ name: 'schedule_id', type: 'integer', nullable: true })
  scheduleId: number | null;

  /** The occurrence time this job stands for (state `scheduled` until then). */
  @Column({ name: 'scheduled_at', type: 'datetime', precision: 3, nullable: true })
  scheduledAt: Date | null;

  @Index('idx_job_invocations_created_at')
  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'datetime', precision: 3, nullable: true })
  startedAt: Date | null;

  @Index('idx_job_invocations_finished_at')
  @Column({ name: 'finished_at', type: 'datetime', precision: 3, nullable: true })
  finishedAt: Date | null;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

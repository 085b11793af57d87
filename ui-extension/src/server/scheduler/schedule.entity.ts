import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type TargetingType = 'dynamic_query' | 'static_query';

/**
 * A stored action + targeting that runs once at `start_at` or on a cron line in a time zone. The row
 * holds the next occurrence (`next_run_at`); firing it locks the row, so one instance fires it.
 */
@Entity('schedules')
@Index('idx_schedules_due', ['enabled', 'nextRunAt'])
export class ScheduleEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'enabled', type: 'boolean', default: true })
  enabled: boolean;

  @Index('idx_schedules_remote_action')
  @Column({ name: 'remote_action_id', type: 'integer' })
  remoteActionId: number;

  /** The user whose permissions each run uses, checked when it fires. */
  @Index('idx_schedules_owner')
  @Column({ name: 'owner_id', type: 'integer' })
  ownerId: number;

  /** The owner's login when the schedule was made, for display. */
  @Column({ name: 'owner', type: 'varchar', length: 100 })
  owner: string;

  @Column({ name: 'description', type: 'varchar', length: 255, default: '' })
  description: string;

  @Column({ name: 'targeting_search', type: 'text', nullable: true })
  targetingSearch: string | null;

  /** JSON array of host ids as given. */
  @Column({ name: 'targeting_host_ids', type: 'text', nullable: true })
  targetingHostIds: string | null;

  @Column({ name: 'targeting_hostgroup_id', type: 'integer', nullable: true })
  targetingHostgroupId: number | null;

  /** A PuppetDB query, resolved through PuppetDB at each run (or once, for static_query). */
  @Column({ name: 'targeting_pql', type: 'text', nullable: true })
  targetingPql: string | null;

  @Column({ name: 'targeting_type', type: 'varchar', length: 16 })
  targetingType: TargetingType;

  /** static_query: JSON array of the host ids the targeting resolved to when it was set. */
  @Column({ name: 'static_host_ids', type: 'text', nullable: true })
  staticHostIds: string | null;

  @Column({ name: 'concurrency_level', type: 'integer', nullable: true })
  concurrencyLevel: number | null;

  @Column({ name: 'batch_size', type: 'integer', nullable: true })
  batchSize: number | null;

  /** The rollout policy its jobs get (JSON; rollout-policy.ts). */
  @Column({ name: 'rollout_policy', type: 'text', nullable: true })
  rolloutPolicy: string | null;

  @Column({ name: 'timeout_s', type: 'integer' })
  timeoutS: number;

  /** The action's DDL when scheduled; every run uses it, as a replay does. */
  @Column({ name: 'ddl', type: 'text' })
  ddl: string;

  /** One-time: when it runs. Recurring: occurrences come after this instant. */
  @Column({ name: 'start_at', type: 'datetime', precision: 3 })
  startAt: Date;

  /** One-time: if it cannot start by then, it is recorded missed instead of running late. */
  @Column({ name: 'start_before', type: 'datetime', precision: 3, nullable: true })
  startBefore: Date | null;

  @Column({ name: 'cron_line', type: 'varchar', length: 255, nullable: true })
  cronLine: string | null;

  @Column({ name: 'time_zone', type: 'varchar', length: 64, nullable: true })
  timeZone: string | null;

  @Column({ name: 'max_iterations', type: 'integer', nullable: true })
  maxIterations: number | null;

  @Column({ name: 'end_time', type: 'datetime', precision: 3, nullable: true })
  endTime: Date | null;

  /** Occurrences used up: fired, refused, failed to launch or missed. */
  @Column({ name: 'iterations', type: 'integer', default: 0 })
  iterations: number;

  /** Null when no occurrence is left. */
  @Column({ name: 'next_run_at', type: 'datetime', precision: 3, nullable: true })
  nextRunAt: Date | null;

  /** The job in state `scheduled` that stands for the next occurrence. */
  @Column({ name: 'next_job_id', type: 'integer', nullable: true })
  nextJobId: number | null;

  @Column({ name: 'last_run_at', type: 'datetime', precision: 3, nullable: true })
  lastRunAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

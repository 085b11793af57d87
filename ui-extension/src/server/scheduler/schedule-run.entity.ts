import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What became of one occurrence. `fired`: a job was queued (its state tells the rest); `missed`: it
 * could not start in its window; `refused`: the owner is gone or may no longer run it; `failed`: the
 * job could not be made (e.g. its search no longer parses); `cancelled`: its scheduled job was
 * cancelled before it was due; `no_hosts`: its targeting matched no host the owner may run on when
 * it fired, so no job was made (occurrence-refusal.ts).
 */
export type ScheduleRunOutcome = 'fired' | 'missed' | 'refused' | 'failed' | 'cancelled' | 'no_hosts';

@Entity('schedule_runs')
@Index('uq_schedule_runs_occurrence', ['scheduleId', 'occurrenceAt'], { unique: true })
export class ScheduleRunEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'schedule_id', type: 'integer' })
  scheduleId: number;

  @Column({ name: 'occurrence_at', type: 'datetime', precision: 3 })
  occurrenceAt: Date;

  @Column({ name: 'state', type: 'varchar', length: 16 })
  state: ScheduleRunOutcome;

  @Column({ name: 'job_id', type: 'integer', nullable: true })
  jobId: number | null;

  @Column({ name: 'reason', type: 'text', nullable: true })
  reason: string | null;

  /** The ui-extension instance that recorded it. */
  @Column({ name: 'instance_id', type: 'varchar', length: 64, nullable: true })
  instanceId: string | null;

  @Column({ name: 'recorded_at', type: 'datetime', precision: 3 })
  recordedAt: Date;
}

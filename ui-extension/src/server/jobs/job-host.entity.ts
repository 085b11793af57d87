import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { HostState } from '@common/jobs';

/** One host's part in a job. Written in batches by the result writer, never one save per row. */
@Entity('job_invocation_hosts')
// Also the index MariaDB keeps the job foreign key on: its columns are never updated. Dropped, the key moves
// to (job, event_seq), which every result upsert changes, and each such change then share-locks the job row
// (a deadlock with the rollout runner's job-row writes, issue #20; STYLE.md §8).
@Index('uq_job_invocation_hosts_job_host', ['jobInvocationId', 'hostId'], { unique: true })
@Index('idx_job_invocation_hosts_job_state_name', ['jobInvocationId', 'state', 'hostName'])
@Index('idx_job_invocation_hosts_job_event', ['jobInvocationId', 'eventSeq'])
@Index('idx_job_invocation_hosts_job_name', ['jobInvocationId', 'hostName'])
export class JobHostEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'job_invocation_id', type: 'integer' })
  jobInvocationId: number;

  /**
   * The inventory host; null for a certname a PQL targeting returned that the inventory does not
   * know (skipped, "not in the inventory"). Such a host has no row to point to, and a job keeps its
   * hosts in this one table so that lists, counts, exports and the empty-target rule see it like any
   * skipped host; `host_name` says which node it was.
   */
  @Index('idx_job_invocation_hosts_host')
  @Column({ name: 'host_id', type: 'integer', nullable: true })
  hostId: number | null;

  /** The host's name when the job ran; also its broker identity. */
  @Column({ name: 'host_name', type: 'varchar', length: 255 })
  hostName: string;

  @Column({ name: 'smart_proxy_id', type: 'integer', nullable: true })
  smartProxyId: number | null;

  /** The host's hostgroup when the job ran, for the per-hostgroup history. */
  @Index('idx_job_invocation_hosts_hostgroup')
  @Column({ name: 'hostgroup_id', type: 'integer', nullable: true })
  hostgroupId: number | null;

  @Column({ name: 'state', type: 'varchar', length: 16 })
  state: HostState;

  /** Why the host ended as it did, whole (TEXT since issue 27: a reason is never cut mid-message). */
  @Column({ name: 'reason', type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'statuscode', type: 'integer', nullable: true })
  statuscode: number | null;

  @Column({ name: 'statusmsg', type: 'text', nullable: true })
  statusmsg: string | null;

  /** JSON of the reply data. */
  @Column({ name: 'data', type: 'text', nullable: true })
  data: string | null;

  /** Per-job event sequence of the last change; 0 until the host has a result. */
  @Column({ name: 'event_seq', type: 'integer', default: 0 })
  eventSeq: number;

  /** The proxy's stream sequence of the result, so a re-attached stream never records it twice. */
  @Column({ name: 'proxy_sequence', type: 'integer', nullable: true })
  proxySequence: number | null;

  /**
   * When the proxy sent the request to the host (its HostsSent event or its result's sent time); null
   * while the host waits for its batch, and for a host never asked.
   */
  @Column({ name: 'started_at', type: 'datetime', precision: 3, nullable: true })
  startedAt: Date | null;

  /** Set when the host's result arrived after its job had ended (a late result); its state is that result's. */
  @Column({ name: 'late_at', type: 'datetime', precision: 3, nullable: true })
  lateAt: Date | null;

  @Column({ name: 'finished_at', type: 'datetime', precision: 3, nullable: true })
  finishedAt: Date | null;

  /**
   * JSON of the host's Puppet run report as PuppetDB holds it (@common/jobs PuppetDbRunReport), or of
   * why none was found; written after the result, only for puppet#runonce jobs with PuppetDB. The
   * hosts of such jobs still without one are listed in job_host_report_awaits (raw SQL, no entity:
   * puppet-report-awaits.repository.ts), for the recovery of lookups at start-up.
   */
  @Column({ name: 'puppetdb_report', type: 'text', nullable: true })
  puppetdbReport: string | null;
}

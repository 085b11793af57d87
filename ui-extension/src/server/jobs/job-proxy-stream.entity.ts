import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ProxyStreamState = 'pending' | 'running' | 'done' | 'failed';

/**
 * The job's stream to one proxy: the execution id it runs under and the last proxy sequence recorded,
 * which is where a restarted ui-extension resumes with GetResults.
 */
@Entity('job_invocation_proxies')
@Index('uq_job_invocation_proxies_job_proxy', ['jobInvocationId', 'smartProxyId'], { unique: true })
export class JobProxyStreamEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'job_invocation_id', type: 'integer' })
  jobInvocationId: number;

  @Column({ name: 'smart_proxy_id', type: 'integer' })
  smartProxyId: number;

  /** Execution id of the current chunk (`<job>-<proxy>-<chunk>`). */
  @Column({ name: 'execution_id', type: 'varchar', length: 100, nullable: true })
  executionId: string | null;

  @Column({ name: 'chunk', type: 'integer', default: 0 })
  chunk: number;

  @Column({ name: 'last_sequence', type: 'integer', default: 0 })
  lastSequence: number;

  @Column({ name: 'state', type: 'varchar', length: 16 })
  state: ProxyStreamState;

  /** The current execution's proxy reports HostsSent: a running host without started_at was never asked. */
  @Column({ name: 'reports_sent', type: 'boolean', default: false })
  reportsSent: boolean;
}

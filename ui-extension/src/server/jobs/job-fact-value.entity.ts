import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A value one of the recorded facts (jobs.recorded_facts) had on a job's hosts when the job's hosts
 * were written, with how many hosts had it: `facts.osfamily = Debian` in a job search.
 */
@Entity('job_invocation_fact_values')
@Index('idx_job_invocation_fact_values_name_value', ['factName', 'value', 'jobInvocationId'])
export class JobFactValueEntity {
  @PrimaryColumn({ name: 'job_invocation_id', type: 'integer' })
  jobInvocationId: number;

  @PrimaryColumn({ name: 'fact_name', type: 'varchar', length: 191 })
  factName: string;

  @PrimaryColumn({ name: 'value', type: 'varchar', length: 255 })
  value: string;

  @Column({ name: 'host_count', type: 'integer' })
  hostCount: number;
}

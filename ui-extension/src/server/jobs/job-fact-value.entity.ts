import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A value one of the recorded facts (jobs.recorded_facts) had on a job's hosts when the job's hosts
 * were written, with how many hosts had it: `facts.osfamily = Debian` in a job search.
 */
@Entity('job_invocation_fact_values')
@Index('idx_job_invocation_fact_values_name_value', ['factName', 'value', 'jobInvocationId'])
export class JobFactValueEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'job_invocation_id', type: 'integer' })
  jobInvocationId: number;

  @Column({ name: 'fact_name', type: 'varchar', length: 191 })
  factName: string;

  @Column({ name: 'value', type: 'varchar', length: 255 })
  value: string;

  @Column({ name: 'host_count', type: 'integer' })
  hostCount: number;
}

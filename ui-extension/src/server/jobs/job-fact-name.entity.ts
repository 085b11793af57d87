import { Entity, Index, PrimaryColumn } from 'typeorm';

/** Fact names a job's search used, for `/fact_names/:name/remote_execution/jobs`. */
@Entity('job_invocation_fact_names')
export class JobFactNameEntity {
  @PrimaryColumn({ name: 'job_invocation_id', type: 'integer' })
  jobInvocationId: number;

  @Index('idx_job_invocation_fact_names_name')
  @PrimaryColumn({ name: 'fact_name', type: 'varchar', length: 255 })
  factName: string;
}

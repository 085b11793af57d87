import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One audit entry; the table is append-only (the migration's triggers refuse UPDATE and DELETE). */
@Entity('audits')
@Index('idx_audits_created_at', ['createdAt'])
@Index('idx_audits_user', ['userId'])
@Index('idx_audits_auditable', ['auditableType', 'auditableId'])
export class AuditEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'user_id', type: 'integer', nullable: true })
  userId: number | null;

  @Column({ name: 'user_login', type: 'varchar', length: 100, nullable: true })
  userLogin: string | null;

  @Column({ name: 'action', type: 'varchar', length: 50 })
  action: string;

  @Column({ name: 'auditable_type', type: 'varchar', length: 50 })
  auditableType: string;

  @Column({ name: 'auditable_id', type: 'integer', nullable: true })
  auditableId: number | null;

  @Column({ name: 'auditable_name', type: 'varchar', length: 255, nullable: true })
  auditableName: string | null;

  /** JSON text of the changes, secrets already masked. */
  @Column({ name: 'audited_changes', type: 'text', nullable: true })
  auditedChanges: string | null;

  @Column({ name: 'remote_address', type: 'varchar', length: 100, nullable: true })
  remoteAddress: string | null;

  @Column({ name: 'request_uuid', type: 'varchar', length: 128, nullable: true })
  requestUuid: string | null;
}

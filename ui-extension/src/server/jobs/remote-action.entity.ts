import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One row per namespace + action + canonical arguments; jobs and replays point at it. */
@Entity('remote_actions')
export class RemoteActionEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'namespace', type: 'varchar', length: 100 })
  namespace: string;

  @Column({ name: 'action', type: 'varchar', length: 100 })
  action: string;

  /** Canonical JSON (sorted keys) of the arguments. */
  @Column({ name: 'arguments', type: 'text' })
  arguments: string;

  /** sha256 of namespace, action and canonical arguments. */
  @Index('uq_remote_actions_hash', { unique: true })
  @Column({ name: 'arguments_hash', type: 'varchar', length: 64 })
  argumentsHash: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

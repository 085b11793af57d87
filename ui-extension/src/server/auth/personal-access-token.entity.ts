import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A personal access token, sent as the HTTP Basic password; only its SHA-256 is kept. */
@Entity('personal_access_tokens')
@Index('uq_personal_access_tokens_hash', ['tokenHash'], { unique: true })
@Index('idx_personal_access_tokens_user', ['userId'])
export class PersonalAccessTokenEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @Column({ name: 'name', type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3, nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'last_used_at', type: 'datetime', precision: 3, nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'revoked', type: 'boolean', default: false })
  revoked: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A browser session; `id` is the SHA-256 of the cookie's token, never the token itself. */
@Entity('user_sessions')
export class UserSessionEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 })
  id: string;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @Column({ name: 'csrf_token', type: 'varchar', length: 64 })
  csrfToken: string;

  @Column({ name: 'source_address', type: 'varchar', length: 64, nullable: true })
  sourceAddress: string | null;

  /** Digest of the password hash the session was opened with (auth.service `credentialStamp`). */
  @Column({ name: 'credential_stamp', type: 'varchar', length: 64, nullable: true })
  credentialStamp: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'last_seen_at', type: 'datetime', precision: 3 })
  lastSeenAt: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt: Date;
}

import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A registered proxy-plugin: one per Puppet master, reached over gRPC at `url`. */
@Entity('smart_proxies')
@Index('uq_smart_proxies_name', ['name'], { unique: true })
export class SmartProxyEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'name', type: 'varchar', length: 191 })
  name: string;

  /** gRPC address, `host:port` (e.g. `127.0.0.1:50051`). */
  @Column({ name: 'url', type: 'varchar', length: 255 })
  url: string;

  /** JSON text rather than a JSON column type so the same migration runs on MySQL and SQLite. */
  @Column({ name: 'features', type: 'simple-json' })
  features: string[];

  @Column({ name: 'capabilities', type: 'simple-json' })
  capabilities: string[];

  /** `choria`, `mcollective` or `demo`. */
  @Column({ name: 'transport', type: 'varchar', length: 32, nullable: true })
  transport: string | null;

  /** `unknown` until first contact, then `online` or `offline`. */
  @Column({ name: 'status', type: 'varchar', length: 16, default: 'unknown' })
  status: string;

  @Column({ name: 'last_seen_at', type: 'datetime', precision: 3, nullable: true })
  lastSeenAt: Date | null;

  @Column({ name: 'demo', type: 'boolean', default: false })
  demo: boolean;

  @Column({ name: 'version', type: 'varchar', length: 64, nullable: true })
  version: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A managed host. `smart_proxy_id` is its Puppet master's proxy, the only proxy that can reach it.
 * A host that stops being reported by its proxy gets `missing_since`; it is never deleted by a sync.
 */
@Entity('hosts')
@Index('uq_hosts_name', ['name'], { unique: true })
export class HostEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  /** FQDN; also the broker identity of the node. */
  @Column({ name: 'name', type: 'varchar', length: 255 })
  name: string;

  @Index('idx_hosts_hostgroup')
  @Column({ name: 'hostgroup_id', type: 'integer', nullable: true })
  hostgroupId: number | null;

  @Index('idx_hosts_smart_proxy')
  @Column({ name: 'smart_proxy_id', type: 'integer', nullable: true })
  smartProxyId: number | null;

  @Index('idx_hosts_organization')
  @Column({ name: 'organization_id', type: 'integer', nullable: true })
  organizationId: number | null;

  @Index('idx_hosts_location')
  @Column({ name: 'location_id', type: 'integer', nullable: true })
  locationId: number | null;

  @Column({ name: 'last_seen_at', type: 'datetime', precision: 3, nullable: true })
  lastSeenAt: Date | null;

  @Column({ name: 'missing_since', type: 'datetime', precision: 3, nullable: true })
  missingSince: Date | null;

  /** The Foreman id it was synced from; NULL when another source brought it (inventory/foreman-sync.service.ts). */
  @Column({ name: 'foreman_id', type: 'integer', nullable: true })
  foremanId: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Longest fact value kept; the (name, value) index must fit InnoDB's 3072-byte key limit in utf8mb4. */
export const FACT_VALUE_MAX = 255;

/**
 * One fact of one host. The primary key (host_id, name) clusters a host's facts together on
 * InnoDB (the host page and sync diff read them by host); the (name, value, host_id) index answers
 * `facts.osfamily = RedHat` as an index-only semi-join at 3M rows.
 */
@Entity('facts')
@Index('idx_facts_name_value', ['name', 'value', 'hostId'])
export class FactEntity {
  @PrimaryColumn({ name: 'host_id', type: 'integer' })
  hostId: number;

  @PrimaryColumn({ name: 'name', type: 'varchar', length: 191 })
  name: string;

  @Column({ name: 'value', type: 'varchar', length: FACT_VALUE_MAX })
  value: string;

  /** The inventory source that wrote it (inventory-writer's FactSource); NULL for rows older than sources. */
  @Column({ name: 'source', type: 'varchar', length: 16, nullable: true })
  source: string | null;
}

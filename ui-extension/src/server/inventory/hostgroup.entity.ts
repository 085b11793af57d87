import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A hostgroup in a tree, stored as Foreman does: `parent_id`, `ancestry` (ids of the ancestors from
 * the root, `1/5`; null for a root) and `title`, the full path of names (`base/web`). The title is
 * unique, so "this group and its descendants" is `title = t OR title LIKE 't/%'` on its index.
 */
@Entity('hostgroups')
@Index('uq_hostgroups_title', ['title'], { unique: true })
export class HostgroupEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'name', type: 'varchar', length: 191 })
  name: string;

  @Index('idx_hostgroups_parent')
  @Column({ name: 'parent_id', type: 'integer', nullable: true })
  parentId: number | null;

  @Column({ name: 'ancestry', type: 'varchar', length: 255, nullable: true })
  ancestry: string | null;

  @Column({ name: 'title', type: 'varchar', length: 255 })
  title: string;

  /** The Foreman id it was synced from; NULL when another source brought it (inventory/foreman-sync.service.ts). */
  @Column({ name: 'foreman_id', type: 'integer', nullable: true })
  foremanId: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A Foreman role: a named set of filters, assigned to users. */
@Entity('roles')
@Index('uq_roles_name', ['name'], { unique: true })
export class RoleEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'name', type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'description', type: 'varchar', length: 255, nullable: true })
  description: string | null;

  /** Written from auth/abilities.ts at every start and locked against edits. */
  @Column({ name: 'builtin', type: 'boolean', default: false })
  builtin: boolean;

  @Column({ name: 'cloned_from_id', type: 'integer', nullable: true })
  clonedFromId: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** Permissions of a role, narrowed by a search (abilities.ts `parseFilterSearch`). */
@Entity('filters')
@Index('idx_filters_role', ['roleId'])
export class FilterEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'role_id', type: 'integer' })
  roleId: number;

  /** JSON list of permission names. */
  @Column({ name: 'permissions', type: 'varchar', length: 1000 })
  permissions: string;

  @Column({ name: 'search', type: 'varchar', length: 2000, nullable: true })
  search: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

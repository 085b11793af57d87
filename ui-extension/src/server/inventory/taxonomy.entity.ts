import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A Foreman organization: a taxonomy that scopes hosts. */
@Entity('organizations')
@Index('uq_organizations_name', ['name'], { unique: true })
export class OrganizationEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'name', type: 'varchar', length: 191 })
  name: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** A Foreman location: the other taxonomy that scopes hosts. */
@Entity('locations')
@Index('uq_locations_name', ['name'], { unique: true })
export class LocationEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'name', type: 'varchar', length: 191 })
  name: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

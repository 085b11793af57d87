import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn({ name: 'id' })
  id: number;

  @Column({ name: 'login', type: 'varchar', length: 100, unique: true })
  login: string;

  /** bcrypt hash; never leaves the server. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ name: 'admin', type: 'boolean', default: false })
  admin: boolean;

  @Column({ name: 'mail', type: 'varchar', length: 255, nullable: true })
  mail: string | null;

  @Column({ name: 'firstname', type: 'varchar', length: 100, nullable: true })
  firstname: string | null;

  @Column({ name: 'lastname', type: 'varchar', length: 100, nullable: true })
  lastname: string | null;

  /** A disabled user cannot log in, by password or by token. */
  @Column({ name: 'disabled', type: 'boolean', default: false })
  disabled: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

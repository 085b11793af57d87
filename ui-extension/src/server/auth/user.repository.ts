import type { DataSource } from 'typeorm';
import { UserEntity } from './user.entity';

export interface UserRepository {
  findByLogin(login: string): Promise<UserEntity | null>;
  count(): Promise<number>;
  create(user: { login: string; passwordHash: string; admin: boolean; now: Date }): Promise<UserEntity>;
}

export function createUserRepository(dataSource: DataSource): UserRepository {
  const repo = dataSource.getRepository(UserEntity);
  return {
    findByLogin: (login) => repo.findOne({ where: { login } }),
    count: () => repo.count(),
    async create({ login, passwordHash, admin, now }) {
      const entity = repo.create({ login, passwordHash, admin, createdAt: now, updatedAt: now });
      return repo.save(entity);
    },
  };
}

import { LessThan, MoreThan, type DataSource } from 'typeorm';
import { UserSessionEntity } from './user-session.entity';

export interface StoredSession {
  id: string;
  csrfToken: string;
  lastSeenAt: Date;
  expiresAt: Date;
  userId: number;
}

export interface SessionRepository {
  create(session: { id: string; userId: number; csrfToken: string; sourceAddress: string | null; now: Date; expiresAt: Date }): Promise<void>;
  /** The unexpired session, or null. */
  findValid(id: string, now: Date): Promise<StoredSession | null>;
  /** Moves the idle expiry forward. */
  touch(id: string, now: Date, expiresAt: Date): Promise<void>;
  delete(id: string): Promise<void>;
  deleteExpired(now: Date): Promise<number>;
}

export function createSessionRepository(dataSource: DataSource): SessionRepository {
  const repo = dataSource.getRepository(UserSessionEntity);
  return {
    async create({ id, userId, csrfToken, sourceAddress, now, expiresAt }) {
      await repo.insert({ id, userId, csrfToken, sourceAddress, createdAt: now, lastSeenAt: now, expiresAt });
    },
    async findValid(id, now) {
      const row = await repo.findOneBy({ id, expiresAt: MoreThan(now) });
      if (!row) return null;
      return { id: row.id, csrfToken: row.csrfToken, lastSeenAt: row.lastSeenAt, expiresAt: row.expiresAt, userId: row.userId };
    },
    async touch(id, now, expiresAt) {
      await repo.update({ id }, { lastSeenAt: now, expiresAt });
    },
    async delete(id) {
      await repo.delete({ id });
    },
    async deleteExpired(now) {
      const result = await repo.delete({ expiresAt: LessThan(now) });
      return result.affected ?? 0;
    },
  };
}

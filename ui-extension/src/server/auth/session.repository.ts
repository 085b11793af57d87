import { LessThan, MoreThan, Not, type DataSource } from 'typeorm';
import { UserSessionEntity } from './user-session.entity';

export interface StoredSession {
  id: string;
  csrfToken: string;
  credentialStamp: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  userId: number;
}

export interface SessionRepository {
  create(session: { id: string; userId: number; csrfToken: string; credentialStamp: string | null; sourceAddress: string | null; now: Date; expiresAt: Date }): Promise<void>;
  /** The unexpired session, or null. */
  findValid(id: string, now: Date): Promise<StoredSession | null>;
  /** Moves the idle expiry forward. */
  touch(id: string, now: Date, expiresAt: Date): Promise<void>;
  delete(id: string): Promise<void>;
  /** Deletes every session of a user but `keepId`, and gives `keepId` (if it is the user's) the new stamp. */
  replaceCredentials(userId: number, credentialStamp: string, keepId?: string): Promise<void>;
  deleteExpired(now: Date): Promise<number>;
}

export function createSessionRepository(dataSource: DataSource): SessionRepository {
  const repo = dataSource.getRepository(UserSessionEntity);
  return {
    async create({ id, userId, csrfToken, credentialStamp, sourceAddress, now, expiresAt }) {
      await repo.insert({ id, userId, csrfToken, credentialStamp, sourceAddress, createdAt: now, lastSeenAt: now, expiresAt });
    },
    async findValid(id, now) {
      const row = await repo.findOneBy({ id, expiresAt: MoreThan(now) });
      if (!row) return null;
      return { id: row.id, csrfToken: row.csrfToken, credentialStamp: row.credentialStamp, createdAt: row.createdAt, lastSeenAt: row.lastSeenAt, expiresAt: row.expiresAt, userId: row.userId };
    },
    async touch(id, now, expiresAt) {
      await repo.update({ id }, { lastSeenAt: now, expiresAt });
    },
    async delete(id) {
      await repo.delete({ id });
    },
    async replaceCredentials(userId, credentialStamp, keepId) {
      await dataSource.transaction(async (manager) => {
        const sessions = manager.getRepository(UserSessionEntity);
        await sessions.delete(keepId === undefined ? { userId } : { userId, id: Not(keepId) });
        if (keepId !== undefined) await sessions.update({ id: keepId, userId }, { credentialStamp });
      });
    },
    async deleteExpired(now) {
      const result = await repo.delete({ expiresAt: LessThan(now) });
      return result.affected ?? 0;
    },
  };
}

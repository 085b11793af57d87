import type { AuditEntry, AuditService } from '@server/audit/audit.service';
import { createLoginFailureAudit, type LoginFailure } from '@server/audit/login-failure-audit';
import { silentLogger } from '@server/logger';

/** The audit service's `record`, keeping entries in memory (a unit test has no database). */
function recordingAudit(options: { failWrites?: () => boolean } = {}) {
  const entries: AuditEntry[] = [];
  const audit = {
    async record(entry: AuditEntry) {
      if (options.failWrites?.()) throw new Error('database gone');
      entries.push(entry);
    },
  } as unknown as AuditService;
  return { audit, entries };
}

const failure = (over: Partial<LoginFailure> = {}): LoginFailure => ({ action: 'login_failed', login: 'alice', userId: 7, address: '192.0.2.1', method: 'password', reason: 'wrong password', requestId: 'r-1', ...over });
const counted = (entries: AuditEntry[]) => entries.reduce((n, e) => n + Number(e.changes?.count ?? 0), 0);

describe(createLoginFailureAudit.name, () => {
  let now: Date;
  const clock = () => now;

  beforeEach(() => {
    // The end-of-minute timer is a real setTimeout in the service; the clock below is what counts.
    jest.useFakeTimers();
    now = new Date('2026-03-01T10:00:10Z');
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('writes the first failure of a login and address at once and the rest of the minute as one entry with their count', async () => {
    const { audit, entries } = recordingAudit();
    const failures = createLoginFailureAudit({ audit, clock, logger: silentLogger() });
    await failures.record(failure());
    expect(entries).toEqual([expect.objectContaining({ action: 'login_failed', user: { id: 7, login: 'alice' }, source: '192.0.2.1', requestId: 'r-1', changes: { method: 'password', count: 1, reasons: { 'wrong password': 1 } } })]);
    for (let i = 0; i < 40; i++) {
      now = new Date(now.getTime() + 1000);
      await failures.record(failure({ reason: i % 2 === 0 ? 'wrong password' : 'user disabled' }));
    }
    await failures.flush();
    expect(entries).toHaveLength(1);
    now = new Date('2026-03-01T10:01:00Z');
    await failures.flush();
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({ requestId: null, changes: { count: 40, reasons: { 'wrong password': 20, 'user disabled': 20 }, first_at: '2026-03-01T10:00:11.000Z', last_at: '2026-03-01T10:00:50.000Z' } });
    expect(counted(entries)).toBe(41);
  });

  it('keeps actions, methods, addresses and minutes apart', async () => {
    const { audit, entries } = recordingAudit();
    const failures = createLoginFailureAudit({ audit, clock, logger: silentLogger() });
    await failures.record(failure());
    await failures.record(failure({ action: 'login_blocked', reason: 'login_address limit' }));
    await failures.record(failure({ method: 'session' }));
    await failures.record(failure({ address: '192.0.2.2' }));
    now = new Date('2026-03-01T10:01:10Z');
    await failures.record(failure());
    expect(entries).toHaveLength(5);
    expect(counted(entries)).toBe(5);
  });

  it('counts the names beyond the per-address limit together under no login, so made-up names cannot multiply the rows', async () => {
    const { audit, entries } = recordingAudit();
    const failures = createLoginFailureAudit({ audit, clock, logger: silentLogger(), maxLoginsPerAddress: 3 });
    for (let i = 0; i < 300; i++) await failures.record(failure({ login: `ghost-${i}`, userId: null, reason: 'unknown user' }));
    await failures.close();
    expect(entries.filter((e) => e.user !== null).map((e) => e.user!.login)).toEqual(['ghost-0', 'ghost-1', 'ghost-2']);
    const others = entries.filter((e) => e.user === null);
    expect(others).toHaveLength(2);
    expect(others.every((e) => e.changes?.other_logins === true && e.object.name === null)).toBe(true);
    expect(counted(entries)).toBe(300);
  });

  it("keeps a real user's failures under its own name after made-up names spent the address's limit, so a spray cannot hide an attack on it", async () => {
    const { audit, entries } = recordingAudit();
    const failures = createLoginFailureAudit({ audit, clock, logger: silentLogger(), maxLoginsPerAddress: 3 });
    for (let i = 0; i < 50; i++) await failures.record(failure({ login: `ghost-${i}`, userId: null, reason: 'unknown user' }));
    for (let i = 0; i < 10; i++) await failures.record(failure());
    await failures.close();
    const alice = entries.filter((e) => e.user?.login === 'alice');
    expect(alice.map((e) => e.changes?.count)).toEqual([1, 9]);
    expect(alice.every((e) => e.object.id === 7 && e.changes?.other_logins === undefined)).toBe(true);
    expect(entries.filter((e) => e.user === null).reduce((n, e) => n + Number(e.changes?.count), 0)).toBe(47);
    expect(counted(entries)).toBe(60);
  });

  it('writes everything still counted when closed', async () => {
    const { audit, entries } = recordingAudit();
    const failures = createLoginFailureAudit({ audit, clock, logger: silentLogger() });
    for (let i = 0; i < 5; i++) await failures.record(failure());
    await failures.close();
    expect(counted(entries)).toBe(5);
  });

  it('keeps the count of a remainder it could not write for the next try', async () => {
    let down = false;
    const { audit, entries } = recordingAudit({ failWrites: () => down });
    const failures = createLoginFailureAudit({ audit, clock, logger: silentLogger() });
    for (let i = 0; i < 3; i++) await failures.record(failure());
    down = true;
    await failures.flush(true);
    down = false;
    await failures.record(failure());
    await failures.close();
    expect(counted(entries)).toBe(4);
  });
});

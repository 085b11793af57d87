import type { AuditEntry, AuditService } from '@server/audit/audit.service';
import { OTHER_REASONS } from '@server/audit/counted-audit';
import { createDenialAudit, type Denial } from '@server/audit/denial-audit';
import { silentLogger } from '@server/logger';

/** The audit service's `record`, keeping entries in memory (a unit test has no database). */
function recordingAudit() {
  const entries: AuditEntry[] = [];
  const audit = { record: async (entry: AuditEntry) => void entries.push(entry) } as unknown as AuditService;
  return { audit, entries };
}

const denial = (over: Partial<Denial> = {}): Denial => ({
  user: { id: 7, login: 'viewer' },
  address: '192.0.2.1',
  route: 'POST /api/v2/inventory/import',
  path: '/api/v2/inventory/import',
  permissions: ['manage_inventory'],
  reason: 'access denied: importing an inventory needs the manage_inventory permission',
  requestId: 'r-1',
  ...over,
});
const counted = (entries: AuditEntry[]) => entries.reduce((n, e) => n + Number(e.changes?.count ?? 0), 0);

describe(createDenialAudit.name, () => {
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

  it('writes the first refusal of a user and route at once with who, what and which permission, and the rest of the minute as one counted entry', async () => {
    const { audit, entries } = recordingAudit();
    const denials = createDenialAudit({ audit, clock, logger: silentLogger() });
    await denials.record(denial());
    expect(entries).toEqual([{
      user: { id: 7, login: 'viewer' },
      action: 'denied',
      object: { type: 'Route', name: 'POST /api/v2/inventory/import' },
      changes: { method: 'POST', permissions: ['manage_inventory'], path: '/api/v2/inventory/import', count: 1, reasons: { 'access denied: importing an inventory needs the manage_inventory permission': 1 } },
      source: '192.0.2.1',
      requestId: 'r-1',
    }]);
    for (let i = 0; i < 999; i++) {
      now = new Date(now.getTime() + 40);
      await denials.record(denial({ requestId: `r-${i + 2}` }));
    }
    await denials.flush();
    expect(entries).toHaveLength(1);
    now = new Date('2026-03-01T10:01:00Z');
    await denials.flush();
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({ requestId: null, object: { name: 'POST /api/v2/inventory/import' }, changes: { count: 999, first_at: '2026-03-01T10:00:10.040Z' } });
    expect(entries[1].changes).not.toHaveProperty('path');
    expect(counted(entries)).toBe(1000);
  });

  it('keeps users, routes, missing permissions, addresses and minutes apart', async () => {
    const { audit, entries } = recordingAudit();
    const denials = createDenialAudit({ audit, clock, logger: silentLogger() });
    await denials.record(denial());
    await denials.record(denial({ user: { id: 8, login: 'other' } }));
    await denials.record(denial({ route: 'POST /api/v2/smart_proxies/:id/refresh', path: '/api/v2/smart_proxies/3/refresh' }));
    await denials.record(denial({ permissions: ['view_hosts'] }));
    await denials.record(denial({ address: '192.0.2.2' }));
    now = new Date('2026-03-01T10:01:10Z');
    await denials.record(denial());
    expect(entries).toHaveLength(6);
    expect(counted(entries)).toBe(6);
  });

  it('counts the routes of a user beyond the per-minute limit together, so varied routes cannot multiply the rows', async () => {
    const { audit, entries } = recordingAudit();
    const denials = createDenialAudit({ audit, clock, logger: silentLogger(), maxRoutesPerUser: 3 });
    for (let i = 0; i < 300; i++) await denials.record(denial({ route: `GET /api/v2/made-up/${i}`, path: `/api/v2/made-up/${i}` }));
    await denials.close();
    expect(entries.filter((e) => e.object.name !== null).map((e) => e.object.name)).toEqual(['GET /api/v2/made-up/0', 'GET /api/v2/made-up/1', 'GET /api/v2/made-up/2']);
    const others = entries.filter((e) => e.object.name === null);
    expect(others).toHaveLength(2);
    expect(others.every((e) => e.changes?.other_routes === true && e.user?.login === 'viewer')).toBe(true);
    expect(counted(entries)).toBe(300);
  });

  it('names at most 20 distinct reasons in an entry and counts the rest together', async () => {
    const { audit, entries } = recordingAudit();
    const denials = createDenialAudit({ audit, clock, logger: silentLogger() });
    for (let i = 0; i < 100; i++) await denials.record(denial({ reason: `access denied: job ${i} has hosts outside your cancel_jobs filters` }));
    await denials.close();
    const reasons = entries[1].changes?.reasons as Record<string, number>;
    expect(Object.keys(reasons)).toHaveLength(21);
    // The first refusal is the first entry's; of the other 99, 20 are named and 79 counted together.
    expect(reasons[OTHER_REASONS]).toBe(79);
    expect(counted(entries)).toBe(100);
  });

  it('audits a refusal of an unidentified caller (a session without its CSRF token) by its address', async () => {
    const { audit, entries } = recordingAudit();
    const denials = createDenialAudit({ audit, clock, logger: silentLogger() });
    await denials.record(denial({ user: null, permissions: [], route: 'POST /api/v2/users', path: '/api/v2/users', reason: 'X-CSRF-Token: missing' }));
    expect(entries).toEqual([expect.objectContaining({ user: null, source: '192.0.2.1', object: { type: 'Route', name: 'POST /api/v2/users' } })]);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { auditLine, createAuditLog, MASK, type AuditRecord } from '@proxy/actions/audit';
import { parseAgentDdl } from '@proxy/actions/ddl-registry';
import { anAgentDdlJson, anInput } from '@test/fixtures/agent-ddl';

const login = parseAgentDdl(
  anAgentDdlJson({
    login: {
      user: anInput({ type: 'string' }),
      db_password: anInput({ type: 'string' }),
      pin: anInput({ type: 'string', sensitive: true }),
    },
  }),
  'ddl_directory',
).actions.get('login');

function aRecord(fields: Partial<AuditRecord> = {}): AuditRecord {
  return {
    executionId: 'job-7',
    requestIds: ['0123456789abcdef0123456789abcdef'],
    caller: 'admin',
    agent: 'test',
    action: 'login',
    actionSpec: login,
    arguments: { user: 'root', db_password: 'hunter2', pin: '1234' },
    targets: Array.from({ length: 25 }, (_, i) => `node${i}`),
    outcome: { state: 'completed', succeeded: 24, failed: 0, no_response: 1, cancelled: 0, unexpected: 0 },
    durationMs: 812,
    ...fields,
  };
}

describe(auditLine.name, () => {
  const line = JSON.parse(auditLine(aRecord(), Date.UTC(2026, 10, 23, 12, 0, 0), 'rex-proxy'));

  it('masks inputs named like secrets and inputs the DDL marks sensitive', () => {
    expect(line.data).toEqual({ user: 'root', db_password: MASK, pin: MASK });
  });

  it('lists the target count and only the first identities when there are many', () => {
    expect(line.targets.count).toBe(25);
    expect(line.targets.first).toHaveLength(10);
    expect(line.targets.first[0]).toBe('node0');
  });

  it('records who, what, when and the outcome as Choria-style keys', () => {
    expect(line).toMatchObject({
      timestamp: '2026-11-23T12:00:00.000Z',
      execution_id: 'job-7',
      request_ids: ['0123456789abcdef0123456789abcdef'],
      caller: 'admin',
      sender: 'rex-proxy',
      agent: 'test',
      action: 'login',
      outcome: { state: 'completed', succeeded: 24, no_response: 1 },
      duration_ms: 812,
    });
  });

  it('masks a secret-named input even when the action has no DDL', () => {
    const masked = JSON.parse(auditLine(aRecord({ actionSpec: undefined, arguments: { api_token: 'abc', n: 1 } }), 0, 'p'));
    expect(masked.data).toEqual({ api_token: MASK, n: 1 });
  });
});

describe(createAuditLog.name, () => {
  it('appends one JSON line per record to a 0600 file when a file is configured', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'audit-')), 'audit.log');
    const audit = createAuditLog({ file, sender: 'rex-proxy', now: () => 0 });
    audit.record(aRecord());
    audit.record(aRecord({ executionId: 'job-8' }));
    await audit.close();
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.execution_id)).toEqual(['job-7', 'job-8']);
    expect(fs.readFileSync(file, 'utf8')).not.toContain('hunter2');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('reopens the file by its name, and reports a file it cannot open instead of throwing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-'));
    const file = path.join(dir, 'audit.log');
    let reported: (error: Error) => void = () => undefined;
    const failed = new Promise<Error>((resolve) => (reported = resolve));
    const audit = createAuditLog({ file, sender: 'rex-proxy', now: () => 0, onError: (error) => reported(error) });
    audit.record(aRecord({ executionId: 'before' }));
    // A reopen ends the stream it replaces, so its lines are in the file when it resolves.
    await audit.reopen();
    // logrotate moves the file, then signals.
    fs.renameSync(file, `${file}.1`);
    await audit.reopen();
    audit.record(aRecord({ executionId: 'after' }));
    await audit.reopen();
    const ids = (f: string) => fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { execution_id: string }).execution_id);
    expect([ids(`${file}.1`), ids(file)]).toEqual([['before'], ['after']]);
    // The directory gone (a logrotate set-up gone wrong): the error is reported, nothing throws.
    fs.rmSync(dir, { recursive: true, force: true });
    await audit.reopen();
    audit.record(aRecord({ executionId: 'lost' }));
    expect((await failed as NodeJS.ErrnoException).code).toBe('ENOENT');
    await audit.close();
  });
});

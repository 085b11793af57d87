/**
 * A job's hosts exported as CSV and JSON lines (issue #19): the hosts list's search and states,
 * streamed in batches, the caller's scope. Against the real app of the auth stack; the large job's
 * host rows are written straight into the database (no fleet answers 10,000 hosts in a test).
 */
import type { JobHost } from '@common/jobs';
import { testDatabases } from '@test/support/databases';
import type request from 'supertest';
import { startAuthStack, type AuthStack } from '../auth/support/auth-stack';

jest.setTimeout(180_000);

/** The body as it came, and in how many pieces. */
function chunked(test: request.Test): request.Test {
  return test.buffer(true).parse((res, done) => {
    let text = '';
    let chunks = 0;
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      chunks += 1;
      text += c;
    });
    res.on('end', () => done(null, { text, chunks }));
  });
}

/** RFC 4180 lines back into cells (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe.each(testDatabases())('job hosts export on $kind', (database) => {
  let s: AuthStack;
  let bigJob: number;
  const HOSTS = 10_000;
  const pad = (i: number) => String(i).padStart(5, '0');

  beforeAll(async () => {
    s = await startAuthStack(database);
    const ds = s.db.dataSource;
    await ds.query("INSERT INTO job_invocations (remote_action_id, state, owner, description, timeout_s, ddl, total_hosts, created_at, updated_at) SELECT remote_action_id, 'failed', owner, ?, timeout_s, ddl, ?, created_at, updated_at FROM job_invocations WHERE id = ?", [`${s.prefix}big`, HOSTS, s.jobs.webStatus.id]);
    bigJob = Number(((await ds.query('SELECT MAX(id) AS id FROM job_invocations')) as Array<{ id: number }>)[0].id);
    for (let i = 0; i < HOSTS; i += 500) {
      const rows: unknown[] = [];
      for (let h = i; h < i + 500; h++) {
        const failed = h % 100 === 7;
        // Host names out of id order: the export walks names, not insertion.
        rows.push(bigJob, 1_000_000 + h, `${s.prefix}h${pad((h * 7919) % HOSTS)}`, failed ? 'failed' : 'succeeded', failed ? 1 : 0, failed ? '=cmd|"No space left", really' : 'OK', failed ? '{"status":"No space left\\non device"}' : '{"status":"running"}', h + 1);
      }
      await ds.query(`INSERT INTO job_invocation_hosts (job_invocation_id, host_id, host_name, state, statuscode, statusmsg, data, event_seq) VALUES ${new Array(500).fill('(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, rows);
    }
  });

  afterAll(async () => {
    await s?.close();
  });

  it('streams every host of a 10,000-host job as CSV in name order, in many pieces, with a header', async () => {
    const res = await chunked(s.as('admin').get(`/api/v2/remote_execution/jobs/${bigJob}/hosts/export?format=csv`)).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toContain(`job-${bigJob}-hosts.csv`);
    const { text, chunks } = res.body as { text: string; chunks: number };
    expect(chunks).toBeGreaterThan(5);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(['host_id', 'host_name', 'state', 'smart_proxy_id', 'statuscode', 'statusmsg', 'reason', 'output', 'data', 'started_at', 'finished_at', 'late']);
    const names = rows.slice(1).map((r) => r[1]);
    expect(names).toHaveLength(HOSTS);
    expect(names).toEqual(Array.from({ length: HOSTS }, (_, i) => `${s.prefix}h${pad(i)}`));
    // A formula-like message is defused, and quotes, commas and line breaks survive the round trip.
    const failed = rows.find((r) => r[2] === 'failed')!;
    expect(failed[5]).toBe('\'=cmd|"No space left", really');
    expect(JSON.parse(failed[8])).toEqual({ status: 'No space left\non device' });
  });

  it('exports JSON lines with the hosts list\'s fields, narrowed by the same search and states', async () => {
    const search = encodeURIComponent('output ~ "No space"');
    const res = await chunked(s.as('admin').get(`/api/v2/remote_execution/jobs/${bigJob}/hosts/export?format=jsonl&search=${search}&state=failed`)).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = (res.body as { text: string }).text.trimEnd().split('\n').map((l) => JSON.parse(l) as JobHost);
    expect(lines).toHaveLength(HOSTS / 100);
    expect(lines.every((h) => h.state === 'failed' && h.statuscode === 1)).toBe(true);
    const list = (await s.as('admin').get(`/api/v2/remote_execution/jobs/${bigJob}/hosts?search=${search}&state=failed&per_page=1`).expect(200)).body as { subtotal: number; results: JobHost[] };
    expect(list.subtotal).toBe(lines.length);
    expect(lines[0]).toEqual(list.results[0]);
  });

  it('exports a job that ran with the times, proxy and output the hosts list shows', async () => {
    const lines = ((await chunked(s.as('admin').get(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}/hosts/export?format=jsonl`)).expect(200)).body as { text: string }).text.trimEnd().split('\n').map((l) => JSON.parse(l) as JobHost);
    const list = (await s.as('admin').get(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}/hosts?per_page=100`).expect(200)).body as { results: JobHost[] };
    expect(lines.every((h) => h.started_at !== null && h.smart_proxy_id !== null)).toBe(true);
    expect(lines).toEqual(list.results);
  });

  it('answers 400 naming the problem before streaming anything, and 404 for a job out of scope', async () => {
    const unknown = await s.as('admin').get(`/api/v2/remote_execution/jobs/${bigJob}/hosts/export?search=colour%20%3D%20red`).expect(400);
    expect((unknown.body as { error: { message: string } }).error.message).toContain("unknown field 'colour'");
    const format = await s.as('admin').get(`/api/v2/remote_execution/jobs/${bigJob}/hosts/export?format=xlsx`).expect(400);
    expect((format.body as { error: { message: string } }).error.message).toContain('format');
    await s.as('outOfScope').get(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}/hosts/export`).expect(404);
    const mine = await chunked(s.as('inScope').get(`/api/v2/remote_execution/jobs/${s.jobs.webStatus.id}/hosts/export?format=jsonl`)).expect(200);
    expect((mine.body as { text: string }).text.trimEnd().split('\n').map((l) => (JSON.parse(l) as JobHost).host_name)).toEqual([s.hosts.webA.name]);
  });
});

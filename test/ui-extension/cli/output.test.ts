import { Writable } from 'node:stream';
import { LosslessNumber } from 'lossless-json';
import YAML from 'yaml';
import { localTime, parseOutputOptions, printJson, printRecord, printTable, type Io, type OutputOptions } from '../../../ui-extension/src/cli/output';

/** An Io writing to strings, with the given output options. */
function capture(output: Partial<OutputOptions> = {}): { io: Io; out: () => string } {
  let text = '';
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { text += chunk.toString(); done(); } });
  const io: Io = { out: sink, err: sink, env: { TZ: 'Asia/Kolkata' }, askSecret: async () => '', output: { format: 'table', headers: true, ...output } };
  return { io, out: () => text };
}

const rows = [
  { id: 1, name: 'web, "one"', seen: '2026-12-06T08:15:02.113Z', tags: ['a', 'b'] },
  { id: 2, name: 'db', seen: null, tags: [] },
];
const columns = [['id', (r: (typeof rows)[number]) => r.id], ['name', (r: (typeof rows)[number]) => r.name], ['last seen', (r: (typeof rows)[number]) => r.seen], ['tags', (r: (typeof rows)[number]) => r.tags]] as const;

describe(printTable.name, () => {
  it('pads columns and prints times local to the second when the format is table', () => {
    const { io, out } = capture();
    printTable(io, rows, columns);
    expect(out()).toBe('ID  NAME        LAST SEEN            TAGS\n1   web, "one"  2026-12-06 13:45:02  a,b\n2   db\n');
  });

  it('quotes fields as RFC 4180 and keeps ISO times when the format is csv', () => {
    const { io, out } = capture({ format: 'csv', fields: ['name', 'Last-Seen'] });
    printTable(io, rows, columns);
    expect(out()).toBe('name,last_seen\n"web, ""one""",2026-12-06T08:15:02.113Z\ndb,\n');
  });

  it('prints Key: value blocks, values only without headers, when the format is base', () => {
    const withHeaders = capture({ format: 'base', fields: ['id', 'last seen'] });
    printTable(withHeaders.io, rows, columns);
    expect(withHeaders.out()).toBe('Id:        1\nLast seen: 2026-12-06 13:45:02\n\nId:        2\nLast seen:\n');
    const bare = capture({ format: 'base', fields: ['id'], headers: false });
    printTable(bare.io, rows, columns);
    expect(bare.out()).toBe('1\n\n2\n');
  });

  it('prints the chosen fields as objects with the API\'s values when the format is json or yaml with --fields', () => {
    const json = capture({ format: 'json', fields: ['last_seen', 'id'] });
    printTable(json.io, rows, columns);
    expect(JSON.parse(json.out())).toEqual([{ last_seen: rows[0].seen, id: 1 }, { last_seen: null, id: 2 }]);
    const yaml = capture({ format: 'yaml', fields: ['tags'] });
    printTable(yaml.io, rows, columns);
    expect(YAML.parse(yaml.out())).toEqual([{ tags: ['a', 'b'] }, { tags: [] }]);
  });

  it('refuses a field that is not a column, naming the ones that are', () => {
    const { io } = capture({ fields: ['colour'] });
    expect(() => printTable(io, rows, columns)).toThrow('--fields: no field "colour" here; the fields are id, name, last_seen, tags');
  });
});

describe(printRecord.name, () => {
  it('prints a header row and one row when the format is csv', () => {
    const { io, out } = capture({ format: 'csv' });
    printRecord(io, [['Job ID', 4], ['Status', 'running']]);
    expect(out()).toBe('job_id,status\n4,running\n');
  });
});

describe(printJson.name, () => {
  it('writes numbers as the API sent them when the format is yaml', () => {
    const { io, out } = capture({ format: 'yaml' });
    printJson(io, { big: new LosslessNumber('1180591620717411303424'), float: new LosslessNumber('2.50'), plain: 3, at: '2026-12-06T08:15:02.113Z' });
    expect(out()).toBe('big: 1180591620717411303424\nfloat: 2.50\nplain: 3\nat: 2026-12-06T08:15:02.113Z\n');
  });
});

describe(parseOutputOptions.name, () => {
  it('reads --json as --output json and refuses an unknown format or a --json that contradicts --output', () => {
    expect(parseOutputOptions({ json: true })).toEqual({ format: 'json', fields: undefined, headers: true });
    expect(parseOutputOptions({ output: 'csv', fields: 'id, name', headers: false })).toEqual({ format: 'csv', fields: ['id', 'name'], headers: false });
    expect(() => parseOutputOptions({ output: 'xml' })).toThrow('--output: must be one of table, base, csv, json, yaml (got "xml")');
    expect(() => parseOutputOptions({ json: true, output: 'csv' })).toThrow('--json: not with --output csv');
    expect(() => parseOutputOptions({ fields: ' , ' })).toThrow('--fields: name at least one field');
  });
});

describe(localTime.name, () => {
  it('shows a time in the zone given, to the second, across a date line', () => {
    expect(localTime('2026-12-06T20:15:02.999Z', 'Asia/Kolkata')).toBe('2026-12-07 01:45:02');
    expect(localTime('2026-07-01T00:00:00Z', 'Europe/Berlin')).toBe('2026-07-01 02:00:00');
    expect(localTime('2026-07-01T00:00:00Z', 'UTC')).toBe('2026-07-01 00:00:00');
  });

  it('leaves text that is not an ISO time alone', () => {
    expect(localTime('2026-12-06')).toBe('2026-12-06');
    expect(localTime('Debian')).toBe('Debian');
  });
});

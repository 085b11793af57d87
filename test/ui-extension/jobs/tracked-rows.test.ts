import type { HostState } from '@common/jobs';
import { trackedRows } from '@server/jobs/tracked-rows';

const hosts = (rowIds: number[]) => rowIds.map((rowId) => ({ rowId, hostName: `h${rowId}`, smartProxyId: 1, state: 'pending' as HostState, asked: false }));

describe(trackedRows.name, () => {
  it('finds rows by id in any given order and nothing else', () => {
    const t = trackedRows(hosts([30, 10, 20]));
    expect(t.rows.map((h) => h.rowId)).toEqual([10, 20, 30]);
    expect([10, 20, 30].map((id) => t.byRow(id)?.hostName)).toEqual(['h10', 'h20', 'h30']);
    expect([0, 15, 31].map((id) => t.byRow(id))).toEqual([undefined, undefined, undefined]);
  });

  it('queues rows in the order first queued, as a Map does: a value set again keeps its place', () => {
    const q = trackedRows(hosts([1, 2, 3, 4, 5])).queue<string>();
    q.set(4, 'a');
    q.set(2, 'b');
    q.set(5, 'c');
    q.set(2, 'B');
    expect([...q]).toEqual([[4, 'a'], [2, 'B'], [5, 'c']]);
    expect(q.size).toBe(3);
    expect(q.get(2)).toBe('B');
    expect(q.get(1)).toBeUndefined();
  });

  it('drops deleted rows from the middle and the front, and queues a row again at the back', () => {
    const q = trackedRows(hosts([1, 2, 3, 4])).queue<number>();
    for (const id of [1, 2, 3, 4]) q.set(id, id * 10);
    expect(q.delete(2)).toBe(true);
    expect(q.delete(2)).toBe(false);
    expect(q.delete(1)).toBe(true);
    expect([...q]).toEqual([[3, 30], [4, 40]]);
    // The order array is full: queuing 1 again moves the queued rows to its front first.
    q.set(1, 11);
    q.set(2, 22);
    expect([...q]).toEqual([[3, 30], [4, 40], [1, 11], [2, 22]]);
    expect(q.size).toBe(4);
    for (const id of [3, 4, 1, 2]) q.delete(id);
    expect([...q]).toEqual([]);
    expect(q.size).toBe(0);
    q.set(3, 33);
    expect([...q]).toEqual([[3, 33]]);
  });

  it('refuses a row it does not track', () => {
    expect(() => trackedRows(hosts([1])).queue<boolean>().set(2, true)).toThrow('row 2 is not tracked');
  });
});

import type { TrackedHost } from './result-batch';

/**
 * A job's tracked hosts in row order, found by row id with a binary search, and queues of them for
 * the result writer. Issue #20: a Map by row id was ~5 MB of hash tables at 100k hosts (the table and
 * the smaller ones it outgrew), in the ui-extension's large-object space for the whole job; the hosts
 * come in row order already (trackedHosts).
 */
export function trackedRows(hosts: TrackedHost[]) {
  const rows = hosts.every((h, i) => i === 0 || hosts[i - 1].rowId < h.rowId) ? hosts : [...hosts].sort((a, b) => a.rowId - b.rowId);
  const indexOf = (rowId: number): number => {
    let lo = 0;
    let hi = rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = rows[mid].rowId;
      if (at === rowId) return mid;
      if (at < rowId) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  // Per proxy, then identity: a result's lookup hashes its identity alone (no key string built per result).
  const byProxy = new Map<number | null, Map<string, TrackedHost>>();
  for (const h of rows) {
    let names = byProxy.get(h.smartProxyId);
    if (!names) byProxy.set(h.smartProxyId, (names = new Map()));
    names.set(h.hostName, h);
  }
  return {
    rows,
    byRow: (rowId: number): TrackedHost | undefined => rows[indexOf(rowId)],
    byIdentity: (smartProxyId: number, identity: string): TrackedHost | undefined => byProxy.get(smartProxyId)?.get(identity),
    /** The hosts for which `keep` holds, in row order (no copy of every host first: 800 kB per call at 100k, 3 calls per proxy stream). */
    where(keep: (h: TrackedHost) => boolean): TrackedHost[] {
      const found: TrackedHost[] = [];
      for (const h of rows) if (keep(h)) found.push(h);
      return found;
    },
    /** An empty queue of these rows (they must be tracked here). */
    queue: <V>() => new RowQueue<V>(rows, indexOf),
  };
}

/**
 * Rows queued for one kind of write, each with a value, iterated in the order first queued: what a
 * Map by row id did here. Issue #20: the writer's Set and Map of queued rows grew to every host of
 * the job in the burst at dispatch and shrank back row by row, a new hash table at each step, most
 * in the large-object space: ~25 MB of garbage per 100k-host job. This holds two typed arrays of one
 * slot per host instead, allocated once (a row queued again after it left takes a new place).
 */
export class RowQueue<V> {
  /** Row indexes in the order queued; those before `head` were taken or deleted. */
  private order: Int32Array;
  /** Per row index: its place in `order` + 1; 0 when not queued. */
  private readonly slot: Int32Array;
  private readonly values: Array<V | undefined>;
  private head = 0;
  private tail = 0;
  size = 0;

  constructor(private readonly rows: readonly TrackedHost[], private readonly indexOf: (rowId: number) => number) {
    this.order = new Int32Array(rows.length);
    this.slot = new Int32Array(rows.length);
    this.values = new Array<V | undefined>(rows.length);
  }

  set(rowId: number, value: V): void {
    const i = this.indexOf(rowId);
    if (i < 0) throw new Error(`row ${rowId} is not tracked`);
    this.values[i] = value;
    if (this.slot[i] !== 0) return;
    if (this.tail === this.order.length) this.compact();
    this.order[this.tail] = i;
    this.slot[i] = ++this.tail;
    this.size += 1;
  }

  get(rowId: number): V | undefined {
    const i = this.indexOf(rowId);
    return i >= 0 && this.slot[i] !== 0 ? this.values[i] : undefined;
  }

  delete(rowId: number): boolean {
    const i = this.indexOf(rowId);
    if (i < 0 || this.slot[i] === 0) return false;
    this.slot[i] = 0;
    this.values[i] = undefined;
    this.size -= 1;
    while (this.head < this.tail && this.slot[this.order[this.head]] !== this.head + 1) this.head += 1;
    if (this.size === 0) this.head = this.tail = 0;
    return true;
  }

  /** [row id, value] of each queued row, oldest first. */
  *[Symbol.iterator](): IterableIterator<[number, V]> {
    for (let p = this.head; p < this.tail; p++) {
      const i = this.order[p];
      if (this.slot[i] === p + 1) yield [this.rows[i].rowId, this.values[i] as V];
    }
  }

  /** Moves the queued rows to the front of `order` (only needed once rows were queued again). */
  private compact(): void {
    let w = 0;
    for (let p = this.head; p < this.tail; p++) {
      const i = this.order[p];
      if (this.slot[i] === p + 1) {
        this.order[w] = i;
        this.slot[i] = ++w;
      }
    }
    this.head = 0;
    this.tail = w;
    if (w === this.order.length) {
      const bigger = new Int32Array(Math.max(16, 2 * w));
      bigger.set(this.order);
      this.order = bigger;
    }
  }
}

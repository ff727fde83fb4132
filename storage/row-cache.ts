/**
 * Decoded-row cache bounded by bytes, with CLOCK (second-chance) eviction: a hit only sets the
 * entry's reference bit, so hits — the inner loop of every index read — cost one probe and never
 * reorder anything. When the budget is exceeded, entries are examined oldest first: referenced
 * ones lose their bit and move to the back, unreferenced ones are evicted.
 *
 * Why not a Map: a row read through an index is a chain of dependent cache misses, and a Map
 * lookup adds two (its hash bucket, then its entry) plus one for the entry object before the row
 * itself. This table keeps the locations in one Float64Array probed linearly and the rows in a
 * parallel array, so a hit is one miss on the key and one on the row pointer (measured A/B in one
 * process: the bench's composite-index lookup 0.94x -> 1.15-1.20x better-sqlite3, the
 * `lower(sku), price * qty … WHERE qty = ?` query 1.13x -> 1.62x).
 */
import { homeSlot } from './number-memo';
import { cachedRowBytes } from './heap-bytes';

export interface CachedRow {
  collectionId: number;
  row: unknown[];
  /**
   * Approximate bytes the decoded row holds on the heap (storage/heap-bytes.ts), what the budget
   * counts; negative: not measured yet (a committed row, measured only if the cache takes it).
   */
  bytes: number;
}

/**
 * The entry a large transaction puts for a row it did not keep decoded (engine-rows.ts putRow,
 * past txnRowPolicy.keptRows): its row is read from the bytes staged for it, then from the log.
 * Never a cache entry (setMany skips it); StagedRows readers fall back to the bytes.
 */
export const UNKEPT_ROW: CachedRow = Object.freeze({ collectionId: -1, row: [], bytes: 0 });

/**
 * How many rows a transaction keeps decoded until its commit (@internal mutable: tests lower it).
 * Each kept row lives until the commit, so the collector copies it out of the young generation
 * twice and then marks it in the old one: a 1M-row load kept ~1M arrays this way, ~20 % of its
 * time in the collector (docs/performance.md). Past this many, a row's entry is UNKEPT_ROW.
 */
export const txnRowPolicy = { keptRows: 65536 };

/** An entry's size, measured on first need. */
function sizeOf(entry: CachedRow): number {
  if (entry.bytes < 0) entry.bytes = cachedRowBytes(entry.row);
  return entry.bytes;
}

/**
 * The entry a read keeps, as a copy of the decoded one (the row's array and the entry; the values
 * are shared). V8 decides per allocation site whether to allocate straight into the old
 * generation (pretenuring): while a cache fills, nearly every row decoded survives, so without the
 * copy the decoder's own sites were pretenured — and afterwards every row decoded for a query
 * and dropped at once was allocated old, holding its strings through each young collection until
 * the next full one (two 1M-row databases in one process: 4.6 MB promoted per scavenge instead of
 * 0.5, `WHERE qty = ?` 1.4 -> 2-4 ms; the same with `--no-allocation-site-pretenuring` as with the
 * copy). The copies come from this site alone, which keeps only what the cache keeps.
 */
function keptCopy(entry: CachedRow): CachedRow {
  return { collectionId: entry.collectionId, row: entry.row.slice(), bytes: entry.bytes };
}

/*
 * setMany's loops are alone in small functions that only return after them. V8 compiles a
 * long-running loop on the fly (on-stack replacement) together with the rest of its function and
 * keeps that code for later calls: a database's first setMany is a bulk load's, hundreds of
 * thousands of rows, so when the loops sat in setMany itself, its code after them was compiled
 * before it had ever run, and every later one-row commit entered the kept code and was thrown
 * back to the interpreter there — a deoptimization per commit, ~5 µs of each durable insert
 * (`--trace-deopt`: 2,083 in 3,000 commits).
 */

/** The first of entries[0, n) that fit `budget`, counting from the newest; UNKEPT_ROW skipped. */
function fittingFrom(entries: readonly CachedRow[], n: number, budget: number): number {
  let from = n;
  let bytes = 0;
  for (; from > 0; from--) {
    const e = entries[from - 1];
    if (e === UNKEPT_ROW) continue;
    if (bytes + sizeOf(e) > budget) break;
    bytes += e.bytes;
  }
  return from;
}

/** UNKEPT_ROW entries in entries[from, n). */
function unkeptIn(entries: readonly CachedRow[], from: number, n: number): number {
  let unkept = 0;
  for (let i = from; i < n; i++) if (entries[i] === UNKEPT_ROW) unkept++;
  return unkept;
}

/** Bytes of the kept entries in entries[from, n) (measured by fittingFrom). */
function bytesIn(entries: readonly CachedRow[], from: number, n: number): number {
  let bytes = 0;
  for (let i = from; i < n; i++) bytes += entries[i].bytes;
  return bytes;
}

/** Key slots: locations are non-negative, so these two never collide with one. */
const EMPTY = -1;
const DELETED = -2;
const MIN_CAPACITY = 1024;

/** `capacity` doubled until it reaches `need`. */
function capacityFor(capacity: number, need: number): number {
  let c = capacity;
  while (c < need) c *= 2;
  return c;
}
/** Rows read on a miss into a full cache: one in this many is kept (admit()). */
const ADMIT_EVERY = 16;

/**
 * A slot's key with its CLOCK reference bit set: the location stored as -location - 3 (below
 * EMPTY and DELETED). The bit lives in the key the probe has just read, so a hit costs no store
 * to a second array (a cache miss of its own on a large table), and no store at all when the row
 * was already referenced.
 */
function referenced(location: number): number {
  return -location - 3;
}

/** The location a key slot holds (set or not), or -1 for EMPTY and DELETED. */
function locationOf(k: number): number {
  return k >= 0 ? k : k <= -3 ? -k - 3 : -1;
}

export class RowCache {
  private keys!: Float64Array;
  private rows!: (unknown[] | undefined)[];
  private entries!: (CachedRow | undefined)[];
  private shift = 0;
  /** Live entries, and live plus deleted slots (what lengthens probes). */
  private live = 0;
  private filled = 0;
  /** Locations in insertion order (the CLOCK's circle); order[head] is the oldest. */
  private order: number[] = [];
  private head = 0;
  private total = 0;
  hits = 0;
  misses = 0;
  /** @internal Table rebuilds so far (tests count them). */
  rehashes = 0;

  /**
   * Once the budget has been reached, a row read on a miss is admitted only one time in
   * ADMIT_EVERY (admit()); a clear() starts over.
   */
  private full = false;
  private missCount = 0;

  constructor(private budgetBytes: number) {
    this.allocate(MIN_CAPACITY);
  }

  private allocate(capacity: number): void {
    this.keys = new Float64Array(capacity).fill(EMPTY);
    this.rows = new Array<unknown[] | undefined>(capacity).fill(undefined);
    this.entries = new Array<CachedRow | undefined>(capacity).fill(undefined);
    this.shift = 32 - Math.log2(capacity);
    this.filled = this.live;
  }

  private home(location: number): number {
    return homeSlot(location, this.shift);
  }

  /** The slot holding `location` (its reference bit set or not), or -1. */
  private find(location: number): number {
    const keys = this.keys;
    const mask = keys.length - 1;
    const marked = referenced(location);
    for (let s = this.home(location); ; s = (s + 1) & mask) {
      const k = keys[s];
      if (k === location || k === marked) return s;
      if (k === EMPTY) return -1;
    }
  }

  /** find(), setting the slot's reference bit on a hit. */
  private hit(location: number): number {
    const s = this.find(location);
    if (s < 0) {
      this.misses++;
      return s;
    }
    this.hits++;
    if (this.keys[s] === location) this.keys[s] = referenced(location);
    return s;
  }

  get(location: number): CachedRow | undefined {
    const s = this.hit(location);
    return s < 0 ? undefined : this.entries[s];
  }

  /**
   * The entry at `location` without using it: no hit or miss counted, no reference bit set (a
   * checkpoint reading rows for its column pages must not keep them cached).
   */
  peek(location: number): CachedRow | undefined {
    const s = this.find(location);
    return s < 0 ? undefined : this.entries[s];
  }

  /** get(location)?.row without the entry object: the hot path of index reads. */
  getRow(location: number): unknown[] | undefined {
    const s = this.hit(location);
    return s < 0 ? undefined : this.rows[s];
  }

  set(location: number, entry: CachedRow): void {
    if (sizeOf(entry) > this.budgetBytes / 4) return; // a huge row would flush everything else
    const keys = this.keys;
    const mask = keys.length - 1;
    let free = -1;
    const marked = referenced(location);
    for (let s = this.home(location); ; s = (s + 1) & mask) {
      const k = keys[s];
      if (k === location || k === marked) {
        this.total += entry.bytes - (this.entries[s] as CachedRow).bytes;
        keys[s] = location;
        this.entries[s] = entry;
        this.rows[s] = entry.row;
        break;
      }
      if (k === DELETED) {
        if (free < 0) free = s;
        continue;
      }
      if (k === EMPTY) {
        if (free < 0) {
          free = s;
          this.filled++;
        }
        keys[free] = location;
        this.entries[free] = entry;
        this.rows[free] = entry.row;
        this.live++;
        this.total += entry.bytes;
        this.order.push(location);
        break;
      }
    }
    if (this.filled * 2 > keys.length) this.rehash();
    if (this.total > this.budgetBytes) {
      this.full = true;
      this.evict();
    }
  }

  /**
   * set() for a committed transaction's rows, in order (`entries[i]` at `locations[i]`). Rows
   * that the later ones would evict at once are skipped: only the last ones whose bytes fit the
   * budget are inserted, into a table grown once for them instead of doubling along the way (a
   * bulk load commits hundreds of thousands of rows in one go). UNKEPT_ROW entries are skipped.
   * Returns whether any row was left out (then the record arena may keep its frame).
   */
  setMany(locations: readonly number[], entries: readonly CachedRow[]): boolean {
    const n = Math.min(locations.length, entries.length);
    const from = fittingFrom(entries, n, this.budgetBytes);
    const unkept = unkeptIn(entries, from, n);
    const taken = n - from - unkept;
    // Rows skipped: the commit alone outgrew the budget. Rows a large transaction did not keep
    // decoded (txnRowPolicy) count at the average size of those it kept: when they would have
    // outgrown it too, the cache counts as full, so that reads spread over such a table keep one
    // miss in ADMIT_EVERY, not every one (each kept row evicts another and soon becomes garbage
    // in the old generation: at 1M items, 3x the collector's time of `WHERE qty = ?`).
    if (from > 0) this.full = true;
    else if (unkept > 0 && taken > 0) {
      const bytes = bytesIn(entries, from, n);
      if (bytes + (unkept * bytes) / taken > this.budgetBytes) this.full = true;
    }
    const need = (this.filled + taken) * 2;
    if (need > this.keys.length) this.rehash(capacityFor(this.keys.length, need));
    this.setRange(locations, entries, from, n);
    return from > 0 || unkept > 0;
  }

  /** setMany's inserts (a loop alone in its function: see fittingFrom). */
  private setRange(
    locations: readonly number[],
    entries: readonly CachedRow[],
    from: number,
    n: number,
  ): void {
    for (let i = from; i < n; i++) if (entries[i] !== UNKEPT_ROW) this.set(locations[i], entries[i]);
  }

  /**
   * set() for a row read on a miss. While the budget has room, every row is kept; once it has
   * been reached, one in ADMIT_EVERY. Under reads spread over more rows than fit, which rows are
   * held does not change the hit rate, but keeping each would evict another: an eviction per miss,
   * each row promoted to the old generation and soon garbage there (measured at 1M items, `WHERE
   * qty = ?`, 43 % misses: 2.4 -> 1.7 ms a query). A row read again and again is still admitted
   * after a few misses, and the CLOCK keeps it.
   */
  admit(location: number, entry: CachedRow): void {
    if (this.takesMiss()) this.set(location, keptCopy(entry));
  }

  /**
   * Whether admit() would keep the row of the miss being served (counted as one of the
   * ADMIT_EVERY once full): a reader that then decodes the row whole and set()s it, and otherwise
   * decodes only the columns it needs (RowReader.readRowColumns).
   */
  takesMiss(): boolean {
    return !this.full || ++this.missCount % ADMIT_EVERY === 0;
  }

  /** Change the budget (the record arena below took or gave back memory), evicting if over. */
  resize(budgetBytes: number): void {
    this.budgetBytes = budgetBytes;
    if (this.total > budgetBytes) {
      this.full = true;
      this.evict();
    }
  }

  /**
   * Insert only if the budget has room: what sequential scans use, so a scan over more rows than
   * fit does not evict the working set (and rows it does not keep die young, which is cheap to
   * collect) — the classic LRU-flooding problem.
   */
  offer(location: number, entry: CachedRow): void {
    if (this.total + sizeOf(entry) > this.budgetBytes) return;
    this.set(location, keptCopy(entry));
  }

  private removeAt(s: number): void {
    this.total -= (this.entries[s] as CachedRow).bytes;
    this.keys[s] = DELETED;
    this.entries[s] = undefined;
    this.rows[s] = undefined;
    this.live--;
  }

  /**
   * Rebuild the table, dropping deleted slots: `capacity` slots, by default twice as many when
   * over a quarter full.
   */
  private rehash(
    capacity = this.live * 4 > this.keys.length ? this.keys.length * 2 : this.keys.length,
  ): void {
    const { keys, entries } = this;
    this.rehashes++;
    this.allocate(capacity);
    const mask = capacity - 1;
    let filled = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const location = locationOf(k);
      if (location < 0) continue;
      let s = this.home(location);
      while (this.keys[s] !== EMPTY) s = (s + 1) & mask;
      this.keys[s] = k; // with its reference bit
      const e = entries[i] as CachedRow;
      this.entries[s] = e;
      this.rows[s] = e.row;
      filled++;
    }
    this.filled = filled;
  }

  /** Evict down to 90% of the budget so eviction runs in batches, not on every insert. */
  private evict(): void {
    const target = this.budgetBytes * 0.9;
    const order = this.order;
    const live = this.live;
    let second = 0;
    while (this.total > target && this.head < order.length) {
      const location = order[this.head++];
      const s = this.find(location);
      if (s < 0) continue;
      if (this.keys[s] !== location && second < live) {
        this.keys[s] = location;
        order.push(location);
        second++;
        continue;
      }
      this.removeAt(s);
    }
    // Keep the circle from growing without bound: drop the part already passed.
    if (this.head > 1024 && this.head * 2 > order.length) {
      this.order = order.slice(this.head);
      this.head = 0;
    }
  }

  /** Forget every row at or after `location` (after a truncation reuses those offsets). */
  dropFrom(location: number): void {
    const keys = this.keys;
    for (let s = 0; s < keys.length; s++) if (locationOf(keys[s]) >= location) this.removeAt(s);
    this.order = this.order.slice(this.head).filter((l) => l < location);
    this.head = 0;
  }

  clear(): void {
    this.full = false;
    this.live = 0;
    this.total = 0;
    this.order = [];
    this.head = 0;
    this.allocate(MIN_CAPACITY);
  }

  get size(): number {
    return this.live;
  }

  /** Whether the budget has been reached since the last clear() (admit() then samples). */
  get isFull(): boolean {
    return this.full;
  }

  get bytes(): number {
    return this.total;
  }
}

/**
 * Decoded rows memoized beside the primary-key leaves a scan walks. The row cache answers "which
 * row lives at location L" with a hash lookup per row; a scan already holds the leaf and the
 * entry's index in it, so here each leaf gets a small array of (location, row) slots and a warm
 * scan finds its row by index. The slots hang off the leaf itself (Leaf.memo): at 1M rows a lookup
 * in a WeakMap of 15,000 leaves missed the processor's caches on every leaf, and the chain leaf →
 * WeakMap → slots → Map → vector cost ~1 µs a leaf, more than testing its 64 entries.
 *
 * Why no invalidation is needed: a slot is used only when its location equals the entry's, and a
 * location always names the same immutable row (rows are never rewritten in place; offsets reused
 * after a truncation or a compaction are handled by clear()). A leaf changed in place (inserts in
 * the writer's own nodes) at worst turns some slots into misses.
 *
 * Memory: slots are kept per leaf in arrival order and a leaf's rows are dropped, oldest leaf
 * first, once the rows held exceed the budget. Its number columns (8 bytes a row each, plus 8 for
 * the entries' locations, which the columns of one leaf share when they can, against hundreds of
 * bytes for a decoded row) have a budget of their own, half of it (a quarter held one column of a
 * 1M-row table, so a filter on two columns rebuilt one of them at every scan), and a queue of their
 * own: a scan over more rows than the budget holds, which memoizes each row it reads, used to drop
 * every leaf's vectors with its rows, so the next whole-table aggregate found none and read every
 * row again (1M rows: 0.5 s a query instead of folding vectors). The queues hold slots, never a leaf,
 * so a leaf of a finished snapshot takes its slots with it.
 */
import type { MemoLeaf, ScanPosition } from './row-readers';
import { CodePool, StringCodes } from './string-codes';

/** The share of the budget the number columns may hold (see the header). */
const COLUMN_SHARE = 1 / 2;
/** The share the TEXT columns' dictionaries may hold together (storage/string-codes.ts). */
const CODES_SHARE = 1 / 16;
/**
 * Their floor, whatever the budget: a cold scan maps a column page's strings through them
 * (storage/column-pages.ts), so even a reader without caches (`cacheBytes: 0`) needs a few.
 */
const CODES_FLOOR = 1 << 20;

function codesLimit(budgetBytes: number): number {
  return Math.max(CODES_FLOOR, budgetBytes * CODES_SHARE);
}

class LeafSlots {
  /** The memo and the generation of it (see ScanMemo.clear) these slots belong to. */
  owner: ScanMemo;
  epoch: number;
  locations: number[] = [];
  rows: unknown[][] = [];
  /** Bytes of the rows held. */
  bytes = 0;
  /** In `order` (false once its rows were evicted: the next set() queues it again). */
  queued = false;
  /**
   * By column number: its values over the whole leaf (see numberColumn), null when it cannot have
   * one, undefined when not built yet.
   */
  columns: (NumberColumn | null | undefined)[] | null = null;
  /**
   * By column number: the codes of a TEXT column's values (storage/string-codes.ts, see
   * codeColumn), and the dictionary each was numbered by.
   */
  codes: (NumberColumn | null | undefined)[] | null = null;
  codeDicts: (StringCodes | undefined)[] | null = null;
  /** Bytes of the column vectors held, and whether the leaf is in `columnOrder`. */
  columnBytes = 0;
  columnsQueued = false;

  constructor(owner: ScanMemo, epoch: number) {
    this.owner = owner;
    this.epoch = epoch;
  }
}

/**
 * One column of a leaf's rows as numbers, NaN for NULL, beside the locations they were read at:
 * a filter on a numeric column tests these in order without touching the rows (which lie all
 * over the heap; the vector is contiguous).
 */
export interface NumberColumn {
  readonly locations: Float64Array;
  readonly values: Float64Array;
  /**
   * The leaf a scan found every one of `locations` equal to its entries on, once that leaf could
   * no longer change (a snapshot's: generations are unique, so its nodes are never edited in
   * place again); scans of that leaf then skip the per-entry check. null: not checked so.
   */
  trustedOn: object | null;
}

export class ScanMemo {
  /** Slots of an earlier generation are dead: clear() cannot reach the leaves holding them. */
  private epoch = 0;
  /** Leaves with slots, oldest first (strong references to the slots only, never to the leaf). */
  private order: LeafSlots[] = [];
  private head = 0;
  /** Bytes of rows held (their budget: budgetBytes). */
  private total = 0;
  /** Leaves with column vectors, oldest first, and the vectors' bytes (budget: a quarter). */
  private columnOrder: LeafSlots[] = [];
  private columnHead = 0;
  private columnTotal = 0;
  /** stringCodes' dictionaries, by collection id then column, and the heap they share. */
  private dicts = new Map<number, Map<number, StringCodes>>();
  private pool: CodePool;

  constructor(private readonly budgetBytes: number) {
    this.pool = new CodePool(codesLimit(budgetBytes));
  }

  private slotsOf(leaf: MemoLeaf): LeafSlots | undefined {
    const s = leaf.memo;
    // Another memo's slots (a leaf read by two stores) or an older generation's count as none.
    return s instanceof LeafSlots && s.owner === this && s.epoch === this.epoch ? s : undefined;
  }

  /** The slots of the leaf a scan stands on, if it has any. */
  private slotsAt(at: ScanPosition): LeafSlots | undefined {
    return at.leaf === null ? undefined : this.slotsOf(at.leaf);
  }

  get(at: ScanPosition): unknown[] | undefined {
    const leaf = at.leaf;
    if (leaf === null) return undefined;
    const s = this.slotsOf(leaf);
    if (s === undefined || s.locations[at.position] !== at.value) return undefined;
    return s.rows[at.position];
  }

  /** The leaf's slots, made empty (and not queued) if it has none. */
  private slotsFor(leaf: MemoLeaf): LeafSlots {
    let s = this.slotsOf(leaf);
    if (s === undefined) {
      s = new LeafSlots(this, this.epoch);
      leaf.memo = s;
    }
    return s;
  }

  /** The leaf's slots, made if it has none, and queued for eviction in arrival order. */
  private queuedSlots(leaf: MemoLeaf): LeafSlots {
    const s = this.slotsFor(leaf);
    if (!s.queued) {
      s.queued = true;
      this.order.push(s);
    }
    return s;
  }

  set(at: ScanPosition, row: unknown[], bytes: number): void {
    const leaf = at.leaf;
    if (leaf === null || bytes > this.budgetBytes / 4) return;
    const s = this.queuedSlots(leaf);
    if (s.locations[at.position] === at.value) return;
    s.locations[at.position] = at.value;
    s.rows[at.position] = row;
    s.bytes += bytes;
    this.total += bytes;
    if (this.total > this.budgetBytes) this.evict();
  }

  /** Drop the rows of leaves, oldest first, down to 90% of the budget (eviction runs in batches). */
  private evict(): void {
    const target = this.budgetBytes * 0.9;
    while (this.total > target && this.head < this.order.length) {
      const s = this.order[this.head++];
      this.total -= s.bytes;
      s.locations = [];
      s.rows = [];
      s.bytes = 0;
      s.queued = false;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  /** Account a leaf's new vector, dropping the vectors of the oldest leaves past their budget. */
  private addColumnBytes(s: LeafSlots, bytes: number): void {
    s.columnBytes += bytes;
    this.columnTotal += bytes;
    if (!s.columnsQueued) {
      s.columnsQueued = true;
      this.columnOrder.push(s);
    }
    const budget = this.budgetBytes * COLUMN_SHARE;
    if (this.columnTotal <= budget) return;
    const target = budget * 0.9;
    while (this.columnTotal > target && this.columnHead < this.columnOrder.length) {
      const old = this.columnOrder[this.columnHead++];
      this.columnTotal -= old.columnBytes;
      old.columnBytes = 0;
      old.columns = null;
      old.codes = null;
      old.codeDicts = null;
      old.columnsQueued = false;
    }
    if (this.columnHead > 1024 && this.columnHead * 2 > this.columnOrder.length) {
      this.columnOrder = this.columnOrder.slice(this.columnHead);
      this.columnHead = 0;
    }
  }

  /**
   * Column `column` of the rows of the leaf at `at` as numbers (NaN for NULL), or undefined when
   * there is no such vector: some row of the leaf not memoized yet, a value that is not a number
   * or NULL, or a row too short to hold the column. The vector is built on first ask once every
   * row is memoized. A reader checks each entry's location against `locations` (the writer's
   * own leaves change in place).
   */
  numberColumn(
    at: ScanPosition,
    column: number,
    leafLocations: readonly unknown[],
  ): NumberColumn | undefined {
    const s = this.slotsAt(at);
    if (s === undefined) return undefined;
    let col = s.columns === null ? undefined : s.columns[column];
    if (col === undefined) {
      col = buildColumn(s, column, leafLocations);
      // Not built while rows are missing (the scan memoizes them as it goes): ask again later.
      if (col === undefined) return undefined;
      if (col !== null) col = shareLocations(s, col);
      (s.columns ??= [])[column] = col;
      if (col !== null) this.addColumnBytes(s, columnBytes(s, col));
    }
    return col === null ? undefined : col;
  }

  /**
   * Keep a column vector a scan filled itself from the rows it tested (rows it rejected while
   * cold are never memoized, so numberColumn could not build it from the memo).
   */
  putNumberColumn(leaf: MemoLeaf, column: number, col: NumberColumn): void {
    const s = this.slotsFor(leaf);
    s.columns ??= [];
    if (s.columns[column]) return;
    const shared = shareLocations(s, col);
    const bytes = columnBytes(s, shared);
    s.columns[column] = shared;
    this.addColumnBytes(s, bytes);
  }

  /**
   * The dictionary numbering the strings of `column` of collection `collectionId` (see
   * codeColumn): one per column while this memo's epoch lasts.
   */
  stringCodes(collectionId: number, column: number): StringCodes {
    let byColumn = this.dicts.get(collectionId);
    if (byColumn === undefined) this.dicts.set(collectionId, (byColumn = new Map()));
    let codes = byColumn.get(column);
    if (codes === undefined) byColumn.set(column, (codes = new StringCodes(this.pool)));
    return codes;
  }

  /**
   * Column `column` of the rows of the leaf at `at` as codes of `codes` (NaN for NULL): as
   * numberColumn, for a column whose values are all strings or NULL. None when a value is
   * something else or the dictionary is full.
   */
  codeColumn(
    at: ScanPosition,
    column: number,
    codes: StringCodes,
    leafLocations: readonly unknown[],
  ): NumberColumn | undefined {
    const s = this.slotsAt(at);
    if (s === undefined) return undefined;
    let col = s.codes === null || s.codeDicts?.[column] !== codes ? undefined : s.codes[column];
    if (col === undefined) {
      col = buildCodes(s, column, codes, leafLocations);
      if (col === undefined) return undefined;
      this.setCodes(s, column, codes, col);
    }
    return col === null ? undefined : col;
  }

  /** putNumberColumn for a code vector numbered by `codes`. */
  putCodeColumn(leaf: MemoLeaf, column: number, codes: StringCodes, col: NumberColumn): void {
    const s = this.slotsFor(leaf);
    if (s.codes?.[column] && s.codeDicts?.[column] === codes) return;
    this.setCodes(s, column, codes, col);
  }

  private setCodes(s: LeafSlots, column: number, codes: StringCodes, col: NumberColumn | null): void {
    const kept = col === null ? null : shareLocations(s, col);
    (s.codes ??= [])[column] = kept;
    (s.codeDicts ??= [])[column] = codes;
    if (kept !== null) this.addColumnBytes(s, columnBytes(s, kept));
  }

  /** Forget everything (locations are about to name other rows). */
  clear(): void {
    this.dicts = new Map();
    this.pool = new CodePool(codesLimit(this.budgetBytes));
    this.epoch++;
    this.order = [];
    this.head = 0;
    this.total = 0;
    this.columnOrder = [];
    this.columnHead = 0;
    this.columnTotal = 0;
  }

  /** Bytes of rows, column vectors and dictionaries held (tests). */
  get bytes(): number {
    return this.total + this.columnTotal + this.pool.used;
  }
}

/**
 * `col`, its locations replaced by another column's of the same leaf when they are equal (the
 * vectors of one leaf describe the same entries), so the leaf holds them once.
 */
function shareLocations(s: LeafSlots, col: NumberColumn): NumberColumn {
  if (s.columns === null && s.codes === null) return col;
  const locs = col.locations;
  for (const other of vectorsOf(s)) {
    if (!other || other.locations === locs) continue;
    const o = other.locations;
    if (o.length !== locs.length) continue;
    let same = true;
    for (let i = 0; i < o.length && same; i++) same = o[i] === locs[i];
    // A literal in NumberColumn's own field order: the same hidden class as every other vector.
    if (same) return { locations: o, values: col.values, trustedOn: col.trustedOn };
  }
  return col;
}

/** Bytes `col` adds to the leaf: its values, and its locations unless another column holds them. */
function columnBytes(s: LeafSlots, col: NumberColumn): number {
  const shared = vectorsOf(s).some((c) => c && c !== col && c.locations === col.locations);
  return col.values.byteLength + (shared ? 0 : col.locations.byteLength);
}

/** Every vector slot of a leaf, number columns and code columns. */
function vectorsOf(s: LeafSlots): (NumberColumn | null | undefined)[] {
  return s.codes === null ? (s.columns ?? []) : s.columns === null ? s.codes : [...s.columns, ...s.codes];
}

/**
 * The code vector of `column` over a leaf whose every entry has its row memoized: null when a
 * value is neither a string nor NULL, a row lacks the column or `codes` is full; undefined while
 * rows are missing.
 */
function buildCodes(
  s: LeafSlots,
  column: number,
  codes: StringCodes,
  leafLocations: readonly unknown[],
): NumberColumn | null | undefined {
  return buildVector(s, column, leafLocations, (v) => {
    if (v === null) return NaN;
    const code = typeof v === 'string' ? codes.code(v) : -1;
    return code < 0 ? undefined : code;
  });
}

/**
 * The column vector of `column` over a leaf whose every entry has its row memoized: null when a
 * value is neither a number nor NULL (or a row lacks the column), undefined while rows are missing.
 */
function buildColumn(
  s: LeafSlots,
  column: number,
  leafLocations: readonly unknown[],
): NumberColumn | null | undefined {
  // NaN stands for NULL: a stored NaN (not a value SQL has) keeps the column off the fast path.
  return buildVector(s, column, leafLocations, (v) =>
    typeof v === 'number' && !Number.isNaN(v) ? v : v === null ? NaN : undefined,
  );
}

/**
 * `column` of a leaf whose every entry has its row memoized, each value as `numberOf` gives it
 * (undefined: the leaf can have no such vector, null returned); undefined while rows are missing.
 */
function buildVector(
  s: LeafSlots,
  column: number,
  leafLocations: readonly unknown[],
  numberOf: (v: unknown) => number | undefined,
): NumberColumn | null | undefined {
  const n = leafLocations.length;
  if (s.locations.length < n) return undefined;
  const locations = new Float64Array(n);
  const values = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const loc = leafLocations[k];
    if (typeof loc !== 'number' || s.locations[k] !== loc) return undefined;
    const row = s.rows[k];
    if (row.length <= column) return null;
    const x = numberOf(row[column]);
    if (x === undefined) return null;
    values[k] = x;
    locations[k] = loc;
  }
  return { locations, values, trustedOn: null };
}

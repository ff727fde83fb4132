/**
 * Filtered primary-key walks: a WHERE pushed into the row reads (a row not in memory is tested on
 * the predicate's columns alone), number tests (planner/number-tests.ts) made on the scan memo's
 * per-leaf column vectors (storage/scan-memo.ts) without touching rows, and the membership scan
 * an `IN (SELECT …)` with many keys becomes.
 */
import type { CollectionView } from '../storage/collection-state';
import { widenDefaults } from '../storage/collection-state';
import type { CursorOptions } from '../storage/btree';
import { ACCEPT_ALL, ACCEPTED_ROW } from '../storage/row-readers';
import type { MemoLeaf, ScanRowWhere } from '../storage/row-readers';
import { compareValues } from '../storage/compare';
import type { Row } from './compile-expr';
import { truth } from './sql-values';
import { source } from './source';
import type { Source } from './source';
import type { ExecEnv } from './execute';
import { pollRows, pollWork } from './interrupt';
import { LeafFill, NumberTests, numberSet } from './number-tests';
import type { NumberColumnView } from './number-tests';

const EMPTY: Source = source(() => null);

export interface PkWalk {
  coll: CollectionView;
  opts: CursorOptions<unknown> | null;
  /** Range scans count the index entries they visit (ExecStats); collection scans do not. */
  countsEntries: boolean;
}

/**
 * Filter over a primary-key walk with the predicate pushed into the row reads: the same rows in
 * the same order, but a row that is not cached is tested on the predicate's columns alone. With
 * `lean` every accepted row after the first may come back as ACCEPTED_ROW (the consumer counts
 * them; the first is read whole for bare columns): a count over cold rows decodes none of them.
 */
export function filteredScan(
  { coll, opts, countsEntries }: PkWalk,
  env: ExecEnv,
  scanRowWhere: ScanRowWhere,
  columns: readonly number[],
  pred: (row: Row) => unknown,
  numbers: NumberTests | null,
  lean = false,
  sink: RunSink | null = null,
): Source {
  if (opts === null) return EMPTY;
  const cur = coll.pk.cursor(opts);
  const test = (row: unknown[]): boolean => truth(pred(row)) === true;
  const skipping = !countsEntries && opts.hi === undefined && opts.reverse !== true;
  const defaults = widenDefaults(coll.meta, coll.compiled);
  // Where the leaves' vectors come from: the readers' number and code columns.
  const sources = numbers && (env.scanNumberColumn || env.scanCodeColumn) ? env : undefined;
  // Kept vectors hold stored values only (a leaf with a defaulted value keeps none): a default
  // belongs to a schema version, and a rolled-back ADD COLUMN can reuse its column number.
  const keep = numbers && (env.keepNumberColumn || env.keepCodeColumn) ? env : undefined;
  // The current leaf's column vectors (null: none for this leaf, test rows one by one).
  let leaf: MemoLeaf | null = null;
  let vectors: NumberColumnView[] | null = null;
  // Whether the vectors' locations are known to equal the leaf's entries (see NumberColumn.trustedOn).
  let trusted = false;
  // Without vectors, the rows tested fill them for the next scan (rows rejected while cold are
  // never memoized, so the memo could not build them): complete once every entry was tested.
  let fill: LeafFill | null = null;
  let at = 0;
  const record = (row: unknown[], defaulted: boolean): boolean => {
    if (fill) fill.record(at, cur.value, row, defaulted);
    return test(row);
  };
  // Whether the next accepted row must be read whole (always, unless lean and one was).
  let whole = true;
  // A run sink's consumer reads only `columns` of the rows it is handed: no row is decoded whole.
  const full: true | 'columns' = sink ? 'columns' : true;
  // A count over the whole table counts each leaf not decoded yet from the columns stored beside
  // its page (storage/column-pages.ts) once it needs no row whole: the leaf is never decoded and
  // none of its rows read. `pending` holds the matches counted so (order means nothing to a count).
  const pageSources = numbers && (lean || sink) && skipping && env.scanPageColumn ? env : undefined;
  let pending = 0;
  // A run sink takes every entry its vectors describe, a leaf at a time (see RunSink).
  const runs = sink && numbers && skipping ? new RunBuffer(sink, numbers) : null;
  const countLeaf = (page: object): boolean => {
    const vectors = numbers && pageSources ? numbers.pageVectors(page, pageSources) : null;
    if (vectors === null || numbers === null) return false;
    pollWork();
    const n = vectors[0].length;
    for (let p = 0; p < n; p++) if (numbers.testValues(vectors, p)) pending++;
    env.stats.rowsRead += n;
    return true;
  };
  const accept = (row: unknown[]): unknown[] => {
    if (lean) whole = false;
    if (pageSources && !runs) cur.onColdLeaf = countLeaf;
    return row;
  };
  if (runs && pageSources && numbers)
    cur.onColdLeaf = (page) => {
      const vectors = numbers.pageVectors(page, pageSources);
      if (vectors === null) return false;
      pollRows(vectors[0].length);
      runs.takePage(vectors);
      env.stats.rowsRead += vectors[0].length;
      return true;
    };
  return source(() => {
    while (cur.next()) {
      pollWork();
      if (countsEntries) env.stats.indexEntries++;
      env.stats.rowsRead++;
      if (numbers && sources) {
        if (cur.leaf !== leaf) {
          if (fill && leaf && keep) fill.keep(leaf, keep);
          leaf = cur.leaf;
          vectors = numbers.vectors(cur, sources);
          trusted = vectors !== null && leaf !== null && cur.frozen && trust(vectors, leaf, cur.leafValues);
          fill = vectors === null && keep && cur.position === 0 ? numbers.fill(cur.leafValues.length) : null;
        }
        if (vectors !== null && runs !== null) {
          // The rest of the leaf the vectors still describe goes to the sink in one run; an entry
          // that moved since they were built is read as a row.
          const from = cur.position;
          const to = runs.takeLeaf(vectors, cur.leafValues, from, trusted);
          if (to > from) {
            env.stats.rowsRead += to - from - 1;
            pollRows(to - from - 1);
          }
          if (to >= cur.leafValues.length) {
            cur.moveWithinLeaf(cur.leafValues.length - 1);
            continue;
          }
          if (to > from) {
            cur.moveWithinLeaf(to);
            env.stats.rowsRead++;
          }
          const row = scanRowWhere(cur, columns, test, defaults, full);
          if (row !== null) return row;
          continue;
        }
        if (vectors !== null) {
          // Every term tested on the leaf's column vectors; the row is read only when all pass.
          let verdict = numbers.test(vectors, cur.position, cur.value);
          if (verdict === false && skipping) {
            // A whole-table walk tests the rest of the leaf straight off the vectors, without a
            // step of the cursor per rejected entry, and moves to the first that is not rejected.
            const values = cur.leafValues;
            const from = cur.position;
            const p = numbers.skipRejected(vectors, from + 1, values, trusted);
            if (p >= values.length) {
              env.stats.rowsRead += values.length - 1 - from;
              cur.moveWithinLeaf(values.length - 1);
              continue;
            }
            env.stats.rowsRead += p - from;
            cur.moveWithinLeaf(p);
            verdict = numbers.test(vectors, p, values[p]);
          }
          if (verdict === false) continue;
          if (verdict === true) {
            if (!whole) return ACCEPTED_ROW;
            const row = scanRowWhere(cur, columns, ACCEPT_ALL, defaults, full);
            if (row !== null) return accept(row);
            continue;
          }
        }
        if (fill) {
          at = cur.position;
          const row = scanRowWhere(cur, columns, record, defaults, whole && full);
          if (row !== null) return accept(row);
          continue;
        }
      }
      const row = scanRowWhere(cur, columns, test, defaults, whole && full);
      if (row !== null) return accept(row);
    }
    if (fill && leaf && keep) fill.keep(leaf, keep);
    fill = null;
    if (pending > 0) {
      pending--;
      return ACCEPTED_ROW;
    }
    return null;
  });
}

/**
 * Whether every vector's locations equal the entries of `leaf`, which no longer changes (the
 * caller's cursor walks a snapshot): checked once per vector and leaf, and remembered on the
 * vector, so later scans of the leaf test its entries without comparing locations one by one.
 */
function trust(vectors: readonly NumberColumnView[], leaf: MemoLeaf, locations: readonly number[]): boolean {
  for (const v of vectors) {
    if (v.trustedOn === leaf) continue;
    const locs = v.locations;
    const n = locations.length;
    if (locs.length !== n) return false;
    for (let p = 0; p < n; p++) if (locs[p] !== locations[p]) return false;
    v.trustedOn = leaf;
  }
  return true;
}

/**
 * Where a scan with column vectors hands its accepted entries instead of rows: a whole-table
 * aggregate over numeric columns (planner/column-aggregate.ts) folds them a run at a time. Runs
 * come in scan order, between the rows the scan still returns (entries no vector describes).
 */
export interface RunSink {
  /** The NumberTests term (see NumberTests.withColumns) of each column the sink reads. */
  readonly terms: Int32Array;
  /** `n` accepted entries: column i's values in `columns[i][0..n)`, NaN for NULL. */
  take(columns: readonly Float64Array[], n: number): void;
}

/** Collects a leaf's accepted entries into runs for a RunSink, reusing its arrays. */
class RunBuffer {
  private columns: Float64Array[] = [];

  constructor(
    private readonly sink: RunSink,
    private readonly tests: NumberTests,
  ) {}

  private room(n: number): Float64Array[] {
    if (this.columns.length === 0 || this.columns[0].length < n) {
      const size = Math.max(n, 1024);
      this.columns = Array.from(this.sink.terms, () => new Float64Array(size));
    }
    return this.columns;
  }

  /**
   * Hand the entries of a warm leaf from `from` on, up to the first whose location no longer
   * matches its vectors (a row moved since they were built), to the sink; returns that entry's
   * position (the leaf's length when all matched).
   */
  takeLeaf(
    vectors: readonly NumberColumnView[],
    locations: readonly unknown[],
    from: number,
    /** The vectors' locations are known to equal `locations` (see trust()). */
    trusted: boolean,
  ): number {
    let to = locations.length;
    if (!trusted)
      for (const v of vectors) {
        const locs = v.locations;
        for (let p = from; p < to; p++)
          if (locs[p] !== locations[p]) {
            to = p;
            break;
          }
      }
    if (to === from) return to;
    const terms = this.sink.terms;
    if (this.tests.readsOnly) {
      // Nothing to test: the vectors' own values, viewed over the run.
      const whole = from === 0 && to === locations.length;
      const cols = Array.from(terms, (t) =>
        whole ? vectors[t].values : vectors[t].values.subarray(from, to),
      );
      this.sink.take(cols, to - from);
      return to;
    }
    const out = this.room(locations.length);
    const pass = this.tests.passMask(vectors);
    let n = 0;
    for (let p = from; p < to; p++) {
      if (pass[p] === 0) continue;
      for (let j = 0; j < terms.length; j++) out[j][n] = vectors[terms[j]].values[p];
      n++;
    }
    if (n > 0) this.sink.take(out, n);
    return to;
  }

  /** Hand the accepted entries of a page not decoded (its column page's values) to the sink. */
  takePage(vectors: readonly Float64Array[]): void {
    const size = vectors[0].length;
    const out = this.room(size);
    const terms = this.sink.terms;
    let n = 0;
    for (let p = 0; p < size; p++) {
      if (!this.tests.testValues(vectors, p)) continue;
      for (let j = 0; j < terms.length; j++) out[j][n] = vectors[terms[j]][p];
      n++;
    }
    if (n > 0) this.sink.take(out, n);
  }
}

/**
 * A lookup by the values of an `IN (SELECT …)` (keysFrom) that found many keys: a table scan
 * testing membership instead, when the keys number at least 1/64 of the table's rows (each
 * would fetch a row from anywhere in the heap; a warm scan tests a leaf's column vector without
 * touching its rows). Number keys only (the set compares them as `=` does; a bigint row value is
 * compared exactly); tables under 1,024 rows keep their lookups and so SQLite's key order.
 */
export function keySetScan(
  env: ExecEnv,
  coll: CollectionView,
  column: { column: number; sub: readonly number[] },
  keys: readonly unknown[],
): Source | null {
  const scanRowWhere = env.scanRowWhere;
  if (!scanRowWhere || column.sub.length > 0) return null;
  const rows = coll.pk.size;
  if (rows < 1024 || keys.length * 64 < rows) return null;
  if (!keys.every((k) => typeof k === 'number')) return null;
  const set = numberSet(keys as number[]);
  const c = column.column;
  const pred = (row: Row): boolean => {
    const v = row[c];
    if (typeof v === 'number') return set.has(v);
    return typeof v === 'bigint' && keys.some((k) => compareValues(k, v) === 0);
  };
  const numbers = new NumberTests(Int32Array.of(c), ['in'], Float64Array.of(0), [set]);
  const filter: KeySetFilter = {
    walk: { coll, opts: {}, countsEntries: false },
    columns: [c],
    pred,
    numbers,
  };
  const scan = filteredScan(filter.walk, env, scanRowWhere, filter.columns, pred, numbers);
  keySetFilters.set(scan, filter);
  return scan;
}

/** What a keySetScan tests, for an aggregate above it that folds column vectors instead (column-aggregate.ts). */
export interface KeySetFilter {
  readonly walk: PkWalk;
  readonly columns: readonly number[];
  readonly pred: (row: Row) => boolean;
  readonly numbers: NumberTests;
}

const keySetFilters = new WeakMap<Source, KeySetFilter>();

/** The filter of a source keySetScan returned (not started yet), or undefined for any other source. */
export function keySetFilterOf(src: Source): KeySetFilter | undefined {
  return keySetFilters.get(src);
}

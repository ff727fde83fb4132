/**
 * Filtered primary-key walks: a WHERE pushed into the row reads (a row not in memory is tested on
 * the predicate's columns alone), number comparisons tested on the scan memo's per-leaf column
 * vectors (storage/scan-memo.ts) without touching rows, and the membership scan an
 * `IN (SELECT …)` with many keys becomes.
 */
import type { CollectionView } from '../storage/collection-state';
import { widenDefaults } from '../storage/collection-state';
import type { CursorOptions } from '../storage/btree';
import { ACCEPTED_ROW } from '../storage/row-readers';
import type { MemoLeaf, RowReaders, ScanPosition, ScanRowWhere } from '../storage/row-readers';
import { compareValues } from '../storage/compare';
import { compilePredicate, evalConstant } from './compile-expr';
import type { Row } from './compile-expr';
import type { CompareOp, Expr } from './expr';
import { conjuncts, isConstant } from './expr';
import { truth } from './sql-values';
import { source } from './source';
import type { Source } from './source';
import type { ExecEnv } from './execute';
import { pollRows, pollWork } from './interrupt';
import { vectorTest, PASS, REJECT, UNSAFE } from './vector-expr';
import type { VectorTest } from './vector-expr';

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
  const pass = (): boolean => true;
  const skipping = !countsEntries && opts.hi === undefined && opts.reverse !== true;
  const defaults = widenDefaults(coll.meta, coll.compiled);
  const columnOf = numbers ? env.scanNumberColumn : undefined;
  // Kept vectors hold stored values only (a leaf with a defaulted value keeps none): a default
  // belongs to a schema version, and a rolled-back ADD COLUMN can reuse its column number.
  const keep = numbers ? env.keepNumberColumn : undefined;
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
  const pageColumn = numbers && (lean || sink) && skipping ? env.scanPageColumn : undefined;
  let pending = 0;
  // A run sink takes every entry its vectors describe, a leaf at a time (see RunSink).
  const runs = sink && numbers && skipping ? new RunBuffer(sink, numbers) : null;
  const countLeaf = (page: object): boolean => {
    const vectors = numbers && pageColumn ? numbers.pageVectors(page, pageColumn) : null;
    if (vectors === null || numbers === null) return false;
    pollWork();
    const n = vectors[0].length;
    for (let p = 0; p < n; p++) if (numbers.testValues(vectors, p)) pending++;
    env.stats.rowsRead += n;
    return true;
  };
  const accept = (row: unknown[]): unknown[] => {
    if (lean) whole = false;
    if (pageColumn && !runs) cur.onColdLeaf = countLeaf;
    return row;
  };
  if (runs && pageColumn && numbers)
    cur.onColdLeaf = (page) => {
      const vectors = numbers.pageVectors(page, pageColumn);
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
      if (numbers && columnOf) {
        if (cur.leaf !== leaf) {
          if (fill && leaf && keep) fill.keep(leaf, keep);
          leaf = cur.leaf;
          vectors = numbers.vectors(cur, columnOf);
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
            const row = scanRowWhere(cur, columns, pass, defaults, full);
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
 * The first position in [from, n) whose value `op c` does not reject, or n: one loop per
 * operator with nothing else in it (NaN, NULL, is rejected by every comparison but `!=`'s test).
 */
function skipByValue(op: CompareOp, vals: Float64Array, c: number, from: number, n: number): number {
  let p = from;
  switch (op) {
    case '<':
      while (p < n && !(vals[p] < c)) p++;
      return p;
    case '<=':
      while (p < n && !(vals[p] <= c)) p++;
      return p;
    case '>':
      while (p < n && !(vals[p] > c)) p++;
      return p;
    case '>=':
      while (p < n && !(vals[p] >= c)) p++;
      return p;
    case '=':
      while (p < n && vals[p] !== c) p++;
      return p;
    case '!=':
      while (p < n && (Number.isNaN(vals[p]) || vals[p] === c)) p++;
      return p;
  }
}

/** Column vectors of one leaf being filled from the rows a scan tests, entry by entry. */
class LeafFill {
  private filled = 0;
  private ok = true;
  readonly locations: Float64Array;
  readonly values: Float64Array[];

  constructor(
    private readonly columns: Int32Array,
    readonly size: number,
  ) {
    this.locations = new Float64Array(size);
    this.values = Array.from(columns, () => new Float64Array(size));
  }

  record(position: number, location: number, row: readonly unknown[], defaulted: boolean): void {
    // Entries must come in order, each once: a scan that starts inside the leaf keeps nothing.
    if (!this.ok || defaulted || position !== this.filled) {
      this.ok = false;
      return;
    }
    this.locations[position] = location;
    for (let i = 0; i < this.columns.length; i++) {
      const v = row[this.columns[i]];
      if (typeof v === 'number' && !Number.isNaN(v)) this.values[i][position] = v;
      else if (v === null || v === undefined) this.values[i][position] = NaN;
      else this.ok = false;
    }
    this.filled++;
  }

  keep(leaf: MemoLeaf, keep: NonNullable<RowReaders['keepNumberColumn']>): void {
    if (!this.ok || this.filled !== this.size) return;
    for (let i = 0; i < this.columns.length; i++) keep(leaf, this.columns[i], this.locations, this.values[i]);
  }
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

type NumberColumnView = NonNullable<ReturnType<NonNullable<RowReaders['scanNumberColumn']>>>;

/**
 * A WHERE made only of comparisons between a numeric column and a number, tested on the scan
 * memo's column vectors (storage/scan-memo.ts): NaN stands for NULL there, and every comparison
 * with NaN is false, as a comparison with NULL is never true. `!=` checks for NaN itself.
 * Conjuncts of numeric arithmetic (`qty % 7 = 3`, `a < b`) are `exprs` (planner/vector-expr.ts),
 * tested after the terms on the vectors of the columns they read ('any' terms).
 */
class NumberTests {
  /** The vectors test() last saw and their values (exprs read values, one array per term). */
  private viewsSeen: readonly NumberColumnView[] | null = null;
  private viewValues: Float64Array[] = [];
  /** The exprs' verdicts over the values last asked about (vectors never change once built). */
  private judged: readonly Float64Array[] | null = null;
  private verdicts = new Uint8Array(0);
  private scratch = new Uint8Array(0);
  private mask = new Uint8Array(0);

  constructor(
    private readonly columns: Int32Array,
    /** 'any' accepts every value, NULL included: a column read, not tested (withColumns). */
    private readonly ops: readonly (CompareOp | 'in' | 'any')[],
    private readonly values: Float64Array,
    /** Per term, the set an `in` term tests membership of (NaN, NULL, is never in it). */
    private readonly sets: readonly (NumberSet | null)[] = [],
    private readonly exprs: readonly VectorTest[] = [],
    /** The whole WHERE on a row, for an entry an expr cannot decide exactly (UNSAFE). */
    private readonly slow: ((row: Row) => boolean) | null = null,
  ) {}

  /** A fill of this filter's columns for a leaf of `size` entries. */
  fill(size: number): LeafFill {
    return new LeafFill(this.columns, size);
  }

  /** The vectors of the leaf at `at`, one per term, or null when a column has none. */
  vectors(
    at: ScanPosition,
    columnOf: NonNullable<RowReaders['scanNumberColumn']>,
  ): NumberColumnView[] | null {
    const out: NumberColumnView[] = [];
    for (let i = 0; i < this.columns.length; i++) {
      const v = columnOf(at, this.columns[i]);
      if (v === undefined) return null;
      out.push(v);
    }
    return out;
  }

  /**
   * The values of a page not decoded (RowReaders.scanPageColumn), one per term, or null when a
   * column has none: they describe the page's entries exactly, in order.
   */
  pageVectors(page: object, columnOf: NonNullable<RowReaders['scanPageColumn']>): Float64Array[] | null {
    const out: Float64Array[] = [];
    for (let i = 0; i < this.columns.length; i++) {
      const v = columnOf(page, this.columns[i]);
      if (v === undefined) return null;
      out.push(v);
    }
    return out;
  }

  /** true / false from the vectors, undefined when the entry moved since they were built. */
  test(vectors: readonly NumberColumnView[], position: number, location: number): boolean | undefined {
    for (let i = 0; i < vectors.length; i++) {
      const vec = vectors[i];
      if (vec.locations[position] !== location) return undefined;
      if (!this.passes(i, vec.values[position])) return false;
    }
    return this.exprs.length === 0 || this.exprsPass(this.valuesOf(vectors), position);
  }

  /** The values of each of `vectors`, one array per term (kept while the same vectors come). */
  private valuesOf(vectors: readonly NumberColumnView[]): Float64Array[] {
    if (vectors !== this.viewsSeen) {
      this.viewsSeen = vectors;
      this.viewValues = vectors.map((v) => v.values);
    }
    return this.viewValues;
  }

  /** Whether entry `p` passes every term (its values one array per term). */
  private termsPass(values: readonly Float64Array[], p: number): boolean {
    for (let i = 0; i < values.length; i++) if (!this.passes(i, values[i][p])) return false;
    return true;
  }

  /** Whether entry `p` passes every expr (the terms passed already). */
  private exprsPass(values: readonly Float64Array[], p: number): boolean {
    if (values !== this.judged) this.judge(values);
    return this.verdicts[p] === PASS;
  }

  /** The exprs' verdicts on every entry of `values` (a leaf's or a page's), UNSAFE ones resolved. */
  private judge(values: readonly Float64Array[]): void {
    const n = values[0].length;
    if (this.verdicts.length < n) {
      this.verdicts = new Uint8Array(n);
      this.scratch = new Uint8Array(n);
    }
    const out = this.verdicts;
    this.exprs[0].run(values, n, out);
    for (let e = 1; e < this.exprs.length; e++) {
      const more = this.scratch;
      this.exprs[e].run(values, n, more);
      for (let i = 0; i < n; i++) if (out[i] !== REJECT && more[i] !== PASS) out[i] = more[i];
    }
    for (let p = 0; p < n; p++) {
      if (out[p] !== UNSAFE) continue;
      // Rebuild the entry's row from the vectors (NaN is NULL) for the row path's arithmetic.
      const row: unknown[] = [];
      for (let t = 0; t < this.columns.length; t++) {
        const x = values[t][p];
        row[this.columns[t]] = x === x ? x : null;
      }
      out[p] = (this.slow as (row: Row) => boolean)(row) ? PASS : REJECT;
    }
    this.judged = values;
  }

  /**
   * The first position from `from` on whose entry test() does not reject (it passes, or moved
   * since the vectors were built), or `locations.length` when every one is rejected. The loop a
   * whole-table walk spends its time in when few rows pass (`total > 990` over 1M orders): one
   * term, the common case, gets a loop per operator with nothing else in it.
   */
  skipRejected(
    vectors: readonly NumberColumnView[],
    from: number,
    locations: readonly number[],
    /** The vectors' locations are known to equal `locations` (see trust()). */
    trusted = false,
  ): number {
    const n = locations.length;
    const simple = this.exprs.length === 0;
    if (!simple && trusted) {
      // Locations known equal: the exprs' verdicts for the whole leaf, then the terms.
      const values = this.valuesOf(vectors);
      if (values !== this.judged) this.judge(values);
      const verdicts = this.verdicts;
      let p = from;
      while (p < n && (verdicts[p] !== PASS || !this.termsPass(values, p))) p++;
      return p;
    }
    if (simple && vectors.length === 1 && this.ops[0] !== 'in' && this.ops[0] !== 'any') {
      const vals = vectors[0].values;
      const c = this.values[0];
      const stop = skipByValue(this.ops[0], vals, c, from, n);
      if (trusted) return stop;
      // The first entry before `stop` that moved since the vectors were built stops the skip
      // there (comparing locations in the value loop itself cost a third of it: 4 of 11 ms a 1M walk).
      const locs = vectors[0].locations;
      for (let q = from; q < stop; q++) if (locs[q] !== locations[q]) return q;
      return stop;
    }
    let p = from;
    if (simple && vectors.length === 1 && this.ops[0] === 'in') {
      const vals = vectors[0].values;
      const locs = vectors[0].locations;
      const set = this.sets[0] as NumberSet;
      while (p < n && !set.has(vals[p]) && locs[p] === locations[p]) p++;
      return p;
    }
    while (p < n && this.test(vectors, p, locations[p]) === false) p++;
    return p;
  }

  /** Whether every term only reads its column (no filter: a whole-table aggregate's). */
  get readsOnly(): boolean {
    return this.exprs.length === 0 && this.ops.every((op) => op === 'any');
  }

  /**
   * 1 for each entry of the leaf `vectors` describe that passes every term and expr, 0 for the
   * others (locations not checked): valid until the next call.
   */
  passMask(vectors: readonly NumberColumnView[]): Uint8Array {
    const values = this.valuesOf(vectors);
    const n = values.length > 0 ? values[0].length : 0;
    if (this.mask.length < n) this.mask = new Uint8Array(n);
    const mask = this.mask;
    if (this.exprs.length > 0) {
      if (values !== this.judged) this.judge(values);
      const verdicts = this.verdicts;
      for (let p = 0; p < n; p++) mask[p] = verdicts[p] === PASS ? 1 : 0;
    } else mask.fill(1, 0, n);
    for (let i = 0; i < values.length; i++) {
      if (this.ops[i] === 'any') continue;
      const vals = values[i];
      for (let p = 0; p < n; p++) if (mask[p] === 1 && !this.passes(i, vals[p])) mask[p] = 0;
    }
    return mask;
  }

  /**
   * These tests plus a term reading each of `columns` (a column already tested is read from its
   * term): the vectors then carry the columns a RunSink folds. `terms[i]` is column i's term.
   */
  withColumns(columns: readonly number[]): { tests: NumberTests; terms: Int32Array } {
    const cols = Array.from(this.columns);
    const ops = this.ops.slice();
    const values = Array.from(this.values);
    const sets = this.sets.slice();
    const terms = new Int32Array(columns.length);
    columns.forEach((c, i) => {
      let t = cols.indexOf(c);
      if (t < 0) {
        t = cols.length;
        cols.push(c);
        ops.push('any');
        values.push(0);
        sets[t] = null;
      }
      terms[i] = t;
    });
    const tests = new NumberTests(
      Int32Array.from(cols),
      ops,
      Float64Array.from(values),
      sets,
      this.exprs,
      this.slow,
    );
    return { tests, terms };
  }

  /** test() on vectors of values alone (a page's, which describe its entries exactly). */
  testValues(vectors: readonly Float64Array[], position: number): boolean {
    return (
      this.termsPass(vectors, position) && (this.exprs.length === 0 || this.exprsPass(vectors, position))
    );
  }

  /** Whether value `v` (NaN for NULL) passes term `i`. */
  private passes(i: number, v: number): boolean {
    const c = this.values[i];
    switch (this.ops[i]) {
      case '<':
        return v < c;
      case '<=':
        return v <= c;
      case '>':
        return v > c;
      case '>=':
        return v >= c;
      case '=':
        return v === c;
      case '!=':
        return !Number.isNaN(v) && v !== c;
      case 'in':
        return (this.sets[i] as NumberSet).has(v);
      case 'any':
        return true;
    }
  }
}

const FLIPPED: Readonly<Record<CompareOp, CompareOp>> = {
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
  '=': '=',
  '!=': '!=',
};

/** No test at all (a scan without WHERE) for withColumns; null when the reader keeps no vectors. */
export function readsOnly(env: ExecEnv): NumberTests | null {
  return env.scanNumberColumn ? new NumberTests(new Int32Array(0), [], new Float64Array(0)) : null;
}

/**
 * The NumberTests for `predicate` when each of its conjuncts compares a top-level INTEGER or REAL
 * column with a constant that is a number at this execution (no affinity or collation can then
 * change the answer), or compares numeric arithmetic over such columns and number constants
 * (planner/vector-expr.ts); null otherwise.
 */
export function numberTests(predicate: Expr, env: ExecEnv): NumberTests | null {
  if (!env.scanNumberColumn) return null;
  const columns: number[] = [];
  const ops: (CompareOp | 'any')[] = [];
  const values: number[] = [];
  const rest: Expr[] = [];
  for (const e of conjuncts(predicate)) {
    const term = columnTerm(e, env);
    if (term === null) {
      rest.push(e);
      continue;
    }
    columns.push(term.column);
    ops.push(term.op);
    values.push(term.value);
  }
  // An expr reads its columns through a term of theirs ('any' when none tests them).
  const termOf = (column: number): number => {
    const t = columns.indexOf(column);
    if (t >= 0) return t;
    columns.push(column);
    ops.push('any');
    values.push(0);
    return columns.length - 1;
  };
  const exprs: VectorTest[] = [];
  for (const e of rest) {
    const test = vectorTest(e, env.ctx, termOf);
    if (test === null) return null;
    exprs.push(test);
  }
  const slow = exprs.length > 0 ? compilePredicate(predicate, env.ctx) : null;
  return new NumberTests(Int32Array.from(columns), ops, Float64Array.from(values), [], exprs, slow);
}

/** `column op number` (either way round) as a term, or null. */
function columnTerm(e: Expr, env: ExecEnv): { column: number; op: CompareOp; value: number } | null {
  if (e.kind !== 'binary' || e.collation !== undefined) return null;
  const op = e.op as CompareOp;
  if (!(op in FLIPPED)) return null;
  const [col, other, o] = e.left.kind === 'column' ? [e.left, e.right, op] : [e.right, e.left, FLIPPED[op]];
  if (col.kind !== 'column' || col.sub.length !== 0 || (col.type !== 'integer' && col.type !== 'real'))
    return null;
  if (!isConstant(other)) return null;
  const v = evalConstant(other, env.ctx);
  if (typeof v !== 'number' || Number.isNaN(v)) return null;
  return { column: col.column, op: o, value: v };
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

/** Membership of numbers: `has` is false for NaN, which stands for NULL. */
interface NumberSet {
  has(v: number): boolean;
}

/**
 * Whole numbers in a range at most 8 times their count (ids a subquery selected, say) are
 * tested on a bitmap, one byte read per row instead of a hash lookup; others go in a Set.
 */
function numberSet(keys: readonly number[]): NumberSet {
  let lo = Infinity;
  let hi = -Infinity;
  for (const k of keys) {
    if (!Number.isSafeInteger(k)) return new Set(keys);
    if (k < lo) lo = k;
    if (k > hi) hi = k;
  }
  const span = hi - lo + 1;
  if (keys.length === 0 || span > 8 * keys.length + 1024) return new Set(keys);
  const bits = new Uint8Array(span);
  for (const k of keys) bits[k - lo] = 1;
  return {
    // A whole number out of range indexes past the array (undefined); a fraction indexes nothing.
    has: (v) => bits[v - lo] === 1,
  };
}

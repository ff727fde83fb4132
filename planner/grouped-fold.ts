/**
 * A GROUP BY of one column folded from column vectors: `SELECT status, count(*), sum(qty) FROM
 * items [WHERE …] GROUP BY status`, where nothing above reads a column but the group key
 * (AggregatePNode.keysOnly). SQLite walks the index on `status` and reads each row for `qty`; a
 * hash aggregate here read and decoded every row (1M rows: ~1.2M rows/s against SQLite's 2.1M).
 *
 * Each entry's group comes from one of two places. With a plain index on the key, the index's
 * entries, (key, primary key) in key order, number the distinct keys in order, and a dense array
 * maps each integer primary key to its group (kept per index content). Without one, a key column
 * of numbers groups by its own values (a Map from value to group; NULL, NaN in the vectors, is one
 * group), a TEXT key column by its dictionary codes (storage/string-codes.ts), each code's group
 * found once by its string. The primary-key walk then hands the aggregates' columns and the column that finds the
 * group as vectors where the scan has them (the scan memo of a warm leaf, the column page beside
 * a cold page; planner/column-aggregate.ts folds whole tables the same way) and rows elsewhere, in
 * primary-key order, so each group adds its values in the order SQLite does (its index walk, or
 * its sorter, stable in scan order). The groups come out in key order, empty ones (every row
 * filtered) left out.
 *
 * Applies when the GROUP BY is one top-level column without a collation, either covered by a plain
 * single-column index (not partial, not on expressions) with one entry per row and an integer
 * primary key dense enough for the array (its keys at most 4× the row count, plus 4096, apart),
 * or INTEGER / REAL / TEXT; every aggregate folds (column-aggregate.ts foldedColumn); and the input is a
 * primary-key walk, filtered or not. Anything else: null, and the caller aggregates rows.
 */
import type { CollectionView, IndexView } from '../storage/collection-state';
import type { StringCodes } from '../storage/string-codes';
import { compareValues } from '../storage/compare';
import type { NumberFolder } from './aggregates';
import { foldScan, foldedColumn, numberFolders } from './column-aggregate';
import type { Expr } from './expr';
import { filteredScan } from './filtered-scan';
import type { KeySetFilter, PkWalk, RunSink } from './filtered-scan';
import type { PhysicalPlan } from './physical';
import { source } from './source';
import { valueCollation } from './sql-text';
import type { ExecEnv, Source } from './execute';

type AggregateNode = Extract<PhysicalPlan, { kind: 'Aggregate' }>;

/** Folds made, entries grouped from vectors and from rows, folds given up past the budget (tests count the work). */
export const groupedFoldStats = { folded: 0, vectorEntries: 0, rows: 0, gaveWay: 0 };

/**
 * More groups than the sort budget holds (ConnectOptions.sortBudgetBytes, counted as
 * aggregate-exec.ts counts a group, plus a Map entry): the fold gives way to aggregateRows, which
 * spills past the budget. A grouping by value learns it during the scan and starts over there.
 */
class TooManyGroups extends Error {}

/** Slack of the dense primary-key array beyond 4× the row count (small tables with gaps). */
const DENSE_SLACK = 4096;

/** Each row's group, from the index: `keys[codes[pk - base]]` is the key of primary key `pk`. */
interface GroupCodes {
  readonly base: number;
  readonly codes: Int32Array;
  readonly keys: unknown[];
}

/** The index over `column` alone whose entries are the column's plain values, or undefined. */
function plainIndexOn(coll: CollectionView, column: number): IndexView | undefined {
  return coll.indexes.find(
    (ix) =>
      !ix.special &&
      !ix.composite &&
      ix.columns.length === 1 &&
      ix.columns[0].column === column &&
      ix.columns[0].sub.length === 0,
  );
}

/**
 * The grouping of each index content met, by its snapshot's root: the nodes a snapshot reaches
 * never change, so while an index is unchanged repeated GROUP BYs walk it once (4 bytes a
 * primary key of the span, held while that content is some snapshot's).
 */
const groupings = new WeakMap<object, GroupCodes | null>();

/** groupCodes of `ix`, memoized by its content (see groupings). */
function groupingOf(coll: CollectionView, ix: IndexView): GroupCodes | null {
  // One entry per row: an index of another size is not this table's grouping.
  if (ix.tree.size !== coll.pk.size || ix.tree.size === 0) return null;
  const root = ix.tree.root;
  let g = groupings.get(root);
  if (g === undefined) groupings.set(root, (g = groupCodes(coll, ix)));
  return g;
}

/** Number each distinct key of `ix` in key order and map primary keys to them; null when not dense. */
function groupCodes(coll: CollectionView, ix: IndexView): GroupCodes | null {
  const pk = coll.pk;
  const size = pk.size;
  const first = pk.min();
  const last = pk.max();
  if (!first || !last) return null;
  const lo = first[0];
  const hi = last[0];
  if (
    typeof lo !== 'number' ||
    typeof hi !== 'number' ||
    !Number.isSafeInteger(lo) ||
    !Number.isSafeInteger(hi)
  )
    return null;
  const span = hi - lo + 1;
  if (span > 4 * size + DENSE_SLACK) return null;
  const codes = new Int32Array(span).fill(-1);
  const keys: unknown[] = [];
  const cur = ix.tree.cursor();
  let prev: unknown = undefined;
  let code = -1;
  while (cur.next()) {
    const key = cur.key;
    const at = cur.value;
    if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < lo || at > hi) return null;
    if (code < 0 || compareValues(prev, key) !== 0) {
      code++;
      keys.push(key);
      prev = key;
    }
    codes[at - lo] = code;
  }
  return { base: lo, codes, keys };
}

/**
 * A run's entries sorted into their groups (a counting sort by group, stable): bin() takes each
 * entry's group and numbers the groups the run touches, gather() copies one group's values of a
 * column into `buffer`. Group numbers may grow from run to run (a grouping by value).
 */
class RunBins {
  /** The groups the last run touched, in first-touch order (touched[0..bin())). */
  touched = new Int32Array(64);
  /** Per group: its entries in the last run (0 for the untouched, once reset). */
  private count = new Int32Array(64);
  /** Per group: where its positions start in `order`. */
  private start = new Int32Array(64);
  private order = new Int32Array(1024);
  buffer = new Float64Array(1024);

  /** Bin entries [0, n) of a run whose groups are `group[0..n)`, all below `groups`; groups touched. */
  bin(group: Int32Array, n: number, groups: number): number {
    if (this.count.length < groups) {
      const size = Math.max(groups, 2 * this.count.length);
      this.count = new Int32Array(size);
      this.start = new Int32Array(size);
      this.touched = new Int32Array(size);
    }
    if (this.order.length < n) {
      this.order = new Int32Array(n);
      this.buffer = new Float64Array(n);
    }
    const { count, touched, start, order } = this;
    let used = 0;
    for (let i = 0; i < n; i++) {
      const g = group[i];
      if (count[g]++ === 0) touched[used++] = g;
    }
    let at = 0;
    for (let t = 0; t < used; t++) {
      const g = touched[t];
      start[g] = at;
      at += count[g];
      count[g] = 0;
    }
    for (let i = 0; i < n; i++) {
      const g = group[i];
      order[start[g] + count[g]++] = i;
    }
    return used;
  }

  /** Copy group `g`'s values of `column` (in run order) into `buffer`; how many. */
  gather(g: number, column: Float64Array): number {
    const from = this.start[g];
    const k = this.count[g];
    const { order, buffer } = this;
    for (let j = 0; j < k; j++) buffer[j] = column[order[from + j]];
    return k;
  }

  /** Forget the last run's counts (the next bin() starts from zero). */
  reset(used: number): void {
    for (let t = 0; t < used; t++) this.count[this.touched[t]] = 0;
  }
}

/** Each entry's group: from a vector run (the sink's columns), or from a row; then the groups in key order. */
interface Grouper {
  runGroups(values: readonly Float64Array[], n: number, out: Int32Array): void;
  rowGroup(row: readonly unknown[]): number;
  /** Groups numbered so far (every group number is below it). */
  readonly size: number;
  /** The group numbers in key order (SQLite's GROUP BY order), with their keys. */
  ordered(): { group: number; key: unknown }[];
}

/** Groups from an index (see GroupCodes): `pkSlot` is the primary key's column among the sink's. */
function indexGrouper(grouping: GroupCodes, pkSlot: number, pkColumn: number): Grouper {
  const { base, codes, keys } = grouping;
  return {
    size: keys.length,
    runGroups(values, n, out) {
      const pks = values[pkSlot];
      for (let i = 0; i < n; i++) out[i] = codes[pks[i] - base];
    },
    rowGroup: (row) => codes[Number(row[pkColumn]) - base],
    ordered: () => keys.map((key, group) => ({ group, key })),
  };
}

/**
 * Groups by the values of a numeric column (`keySlot` among the sink's, `column` in rows), numbered
 * as they come: no index needed. NULL (NaN in vectors) is a group of its own; -0 and 0 are one.
 */
function valueGrouper(keySlot: number, column: number, maxGroups: number): Grouper {
  const byKey = new Map<unknown, number>();
  const keys: unknown[] = [];
  const groupOf = (key: unknown): number => {
    let g = byKey.get(key);
    if (g === undefined) {
      if (keys.length >= maxGroups) throw new TooManyGroups();
      g = keys.length;
      byKey.set(key, g);
      keys.push(key);
    }
    return g;
  };
  return {
    get size() {
      return keys.length;
    },
    runGroups(values, n, out) {
      const col = values[keySlot];
      for (let i = 0; i < n; i++) {
        const v = col[i];
        out[i] = groupOf(v === v ? v : null);
      }
    },
    rowGroup: (row) => groupOf(row[column] ?? null),
    ordered: () => keys.map((key, group) => ({ group, key })).sort((a, b) => compareValues(a.key, b.key)),
  };
}

/**
 * Groups by the strings of a TEXT column, from its codes in vectors (`keySlot` among the sink's)
 * and from its values in rows: each code's group is remembered, so a vector entry costs an array
 * read; groups are numbered by string, so the two ways agree. NULL is a group of its own.
 */
function codeGrouper(keySlot: number, column: number, codes: StringCodes, maxGroups: number): Grouper {
  const strings = valueGrouper(keySlot, column, maxGroups);
  // Per code, its group plus one (0: not met yet).
  let byCode = new Int32Array(64);
  let nullGroup = -1;
  const groupOfCode = (v: number): number => {
    if (v !== v) return nullGroup < 0 ? (nullGroup = strings.rowGroup([])) : nullGroup;
    if (v >= byCode.length) {
      const grown = new Int32Array(Math.max(2 * byCode.length, v + 1));
      grown.set(byCode);
      byCode = grown;
    }
    const known = byCode[v];
    if (known > 0) return known - 1;
    const g = strings.rowGroup(keyRow(column, codes.strings[v]));
    byCode[v] = g + 1;
    return g;
  };
  return {
    get size() {
      return strings.size;
    },
    runGroups(values, n, out) {
      const col = values[keySlot];
      for (let i = 0; i < n; i++) out[i] = groupOfCode(col[i]);
    },
    rowGroup: (row) => strings.rowGroup(row),
    ordered: () => strings.ordered(),
  };
}

/** A row holding only `value` at `column` (what a Grouper's rowGroup reads). */
function keyRow(column: number, value: unknown): unknown[] {
  const row = new Array<unknown>(column + 1).fill(null);
  row[column] = value;
  return row;
}

/**
 * The GROUP BY's rows folded from the index's grouping and the walk's column vectors, or null
 * when the aggregate or its input is not of the kind folded (the caller runs aggregateRows). The
 * primary keys' density is known only once the walk starts: `otherwise` then makes the rows.
 */
export function groupedFold(
  node: AggregateNode,
  env: ExecEnv,
  walk: PkWalk | null,
  predicate: Expr | KeySetFilter | null,
  otherwise: () => Source,
): Source | null {
  const scanRowWhere = env.scanRowWhere;
  if (!node.keysOnly || node.groupBy.length !== 1 || walk === null || !scanRowWhere) return null;
  const g = node.groupBy[0];
  if (g.kind !== 'column' || g.sub.length !== 0 || valueCollation(g) !== undefined) return null;
  const coll = walk.coll;
  const pkColumn = coll.compiled.pkColumn;
  // Grouped by an index on the key, or by the key's own values when it is a number column, or
  // by its dictionary codes (storage/string-codes.ts) when it is a TEXT one.
  const ix = plainIndexOn(coll, g.column);
  const textCodes =
    ix === undefined && g.type === 'text' && env.scanCodeColumn && env.stringCodes
      ? env.stringCodes(coll.meta.id, g.column)
      : null;
  if (ix === undefined && g.type !== 'integer' && g.type !== 'real' && textCodes === null) return null;
  const folded = node.aggregates.map(foldedColumn);
  if (folded.some((c) => c === null)) return null;
  const columns = folded as number[];
  // The column that finds each entry's group first: the primary key's (through the index) or
  // the key's own.
  const finder = ix === undefined ? g.column : pkColumn;
  const scan = foldScan(
    node,
    env,
    predicate,
    [...new Set([finder, ...columns.filter((c) => c >= 0)])],
    columns,
    coll.meta.id,
    textCodes === null ? null : new Map([[g.column, textCodes]]),
  );
  if (scan === null || numberFolders(node, scan.compiled) === null) return null;
  const { tests, terms, tested, pred, compiled, slot } = scan;
  const make = (): NumberFolder[] => numberFolders(node, compiled) as NumberFolder[];
  const width = node.inputWidth;
  const evals = compiled.map((c) => c?.eval ?? null);
  const maxGroups = Math.max(
    1,
    Math.floor(env.sortBudgetBytes / (64 + 8 + 48 * node.aggregates.length + 64)),
  );
  const fold = (grouper: Grouper): unknown[][] => {
    groupedFoldStats.folded++;
    const groups: (NumberFolder[] | undefined)[] = [];
    const accsOf = (group: number): NumberFolder[] => (groups[group] ??= make());
    const bins = new RunBins();
    let runGroups = new Int32Array(1024);
    const sink: RunSink = {
      terms,
      take(values: readonly Float64Array[], n: number): void {
        groupedFoldStats.vectorEntries += n;
        if (runGroups.length < n) runGroups = new Int32Array(n);
        grouper.runGroups(values, n, runGroups);
        // The run's entries binned by group (in scan order within each), then each group's
        // values folded at once: a call per group and aggregate, not per entry.
        const touched = bins.bin(runGroups, n, grouper.size);
        for (let t = 0; t < touched; t++) {
          const group = bins.touched[t];
          const accs = accsOf(group);
          for (let a = 0; a < accs.length; a++) {
            const k = bins.gather(group, values[slot[a]]);
            accs[a].addNumbers(bins.buffer, k);
          }
        }
        bins.reset(touched);
      },
    };
    const rows = filteredScan(walk, env, scanRowWhere, tested, pred, tests, false, sink);
    for (let row = rows.next(); row !== null; row = rows.next()) {
      groupedFoldStats.rows++;
      const accs = accsOf(grouper.rowGroup(row));
      for (let a = 0; a < accs.length; a++) {
        const ev = evals[a];
        accs[a].add(ev ? ev(row) : 1);
      }
    }
    const out: unknown[][] = [];
    for (const { group, key } of grouper.ordered()) {
      const accs = groups[group];
      if (accs === undefined) continue;
      // The stored row's columns, then the group key, then the aggregates (aggregateRows' layout).
      // Of the stored row only the key's column may be read (keysOnly): the others stay NULL.
      const row = new Array<unknown>(width + 1 + accs.length).fill(null);
      row[g.column] = key;
      row[width] = key;
      for (let a = 0; a < accs.length; a++) row[width + 1 + a] = accs[a].result();
      out.push(row);
    }
    return out;
  };
  // Started by the first row asked for, as the other aggregates are.
  let rows: unknown[][] | null = null;
  let rest: Source | null = null;
  let at = 0;
  return source(() => {
    if (rest !== null) return rest.next();
    if (rows === null) {
      if (ix === undefined) {
        try {
          rows = fold(
            textCodes === null
              ? valueGrouper(0, g.column, maxGroups)
              : codeGrouper(0, g.column, textCodes, maxGroups),
          );
        } catch (err) {
          if (!(err instanceof TooManyGroups)) throw err;
          groupedFoldStats.gaveWay++;
          return (rest = otherwise()).next();
        }
      } else {
        const grouping = groupingOf(coll, ix);
        if (grouping === null || grouping.keys.length > maxGroups) return (rest = otherwise()).next();
        rows = fold(indexGrouper(grouping, 0, pkColumn));
      }
    }
    return at < rows.length ? rows[at++] : null;
  });
}

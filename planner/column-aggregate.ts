/**
 * A whole-table aggregate folded from column vectors: `SELECT sum(total), max(total) FROM t
 * [WHERE total > ?]` over numeric columns, with no GROUP BY and no bare column read above it.
 * Where the scan has the leaf's columns as vectors (the scan memo of a warm leaf, the column page
 * stored beside a checkpoint page not decoded) the accumulators fold a leaf's values at once
 * (Accumulator.addNumbers); the entries no vector describes come as rows and are added one by
 * one. Runs and rows arrive in scan order, so a REAL sum adds its values in SQLite's order.
 *
 * Applies when every aggregate is COUNT, SUM, TOTAL, AVG, MIN or MAX, not DISTINCT and without
 * FILTER, over `*` or a top-level INTEGER or REAL column without a collation, and the input is a
 * primary-key walk, filtered or not (the planner marks the node `bareUnread`, see physical.ts).
 */
import { compilePredicate, compileTaggedExpr } from './compile-expr';
import type { Compiled, Row } from './compile-expr';
import { makeAccumulator, numberFolder } from './aggregates';
import type { NumberFolder } from './aggregates';
import type { Expr } from './expr';
import type { PhysicalPlan } from './physical';
import { valueCollation } from './sql-text';
import { filteredScan } from './filtered-scan';
import { numberTests, readsOnly } from './number-tests';
import type { NumberTests } from './number-tests';
import type { KeySetFilter, PkWalk, RunSink } from './filtered-scan';
import { columnsOf } from './expr-columns';
import { source } from './source';
import type { ExecEnv, Source } from './execute';
import type { StringCodes } from '../storage/string-codes';

type AggregateNode = Extract<PhysicalPlan, { kind: 'Aggregate' }>;

/** Aggregates folded, runs of values folded and rows added one by one (tests count the work). */
export const columnAggregateStats = { folded: 0, runs: 0, values: 0, rows: 0 };

const FOLDED = new Set(['count', 'sum', 'total', 'avg', 'min', 'max']);

/**
 * The column aggregate `a` folds (-1: COUNT(*)), or null when it cannot be folded: not one of
 * FOLDED, DISTINCT, FILTER, further arguments or an ORDER BY, or over anything but a top-level
 * INTEGER or REAL column without a collation. Also the planner's test (physical-planner.ts).
 */
export function foldedColumn(a: AggregateNode['aggregates'][number]): number | null {
  if (!FOLDED.has(a.fn) || a.distinct || a.filter !== null || a.more.length !== 0 || a.orderBy) return null;
  if (a.arg === null) return a.fn === 'count' ? -1 : null;
  const e = a.arg;
  if (e.kind !== 'column' || e.sub.length !== 0 || (e.type !== 'integer' && e.type !== 'real')) return null;
  return valueCollation(e) === undefined ? e.column : null;
}

/** The column each aggregate folds (-1: COUNT(*)), or null when one cannot be folded. */
function foldedColumns(node: AggregateNode, filtered: boolean): number[] | null {
  if (!node.bareUnread || node.groupBy.length !== 0) return null;
  const out: number[] = [];
  for (const a of node.aggregates) {
    const c = foldedColumn(a);
    if (c === null) return null;
    out.push(c);
  }
  // COUNT(*) alone folds a filter's passing runs (a count per leaf instead of a row each); over
  // a whole table the tree's size answers it (execute.ts countsWholeTable).
  return filtered || out.some((c) => c >= 0) ? out : null;
}

/**
 * The scan a fold over `walk` makes (this module's and planner/grouped-fold.ts): the filter's
 * number tests widened to hand `read` (columns, the first ones the sink's first vectors) as
 * vectors, the columns the rows must hold, the row predicate, each aggregate's compiled argument
 * and its column's place among the sink's vectors (COUNT(*), -1, the first: only n counts).
 * Null when the filter is of a kind the vectors cannot serve.
 */
export interface FoldScan {
  readonly tests: NumberTests;
  readonly terms: Int32Array;
  readonly tested: readonly number[];
  readonly pred: (row: Row) => unknown;
  readonly compiled: readonly (Compiled | null)[];
  readonly slot: readonly number[];
}

export function foldScan(
  node: AggregateNode,
  env: ExecEnv,
  predicate: Expr | KeySetFilter | null,
  read: readonly number[],
  columns: readonly number[],
  /** The scanned collection's id: its TEXT columns' codes may serve the filter. */
  collectionId: number,
  /** The dictionary of each TEXT column of `read` to be read as codes (a grouping by its values). */
  textCodes: ReadonlyMap<number, StringCodes> | null = null,
): FoldScan | null {
  const prepared = predicate !== null && 'numbers' in predicate ? predicate : null;
  const expr = prepared === null ? (predicate as Expr | null) : null;
  const numbers = prepared
    ? prepared.numbers
    : expr === null
      ? readsOnly(env)
      : numberTests(expr, env, collectionId);
  const predColumns = prepared ? prepared.columns : expr === null ? [] : columnsOf(expr);
  if (numbers === null || predColumns === null) return null;
  const { tests, terms } = numbers.withColumns(read, textCodes);
  // The rows the filter tests fill the scan memo's vectors: they must hold the folded columns too.
  const tested = [...new Set([...predColumns, ...read])].sort((a, b) => a - b);
  return {
    tests,
    terms,
    tested,
    pred: prepared ? prepared.pred : expr === null ? () => true : compilePredicate(expr, env.ctx),
    compiled: node.aggregates.map((a) => (a.arg ? compileTaggedExpr(a.arg, env.ctx) : null)),
    slot: columns.map((c) => (c < 0 ? 0 : read.indexOf(c))),
  };
}

/** Fresh accumulators of `node`'s aggregates that fold runs of numbers, or null when one cannot. */
export function numberFolders(node: AggregateNode, compiled: FoldScan['compiled']): NumberFolder[] | null {
  const accs: NumberFolder[] = [];
  for (const [i, a] of node.aggregates.entries()) {
    const acc = numberFolder(makeAccumulator(a.fn, a.arg === null, false, compiled[i]?.type ?? 'integer'));
    if (acc === null) return null;
    accs.push(acc);
  }
  return accs;
}

/**
 * The Aggregate's one row from column vectors where the scan has them, or null when the
 * aggregate or its input is not of the kind folded (the caller runs aggregateRows).
 */
export function columnAggregate(
  node: AggregateNode,
  env: ExecEnv,
  walk: PkWalk | null,
  predicate: Expr | KeySetFilter | null,
): Source | null {
  const columns = foldedColumns(node, predicate !== null);
  const scanRowWhere = env.scanRowWhere;
  if (columns === null || walk === null || !scanRowWhere) return null;
  const read = [...new Set(columns.filter((c) => c >= 0))];
  const scan = foldScan(node, env, predicate, read, columns, walk.coll.meta.id);
  if (scan === null) return null;
  const { tests, terms, tested, pred, compiled, slot } = scan;
  const accs = numberFolders(node, compiled);
  if (accs === null) return null;
  const sink: RunSink = {
    terms,
    take(values: readonly Float64Array[], n: number): void {
      columnAggregateStats.runs++;
      columnAggregateStats.values += n;
      for (let i = 0; i < accs.length; i++) accs[i].addNumbers(values[slot[i]], n);
    },
  };
  const evals = compiled.map((c) => c?.eval ?? null);
  const width = node.inputWidth;
  let done = false;
  return source(() => {
    if (done) return null;
    done = true;
    columnAggregateStats.folded++;
    const rows = filteredScan(walk, env, scanRowWhere, tested, pred, tests, false, sink);
    for (let row = rows.next(); row !== null; row = rows.next()) {
      columnAggregateStats.rows++;
      for (let i = 0; i < accs.length; i++) {
        const ev = evals[i];
        accs[i].add(ev ? ev(row) : 1);
      }
    }
    // Bare columns are NULL: nothing above reads them (bareUnread).
    const out = new Array<unknown>(width + accs.length).fill(null);
    for (let i = 0; i < accs.length; i++) out[width + i] = accs[i].result();
    return out;
  });
}

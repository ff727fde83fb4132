/**
 * A whole-table aggregate folded from an index's keys (AggregatePNode.keyFold): `SELECT count(*),
 * sum(qty) FROM items WHERE qty % 7 = 3` with an index led by `qty`. The WHERE reads that column
 * and nothing else that varies by row, so it is a function of the key: it is decided once per
 * distinct key, through the compiled predicate the row path runs, and every entry of an accepted
 * key is folded with the key's value. SQLite walks the same covering index, testing each entry.
 *
 * Planned (keyFoldIndex) for COUNT(*) and COUNT, MIN, MAX, SUM and AVG of one INTEGER column —
 * exact in any order, and the index's order is not the table's — over an index that holds every
 * row (neither partial nor on expressions) led by that column, with a WHERE of that column alone
 * whose functions are deterministic. At run time the fold gives up, and the plan's own input runs
 * instead, when the keys turn out mostly distinct (a predicate call per entry costs more than the
 * column vectors' loops), when a key is not a safe integer (a 64-bit one past 2^53, which the
 * folders' vectors cannot hold), or when the index's entries are not one per row.
 */
import type { CollectionView, IndexView } from '../storage/collection-state';
import { compilePredicate, compileTaggedExpr } from './compile-expr';
import { foldedColumn, numberFolders } from './column-aggregate';
import type { AggregateExpr, Expr } from './expr';
import { typeOf } from './expr-type';
import { pollRows } from './interrupt';
import type { PhysicalPlan } from './physical';
import { source } from './source';
import type { Source } from './source';
import { truth } from './sql-values';
import { onlyColumnOf } from './text-codes';
import type { ExecEnv } from './execute';

type AggregateNode = Extract<PhysicalPlan, { kind: 'Aggregate' }>;

/** Entries walked before the share of distinct keys is judged. */
const JUDGE_AFTER = 8192;
/** Above one distinct key per this many entries, the fold gives up for the column vectors. */
const ENTRIES_PER_KEY = 4;

/** Folds run and given up (tests count them). */
export const keyFoldStats = { folded: 0, gaveUp: 0, keysTested: 0 };

/**
 * The index a whole-table aggregate with WHERE `predicate` may be folded from, and its column;
 * undefined when the aggregates or the WHERE are not of the kind keyFold takes (see the header).
 */
export function keyFoldIndex(
  aggregates: readonly AggregateExpr[],
  predicate: Expr,
  view: CollectionView,
): { index: string; column: number } | undefined {
  const column = onlyColumnOf(predicate, 'integer');
  if (column === null) return undefined;
  for (const a of aggregates) {
    const c = foldedColumn(a);
    if (c === null || (c >= 0 && c !== column)) return undefined;
    if (a.fn === 'count' || a.fn === 'min' || a.fn === 'max') continue;
    // SUM and AVG of INTEGERs are exact in any order; TOTAL is a REAL sum.
    if ((a.fn !== 'sum' && a.fn !== 'avg') || typeOf(a.arg as Expr) !== 'integer') return undefined;
  }
  const ix = view.indexes.find((i) => !i.special && leads(i, column));
  return ix ? { index: ix.def.name, column } : undefined;
}

/**
 * The table `input` reads whole, row by row: a table walk, or a walk of every entry of an index
 * (the covering scan SQLite's plan would be); null for anything else.
 */
export function wholeTableWalk(input: PhysicalPlan): string | null {
  if (input.kind === 'CollectionScan') return input.collection;
  if (input.kind !== 'IndexRangeScan' || input.index === null || input.lo !== null || input.hi !== null)
    return null;
  if (input.skipNulls || (input.prefix?.length ?? 0) > 0 || input.prefixIn !== undefined) return null;
  return input.collection;
}

/** Whether `ix`'s first key column is the plain top-level column `column`. */
function leads(ix: IndexView, column: number): boolean {
  const first = ix.columns[0];
  return first !== undefined && first.column === column && first.sub.length === 0;
}

/** Plans whose key fold gave up for too many distinct keys: they go straight to the vectors. */
const tooManyKeys = new WeakSet<AggregateNode>();

/**
 * The Aggregate's one row folded from its index's keys when it is first asked for; `otherwise`
 * (the plan's own input, aggregated) when the fold gives up. Null when the node has no key fold
 * or gave up at an earlier execution.
 */
export function keyFoldAggregate(
  node: AggregateNode,
  env: ExecEnv,
  coll: CollectionView,
  otherwise: () => Source,
): Source | null {
  if (node.keyFold === undefined || tooManyKeys.has(node)) return null;
  let rows: Source | null = null;
  return source(() => {
    if (rows === null) {
      const row = foldKeys(node, env, coll);
      rows = row === null ? otherwise() : oneRow(row);
    }
    return rows.next();
  });
}

function oneRow(row: unknown[]): Source {
  let done = false;
  return source(() => {
    if (done) return null;
    done = true;
    return row;
  });
}

/** The aggregate row, or null when the fold gives up (see the header). */
function foldKeys(node: AggregateNode, env: ExecEnv, coll: CollectionView): unknown[] | null {
  const fold = node.keyFold;
  const filter = node.input;
  if (fold === undefined || filter.kind !== 'Filter') return null;
  const ix = coll.indexes.find((i) => i.def.name === fold.index);
  if (ix === undefined || !leads(ix, fold.column)) return null;
  const compiled = node.aggregates.map((a) => (a.arg ? compileTaggedExpr(a.arg, env.ctx) : null));
  const accs = numberFolders(node, compiled);
  if (accs === null) return null;
  const pred = compilePredicate(filter.predicate, env.ctx);
  const composite = ix.composite;
  const column = fold.column;
  const row = new Array<unknown>(node.inputWidth).fill(null);
  // Accepted entries' values, folded a buffer at a time (NaN is NULL, as in the folders' runs).
  const values = new Float64Array(1024);
  let held = 0;
  const flush = (): void => {
    for (const acc of accs) acc.addNumbers(values, held);
    held = 0;
  };
  let entries = 0;
  let keys = 0;
  // The last key decided, and its verdict: a key's entries may run on into the next leaf.
  let last: unknown = undefined;
  let lastPasses = false;
  const cur = ix.tree.cursor();
  while (cur.next()) {
    const leafKeys = cur.leafKeys as readonly unknown[];
    const n = leafKeys.length;
    let i = cur.at;
    const first = i;
    while (i < n) {
      const k = leafKeys[i];
      const v = composite ? (k as readonly unknown[])[0] : k;
      let j = i + 1;
      // Entries of one key share its key object (or hold one number).
      if (composite) while (j < n && (leafKeys[j] === k || (leafKeys[j] as readonly unknown[])[0] === v)) j++;
      else while (j < n && leafKeys[j] === k) j++;
      if (v !== last || keys === 0) {
        if (v !== null && !Number.isSafeInteger(v)) return null;
        row[column] = v;
        lastPasses = truth(pred(row)) === true;
        last = v;
        keys++;
      }
      if (lastPasses) {
        const x = v === null ? NaN : (v as number);
        for (let t = i; t < j; t++) {
          values[held++] = x;
          if (held === values.length) flush();
        }
      }
      i = j;
    }
    entries += n - first;
    pollRows(n - first);
    if (entries >= JUDGE_AFTER && keys * ENTRIES_PER_KEY > entries) {
      tooManyKeys.add(node);
      keyFoldStats.gaveUp++;
      return null;
    }
    cur.passLeaf();
  }
  // Every row has its entry in an index of this kind; anything else is left to the table walk.
  if (entries !== coll.pk.size) return null;
  flush();
  keyFoldStats.folded++;
  keyFoldStats.keysTested += keys;
  env.stats.indexEntries += entries;
  // Bare columns are NULL: nothing above reads them (the planner asked for bareUnread).
  const out = new Array<unknown>(node.inputWidth + accs.length).fill(null);
  for (let i = 0; i < accs.length; i++) out[node.inputWidth + i] = accs[i].result();
  return out;
}

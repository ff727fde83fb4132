/**
 * Pull-based executor: every physical node becomes a Source whose next() yields one row or null.
 * Nothing is materialized unless the node must (Sort, TopN, Aggregate, Distinct's seen-set), so
 * producing k rows from a streaming plan costs O(k + setup). Reads go through the statement's
 * ReadView (copy-on-write snapshots), so concurrent writes never change a running result.
 * `stats` counts rows fetched from storage; tests use it to prove the work is bounded.
 */
import { FlippedTies } from './flipped-ties';
import type { EntryCursor } from './flipped-ties';
import type { BTreeSnapshot } from '../storage/btree';
import type { ReadView } from '../storage/engine';
import type { RowReaders, ScanPosition, ScanRowWhere } from '../storage/row-readers';
import { DataError, QueryError } from '../src/errors';
import { columnsOf } from './expr-columns';
import { windowSource } from './window-spill';
import { polled } from './interrupt';
import {
  compileCollatedKey,
  compileExpr,
  compilePredicate,
  compileTagged,
  compileTaggedExpr,
  evalConstant,
} from './compile-expr';
import { sharedType, typeOf } from './expr-type';
import { tagReal } from './tagged-real';
import type { Evaluator, ExecContext, Row } from './compile-expr';
import type { Expr } from './expr';
import { E } from './expr';
import type { SharedCte, SortKey } from './logical';
import type { CompoundPNode, IndexRangeScanNode, PhysicalKind, PhysicalPlan } from './physical';
import { concatRows, setOperation } from './set-ops';
import { valueKey } from './value-key';
import { recursiveSource, workingTables } from './recursive-exec';
import { truth } from './sql-values';
import { sortSource } from './sort';
import { presortedSource } from './presorted-sort';
import { virtualRows } from './introspect/rows';
import { hashJoinSource, indexNestedLoopJoinSource, nestedLoopJoinSource } from './join-exec';
import { semiJoinSource } from './semi-join-exec';
import { tableFunctionSource } from './table-function';
import { filteredScan, keySetFilterOf, keySetScan } from './filtered-scan';
import { numberTests } from './number-tests';
import { aggregateRows } from './aggregate-exec';
import { groupedFold } from './grouped-fold';
import { columnAggregate } from './column-aggregate';
import { keyFoldAggregate, wholeTableWalk } from './key-fold';
import { countsRange, countsRowsOnly, countsWholeTable, rangeCount, tableCount } from './table-count';
import { countsGroups, groupCounts } from './group-counts';
import { distinctSource } from './distinct-exec';
import { topN } from './top-n';
import { coveringRow, rangeOptions, singleKeyGroup, sqlIndexBounds, wholeKeyGroup } from './index-range';
import type { PkWalk } from './filtered-scan';
import { drain, source } from './source';
import { Bounds } from './bounds';
import { routedEnv } from './foreign-tables';
import { projectedInput } from './projected-scan';
import { distinctKeyRows } from './distinct-keys';
import {
  NO_KEY,
  collectionOf,
  declaredDescending,
  fetchInBatches,
  groupRows,
  outerKeyed,
  refetchRows,
  rowsOf,
  sortedDistinctKeys,
  treeOf,
  uniqueLookup,
} from './row-fetch';
import type { Source } from './source';

export type { Source } from './source';
export { drain } from './source';

export interface ExecStats {
  /** Rows fetched from storage (cache or disk). */
  rowsRead: number;
  /** Index entries visited. */
  indexEntries: number;
}

export interface ExecEnv {
  readonly view: ReadView;
  readonly readRow: (location: number) => unknown[];
  /** Like readRow, for scans that visit rows roughly in file order (may read ahead in large chunks). */
  readonly readRowSequential: (at: ScanPosition) => unknown[];
  /**
   * A scan's read with a filter pushed down (storage/row-reader.ts scanRowWhere): the row when `test`
   * accepts it, else null; only `columns` need be present in the row `test` sees.
   */
  readonly scanRowWhere?: ScanRowWhere;
  /** A scan's read of a few columns only (storage/row-readers.ts ScanRowColumns). */
  readonly scanRowColumns?: RowReaders['scanRowColumns'];
  /** An index lookup's read of a few columns only (storage/row-readers.ts ReadRowColumns). */
  readonly readRowColumns?: RowReaders['readRowColumns'];
  /** Whether readRowColumns may return partial rows now (storage/row-readers.ts). */
  readonly narrowing?: RowReaders['narrowing'];
  /** A numeric column of a scan's leaf as a vector, when there is one (storage/row-readers.ts). */
  readonly scanNumberColumn?: RowReaders['scanNumberColumn'];
  readonly keepNumberColumn?: RowReaders['keepNumberColumn'];
  /** A TEXT column of a scan's leaf as dictionary codes, and its dictionary (storage/string-codes.ts). */
  readonly scanCodeColumn?: RowReaders['scanCodeColumn'];
  readonly keepCodeColumn?: RowReaders['keepCodeColumn'];
  readonly stringCodes?: RowReaders['stringCodes'];
  readonly scanPageCodeColumn?: RowReaders['scanPageCodeColumn'];
  /** A numeric column of a checkpoint page not decoded (storage/row-readers.ts). */
  readonly scanPageColumn?: RowReaders['scanPageColumn'];
  readonly ctx: ExecContext;
  readonly stats: ExecStats;
  /** Estimated bytes of rows a Sort keeps in memory before spilling sorted runs to a temp file. */
  readonly sortBudgetBytes: number;
  /** Bytes of build-side rows a HashJoin holds before spilling (absent: planner/hash-spill.ts default). */
  readonly hashJoinBudgetBytes?: number | undefined;
  /** Rows of the CTEs several references share, computed once per statement execution. */
  readonly sharedCtes?: Map<SharedCte, Row[]>;
  /**
   * The environments of tables whose rows live in another store (TEMP tables in a statement that
   * also reads main ones), by collection name (planner/foreign-tables.ts); absent: none.
   */
  readonly foreign?: ReadonlyMap<string, ExecEnv>;
  /** With `foreign`: each schema's environment over its own catalog, for the schema tables. */
  readonly schemas?: { readonly main: ExecEnv; readonly temp: ExecEnv } | undefined;
}

const EMPTY: Source = source(() => null);

function evalConst(expr: Expr, env: ExecEnv): unknown {
  return evalConstant(expr, env.ctx);
}

/**
 * Pull up to `n` rows of `input` and drop them (Source.skip of an operator that has nothing
 * cheaper, such as Project: SQLite does not compute the result columns of rows an OFFSET skips).
 */
function pullOver(input: Source, n: number): number {
  let k = 0;
  while (k < n && input.next() !== null) k++;
  return k;
}

/**
 * Advance `cur` over up to `n` entries without reading their rows: how many it advanced. A tree
 * cursor jumps within its leaves (BTreeCursor.skip).
 */
function stepOver(cur: { next(): boolean; skip?(n: number): number }, n: number): number {
  if (cur.skip !== undefined) return cur.skip(n);
  let k = 0;
  while (k < n && cur.next()) k++;
  return k;
}

/** A lookup's key values: its constant keys, or the first column of its key subquery's rows. */
function lookupKeyValues(node: { keys: readonly Expr[]; keysFrom?: PhysicalPlan }, env: ExecEnv): unknown[] {
  if (!node.keysFrom) return node.keys.map((k) => evalConst(k, env));
  const out: unknown[] = [];
  const src = build(node.keysFrom, env);
  for (let row = src.next(); row !== null; row = src.next()) out.push(row[0] ?? null);
  return out;
}

/**
 * An IN list on a composite index's first column (IndexRangeScanNode.prefixIn): one prefix scan
 * per distinct non-NULL value, in the index's order of that column (its tree may store it
 * descending), the other way for a reverse walk, as SQLite steps through an IN list on an index.
 */
function perValueScans(node: Extract<PhysicalPlan, { kind: 'IndexRangeScan' }>, env: ExecEnv): Source {
  const { prefixIn, ...plain } = node;
  const values = sortedDistinctKeys((prefixIn ?? []).map((k) => evalConst(k, env)).filter((v) => v !== null));
  if (node.reverse !== (node.desc?.[0] === true)) values.reverse();
  const rest = (node.prefix ?? []).slice(1);
  let i = 0;
  let cur: Source | null = null;
  return source(() => {
    for (;;) {
      if (cur !== null) {
        const row = cur.next();
        if (row !== null) return row;
        cur = null;
      }
      if (i >= values.length) return null;
      const value = values[i++];
      cur = build({ ...plain, prefix: [{ expr: E.literal(value), matchNull: false }, ...rest] }, env);
    }
  });
}

type Builders = { [K in PhysicalKind]: (node: Extract<PhysicalPlan, { kind: K }>, env: ExecEnv) => Source };

const builders: Builders = {
  Values(node, env) {
    // A column whose rows differ in type is 'any': its whole-number REALs travel tagged.
    const mixed = node.rows[0]?.map((_, c) => sharedType(node.rows.map((r) => typeOf(r[c]))) === 'any') ?? [];
    const rows = node.rows.map((r) =>
      r.map((x, c) => (mixed[c] ? compileTagged(x, env.ctx) : compileExpr(x, env.ctx).eval)),
    );
    const none: Row = [];
    let i = 0;
    return source(() => {
      if (i >= rows.length) return null;
      return rows[i++].map((f) => f(none));
    });
  },

  VirtualScan(node, env) {
    const arg = node.source.arg === null ? null : evalConst(node.source.arg, env);
    // SQLite reads the argument as text; NULL (or none) names nothing.
    const name = arg === null || arg === undefined ? null : arg instanceof Uint8Array ? null : String(arg);
    const rows = node.source.rows
      ? node.source.rows.map((r, i) => [...r, i + 1])
      : virtualRows(node.source.table, name, env.view, env.readRow, node.source);
    let i = 0;
    return source(() => (i < rows.length ? rows[i++] : null));
  },

  CollectionScan(node, env) {
    const coll = collectionOf(env, node.collection);
    const rows = rowsOf(env, coll);
    const cur = coll.pk.cursor();
    return source(
      () => {
        if (!cur.next()) return null;
        env.stats.rowsRead++;
        return rows.readRowSequential(cur);
      },
      undefined,
      (n) => stepOver(cur, n),
    );
  },

  SqlIndexScan(node, env) {
    const coll = collectionOf(env, node.collection);
    const ix = coll.allIndexes.find((i) => i.def.name === node.index);
    if (!ix) throw new QueryError(`no such index: ${node.index}`, 'QUERY');
    const opts = sqlIndexBounds(node, ix, env);
    if (opts === null) return EMPTY;
    const cur = ix.tree.cursor(opts);
    return fetchInBatches(env, rowsOf(env, coll), coll, node.index, () => {
      if (!cur.next()) return NO_KEY;
      env.stats.indexEntries++;
      return cur.value;
    });
  },

  PrimaryKeyLookup(node, env) {
    const coll = collectionOf(env, node.collection);
    const rows = rowsOf(env, coll);
    if (node.keys.length === 1 && !node.keysFrom) {
      // `pk = ?`, the commonest query there is: no key list to sort.
      let key = evalConst(node.keys[0], env);
      return source(() => {
        if (key === null) return null;
        const loc = coll.pk.get(key);
        key = null;
        env.stats.indexEntries++;
        if (loc === undefined) return null;
        env.stats.rowsRead++;
        return rows.readRow(loc);
      });
    }
    const keys = sortedDistinctKeys(lookupKeyValues(node, env).filter((k) => k !== null));
    const many = node.keysFrom
      ? keySetScan(env, coll, { column: coll.compiled.pkColumn, sub: [] }, keys)
      : null;
    if (many) return many;
    let i = 0;
    return source(() => {
      while (i < keys.length) {
        const loc = coll.pk.get(keys[i++]);
        env.stats.indexEntries++;
        if (loc !== undefined) {
          env.stats.rowsRead++;
          return rows.readRow(loc);
        }
      }
      return null;
    });
  },

  IndexLookup(node, env) {
    const coll = collectionOf(env, node.collection);
    const rows = rowsOf(env, coll, node.reads);
    const tree = treeOf(coll, node.index);
    if (!tree) return EMPTY;
    if (node.unique && node.keys.length === 1 && !node.keysFrom && !node.matchNull && !node.covering)
      return uniqueLookup(env, rows, coll, node.index, tree, evalConst(node.keys[0], env));
    const raw = lookupKeyValues(node, env);
    const keys = sortedDistinctKeys(node.matchNull ? raw : raw.filter((k) => k !== null));
    // SQLite looks the keys up in its index's order: an index declared DESC (stored ascending
    // here) gives `a IN (1, 2)` the rows of 2 first, each key's rows in primary-key order.
    if (keys.length > 1 && !node.keysFrom && declaredDescending(coll, node.index)) keys.reverse();
    const ix = node.keysFrom ? coll.indexes.find((x) => x.def.name === node.index) : undefined;
    const many = ix && !ix.composite ? keySetScan(env, coll, ix.columns[0], keys) : null;
    if (many) return many;
    // One number key of a single-column index: its entries as a group the tree memoizes, with
    // the rows' locations remembered on it (BTreeSnapshot.getEach), as for a composite key.
    // Not for a key of the outer row (a correlated subquery's lookup): those change from row to
    // row, so the memo would only miss and fill; the subquery remembers repeated keys' results.
    const group =
      keys.length === 1 && !node.covering && !outerKeyed(node.keys)
        ? singleKeyGroup(coll, node.index, tree, keys[0])
        : null;
    if (group !== null) return groupRows(env, rows, coll, node.index, group);
    let i = 0;
    let cur: ReturnType<BTreeSnapshot<unknown, unknown>['cursor']> | null = null;
    if (node.covering) {
      const build = coveringRow(coll, node.index);
      return source(() => {
        for (;;) {
          if (cur && cur.next()) {
            env.stats.indexEntries++;
            return build(cur.key, cur.value);
          }
          if (i >= keys.length) return null;
          cur = tree.cursor(Bounds.exactly(keys[i++]));
        }
      });
    }
    return fetchInBatches(env, rows, coll, node.index, () => {
      for (;;) {
        if (cur && cur.next()) {
          env.stats.indexEntries++;
          return cur.value;
        }
        if (i >= keys.length) return NO_KEY;
        const key = keys[i++];
        cur = tree.cursor(Bounds.exactly(key));
      }
    });
  },

  IndexRangeScan(node, env) {
    if (node.prefixIn) return perValueScans(node, env);
    const coll = collectionOf(env, node.collection);
    const rows = rowsOf(env, coll, node.reads);
    const opts = rangeOptions(node, env);
    if (opts === null) return EMPTY;
    if (node.index === null) {
      const cur = coll.pk.cursor(opts);
      return source(
        () => {
          if (!cur.next()) return null;
          env.stats.indexEntries++;
          env.stats.rowsRead++;
          return rows.readRow(cur.value);
        },
        undefined,
        (n) => {
          const k = stepOver(cur, n);
          env.stats.indexEntries += k;
          return k;
        },
      );
    }
    const tree = treeOf(coll, node.index);
    if (!tree) return EMPTY;
    const index = node.index;
    const group = wholeKeyGroup(node, coll, opts, tree);
    if (group !== null) return groupRows(env, rows, coll, index, group);
    const walk = tree.cursor(opts);
    // The planner asks for SQLite's tie order of an index declared DESC (IndexRangeScanNode.flipTies).
    const cur: EntryCursor = node.flipTies ? new FlippedTies(walk, (a, b) => tree.compareKeys(a, b)) : walk;
    // An OFFSET jumps over entries within leaves (BTreeCursor.skip) where every entry counts: no
    // tie order to restore, and no NULL key to pass over (NULLs sort first: a lower bound, or a
    // prefix, keeps them out of the walk).
    const jumps =
      !node.flipTies && (!node.skipNulls || node.prefix !== undefined || opts.lo !== undefined) ? walk : null;
    const jumpOver =
      jumps === null
        ? undefined
        : (n: number): number => {
            const k = jumps.skip(n);
            env.stats.indexEntries += k;
            return k;
          };
    if (node.covering) {
      const build = coveringRow(coll, index);
      if (node.distinctKeys === true) return distinctKeyRows(tree, opts, node.skipNulls, env.stats, build);
      const step = (): boolean => {
        while (cur.next()) {
          env.stats.indexEntries++;
          if (node.skipNulls && cur.key === null && !node.prefix) continue;
          return true;
        }
        return false;
      };
      return source(
        () => (step() ? build(cur.key, cur.value) : null),
        undefined,
        jumpOver ?? ((n) => stepOver({ next: step }, n)),
      );
    }
    return fetchInBatches(
      env,
      rows,
      coll,
      index,
      () => {
        while (cur.next()) {
          env.stats.indexEntries++;
          if (node.skipNulls && cur.key === null && !node.prefix) continue;
          return cur.value;
        }
        return NO_KEY;
      },
      undefined,
      jumpOver,
    );
  },

  IndexUnion(node, env) {
    const coll = collectionOf(env, node.collection);
    const pkColumn = coll.compiled.pkColumn;
    const seen = new Set<string>();
    const inputs = node.inputs.map((n) => build(n, env));
    let i = 0;
    return source(() => {
      while (i < inputs.length) {
        const row = inputs[i].next();
        if (row === null) {
          i++;
          continue;
        }
        const k = valueKey(row[pkColumn]);
        if (seen.has(k)) continue;
        seen.add(k);
        return row;
      }
      return null;
    });
  },

  Filter(node, env) {
    const pushed = pushedFilter(node, env, false);
    if (pushed) return pushed;
    const pred = compilePredicate(node.predicate, env.ctx);
    const input = build(node.input, env);
    return source(() => {
      for (let row = input.next(); row !== null; row = input.next())
        if (truth(pred(row)) === true) return row;
      return null;
    });
  },

  Aggregate(node, env) {
    if (countsWholeTable(node)) return materialized(() => tableCount(node, env));
    if (countsRange(node)) {
      const inputEnv = env.foreign === undefined ? env : routedEnv(node.input, env);
      const input = builders.IndexRangeScan(node.input as IndexRangeScanNode, inputEnv);
      return materialized(
        () => rangeCount(node, input) ?? drain(aggregateRows(node, env, polled(input), env.sortBudgetBytes)),
      );
    }
    const groupKeys = countsGroups(node, env);
    if (groupKeys !== null) return groupCounts(node, groupKeys, env);
    const rowsOf = (): Source => aggregateRows(node, env, aggregateInput(node, env), env.sortBudgetBytes);
    const keyed = keyFolded(node, env, rowsOf);
    if (keyed) return keyed;
    const folded = node.bareUnread ? foldedAggregate(node, env) : null;
    if (folded) return folded;
    const grouped = node.keysOnly ? groupedAggregate(node, env, rowsOf) : null;
    if (grouped) return grouped;
    let groups: Source | null = null;
    return source(() => (groups ??= rowsOf()).next());
  },

  Window(node, env) {
    let rows: Source | null = null;
    return source(() =>
      (rows ??= windowSource(node, build(node.input, env), env.ctx, env.sortBudgetBytes)).next(),
    );
  },

  Sort(node, env) {
    let sorted: Source | null = null;
    return source(() => {
      sorted ??= node.presorted
        ? presortedSource(
            build(node.input, env),
            sortKeyEvals(node.keys, env),
            node.keys,
            node.presorted,
            env.sortBudgetBytes,
          )
        : sortSource(build(node.input, env), sortKeyEvals(node.keys, env), node.keys, env.sortBudgetBytes);
      return sorted.next();
    });
  },

  TopN(node, env) {
    return materialized(() => {
      // Decided before the input is built: its fetch reads in part only when this holds (rowsOf).
      const late = node.refetch !== undefined && env.narrowing?.() === true;
      const { limit, offset } = limitOffset(node.limit, node.offset, env);
      if (limit === 0) return [];
      const input = build(node.input, env);
      const evals = sortKeyEvals(node.keys, env);
      const keep = limit < 0 ? Infinity : limit + offset;
      const rows = topN(input, evals, node.keys, keep, node.presorted);
      const out = rows.slice(offset, limit < 0 ? undefined : offset + limit);
      return late ? refetchRows(env, node.refetch as string, out) : out;
    });
  },

  Project(node, env) {
    const input = build(node.input, env);
    const n = node.columns.length;
    // `SELECT *` of a table: each input row already is the output row when it has exactly these
    // columns and no missing value, so it passes through uncopied (no operator or consumer writes
    // to a row it is handed; the cursor copies what it returns).
    const identity = node.columns.every(
      (c, i) => c.expr.kind === 'column' && c.expr.column === i && c.expr.sub.length === 0,
    );
    let cols: Evaluator[] | null = null;
    return source(
      () => {
        const row = input.next();
        if (row === null) return null;
        if (identity && row.length === n) {
          let whole = true;
          for (let i = 0; i < n && whole; i++) whole = row[i] !== undefined;
          if (whole) return row;
        }
        // A column typed per row keeps its whole-number REALs tagged (planner/tagged-real.ts).
        cols ??= node.columns.map((c) => compileTaggedExpr(c.expr, env.ctx).eval);
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = cols[i](row);
        return out;
      },
      input.want,
      input.skip ?? ((k) => pullOver(input, k)),
    );
  },

  Distinct(node, env) {
    return distinctSource(node, build(node.input, env), env.sortBudgetBytes);
  },

  Union: (node, env) => compoundSource(node, env),
  Intersect: (node, env) => compoundSource(node, env),
  Except: (node, env) => compoundSource(node, env),

  NestedLoopJoin: (node, env) => nestedLoopJoinSource(node, env, build),
  HashJoin: (node, env) => hashJoinSource(node, env, build),
  IndexNestedLoopJoin: (node, env) => indexNestedLoopJoinSource(node, env, build),
  SemiJoin: (node, env) => semiJoinSource(node, env, build),
  AntiJoin: (node, env) => semiJoinSource(node, env, build),
  Subquery: (node, env) => build(node.input, env),
  TableFunction: (node, env) => tableFunctionSource(node, env, build),
  CteScan(node, env) {
    const shared = node.shared;
    if (shared === undefined) return build(node.input, env);
    // Read by several references: the first computes the rows, every reference reads them.
    let computed = env.sharedCtes ?? sharedCtes.get(env);
    if (!computed) sharedCtes.set(env, (computed = new Map()));
    let rows = computed.get(shared);
    if (!rows) computed.set(shared, (rows = drain(build(node.input, env))));
    const all = rows;
    let i = 0;
    return source(() => (i < all.length ? all[i++] : null));
  },
  RecursiveUnion(node, env) {
    const tags = node.tagReals;
    const tagged = new Map<PhysicalPlan, readonly number[]>();
    if (tags) {
      tagged.set(node.init, tags.init);
      node.steps.forEach((s, i) => tagged.set(s, tags.steps[i]));
    }
    const arm = (plan: PhysicalPlan, e: ExecEnv): Source => withRealTags(build(plan, e), tagged.get(plan));
    return recursiveSource(node, env, arm, sortKeyEvals(node.order ?? [], env));
  },
  WorkingTable(node, env) {
    const rows = workingTables(env).get(node.id) ?? [];
    let i = 0;
    return source(() => (i < rows.length ? rows[i++] : null));
  },

  Limit(node, env) {
    const { limit, offset } = limitOffset(node.limit, node.offset, env);
    if (limit === 0) return EMPTY;
    const input = build(node.input, env);
    if (limit >= 0) input.want?.(offset + limit);
    let skipped = 0;
    let produced = 0;
    return source(() => {
      if (skipped === 0 && offset > 0 && input.skip !== undefined) {
        skipped = offset;
        // Fewer passed over: the input ran out.
        if (input.skip(offset) < offset) return null;
      }
      while (skipped < offset) {
        if (input.next() === null) return null;
        skipped++;
      }
      if (limit >= 0 && produced >= limit) return null;
      const row = input.next();
      if (row !== null) produced++;
      return row;
    });
  },
};

/** The rows of the shared CTEs computed in an `env` made without a map of its own. */
const sharedCtes = new WeakMap<ExecEnv, Map<SharedCte, Row[]>>();

/** UNION ALL streams its arms; the deduplicating operators read both arms on the first pull. */
function compoundSource(node: CompoundPNode, env: ExecEnv): Source {
  const left = (): Source => withRealTags(build(node.left, env), node.tagReals?.left);
  const right = (): Source => withRealTags(build(node.right, env), node.tagReals?.right);
  if (node.all) return concatRows(left(), right());
  return materialized(() => setOperation(node.kind, left(), right(), node.collations));
}

/**
 * `input`'s rows with the numbers of `columns` as REALs, whole ones tagged (a copy: rows are
 * shared); an integer past 2^53 becomes the double nearest it, as SQLite's REAL affinity does.
 */
function withRealTags(input: Source, columns: readonly number[] | undefined): Source {
  if (columns === undefined || columns.length === 0) return input;
  return source(() => {
    const row = input.next();
    if (row === null) return null;
    const out = row.slice();
    for (const c of columns) {
      const v = out[c];
      out[c] = tagReal(typeof v === 'bigint' ? Number(v) : v);
    }
    return out;
  });
}

/** Run a blocking computation on first pull, then stream its result. */
function materialized(compute: () => Row[]): Source {
  let rows: Row[] | null = null;
  let i = 0;
  return source(() => {
    rows ??= compute();
    return i < rows.length ? rows[i++] : null;
  });
}

/** Sort keys as compared: a key under NOCASE or RTRIM sorts by its folded form. */
function sortKeyEvals(keys: readonly SortKey[], env: ExecEnv): Evaluator[] {
  return keys.map((k) => compileCollatedKey(k.expr, env.ctx));
}

/** SQLite LIMIT/OFFSET rules: negative LIMIT = none (-1), negative OFFSET = 0, integers only. */
function limitOffset(
  limitExpr: Expr | null,
  offsetExpr: Expr | null,
  env: ExecEnv,
): { limit: number; offset: number } {
  const asInt = (e: Expr | null, what: string): number | null => {
    if (!e) return null;
    let v = evalConst(e, env);
    if (typeof v === 'bigint') v = Number(v);
    if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) v = Number(v);
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new DataError(`${what} must be an integer (datatype mismatch)`, 'TYPE_MISMATCH');
    return v;
  };
  const limit = asInt(limitExpr, 'LIMIT');
  const offset = asInt(offsetExpr, 'OFFSET');
  return {
    limit: limit === null || limit < 0 ? -1 : limit,
    offset: offset === null || offset < 0 ? 0 : offset,
  };
}

/** A walk of the whole primary key, or of a range of it: the inputs a filter can be pushed into. */
function pkWalk(node: PhysicalPlan, env: ExecEnv): PkWalk | null {
  if (node.kind === 'CollectionScan')
    return { coll: collectionOf(env, node.collection), opts: {}, countsEntries: false };
  if (node.kind === 'IndexRangeScan' && node.index === null)
    return { coll: collectionOf(env, node.collection), opts: rangeOptions(node, env), countsEntries: true };
  return null;
}

/**
 * A Filter over a primary-key walk run as filteredScan, or null when it cannot be. `lean`: the
 * consumer only counts rows (countsRowsOnly), so accepted rows after the first are not read.
 */
function pushedFilter(
  node: Extract<PhysicalPlan, { kind: 'Filter' }>,
  env: ExecEnv,
  lean: boolean,
): Source | null {
  const walk = env.scanRowWhere ? pkWalk(node.input, env) : null;
  const columns = walk ? columnsOf(node.predicate) : null;
  if (!walk || !columns || !env.scanRowWhere) return null;
  const pred = compilePredicate(node.predicate, env.ctx);
  const numbers = numberTests(node.predicate, env, walk.coll.meta.id);
  return filteredScan(walk, env, env.scanRowWhere, columns, pred, numbers, lean);
}

/** columnAggregate over the Aggregate's primary-key walk, filtered or not; null when it does not apply. */
function foldedAggregate(node: Extract<PhysicalPlan, { kind: 'Aggregate' }>, env: ExecEnv): Source | null {
  const input = node.input;
  if ((input.kind === 'IndexLookup' || input.kind === 'PrimaryKeyLookup') && input.keysFrom)
    return foldedKeySet(node, env);
  if (input.kind === 'Filter') return columnAggregate(node, env, pkWalk(input.input, env), input.predicate);
  return columnAggregate(node, env, pkWalk(input, env), null);
}

/**
 * keyFoldAggregate over the Aggregate's table, the column vectors (or else `rowsOf`) when the
 * fold gives up; null when the node has no key fold.
 */
function keyFolded(
  node: Extract<PhysicalPlan, { kind: 'Aggregate' }>,
  env: ExecEnv,
  rowsOf: () => Source,
): Source | null {
  const filter = node.input;
  const table = filter.kind === 'Filter' ? wholeTableWalk(filter.input) : null;
  if (node.keyFold === undefined || table === null) return null;
  const coll = collectionOf(env, table);
  return keyFoldAggregate(node, env, coll, () => foldedAggregate(node, env) ?? rowsOf());
}

/** groupedFold over the Aggregate's primary-key walk, filtered or not; null when it does not apply. */
function groupedAggregate(
  node: Extract<PhysicalPlan, { kind: 'Aggregate' }>,
  env: ExecEnv,
  otherwise: () => Source,
): Source | null {
  const input = node.input;
  if (input.kind === 'Filter')
    return groupedFold(node, env, pkWalk(input.input, env), input.predicate, otherwise);
  return groupedFold(node, env, pkWalk(input, env), null, otherwise);
}

/**
 * An aggregate over `col IN (SELECT …)`: the lookup is built first (its subquery runs once), and
 * when it chose a membership scan (keySetScan: many keys) the aggregate folds the scan's column
 * vectors with the same membership test instead of taking its rows one by one; otherwise it
 * aggregates the rows of the lookup it built.
 */
function foldedKeySet(node: Extract<PhysicalPlan, { kind: 'Aggregate' }>, env: ExecEnv): Source {
  const start = (): Source => {
    const inputEnv = env.foreign === undefined ? env : routedEnv(node.input, env);
    const make = builders[node.input.kind] as (n: PhysicalPlan, e: ExecEnv) => Source;
    const input = make(node.input, inputEnv);
    const filter = keySetFilterOf(input);
    const folded = filter ? columnAggregate(node, inputEnv, filter.walk, filter) : null;
    return folded ?? aggregateRows(node, env, polled(input), env.sortBudgetBytes);
  };
  // Started by the first row asked for, as the other aggregates are.
  let out: Source | null = null;
  return source(() => (out ??= start()).next());
}

/** The Aggregate's input: a row-counting consumer over a pushed-down filter reads no row whole. */
function aggregateInput(node: Extract<PhysicalPlan, { kind: 'Aggregate' }>, env: ExecEnv): Source {
  const lean =
    countsRowsOnly(node) && node.input.kind === 'Filter' ? pushedFilter(node.input, env, true) : null;
  const reduced = lean ?? projectedInput(node, env, pkWalk);
  // polled as build() would: the interrupt check (timeoutMs, cancel) must reach these too.
  return reduced ? polled(reduced) : build(node.input, env);
}

export function build(plan: PhysicalPlan, env: ExecEnv): Source {
  const make = builders[plan.kind] as (node: PhysicalPlan, env: ExecEnv) => Source;
  return polled(make(plan, env.foreign === undefined ? env : routedEnv(plan, env)));
}

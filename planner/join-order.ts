/**
 * Join order from cardinality estimates, for a run of inner joins over tables.
 *
 * The estimates: a table's live row count (free: the primary-key tree's size), the average rows
 * per key of its indexes from ANALYZE (storage/sql-stats.ts; without it SQLite's default guess of
 * 10 rows per key), and a selectivity per WHERE / ON term (an equality 1/10 unless statistics say
 * better, a range 1/4, …). Each order is costed as a left-deep loop: the first table read through
 * its own best access path, each next one probed through its primary key or an index when a term
 * ties it to the tables before it, hashed when only a non-indexed equality does, or looped over
 * otherwise. Orders are searched exhaustively up to MAX_EXHAUSTIVE tables (with the cost so far
 * as a bound), greedily beyond.
 *
 * The written order (SQLite's loop order for small tables, and its usual output order for queries
 * without ORDER BY) is kept unless the search finds an order clearly cheaper on non-trivial work:
 * reordering changes the order of unordered results, so it is done only where it pays.
 */
import type { CollectionView } from '../storage/collection-state';
import type { TableStats } from '../storage/sql-stats';
import type { Expr } from './expr';
import type { PhysicalPlan } from './physical';
import { conjuncts, isConstant } from './expr';
import { rowColumnsOf } from './expr-columns';
import { equiPair, typeClass } from './join-terms';
import { typeOf } from './expr-type';

/** One table of the run: its rows are global columns [lo, hi). */
export interface OrderLeaf {
  readonly view: CollectionView;
  readonly lo: number;
  readonly hi: number;
}

export interface OrderContext {
  /** ANALYZE's figures for a table, if any. */
  stats(table: string): TableStats | undefined;
  /** The access path the table alone would get under `preds` (global columns of the leaf). */
  access(leaf: OrderLeaf, preds: readonly Expr[]): PhysicalPlan;
}

/** Tables searched exhaustively (7! = 5,040 orders, pruned); more are ordered greedily. */
const MAX_EXHAUSTIVE = 7;
/*
 * Costs in units of one row of a sequential scan (rows decoded in file order, ~40 ns warm).
 * Measured on the join bench (bench/joins.ts): a lookup seeks a tree and fetches its rows from
 * all over the file, so it costs many scanned rows.
 */
/** A primary-key probe and its row (the key memo makes it cheap). */
const PK_PROBE = 5;
/** Seeking a secondary index, and fetching each row an entry names. */
const INDEX_SEEK = 10;
const INDEX_FETCH = 10;
/** Hashing a row into a hash join's table, or probing it with one. */
const HASH_ROW = 2;
/** SQLite's guess for rows per key of an index nobody has ANALYZEd. */
const DEFAULT_ROWS_PER_KEY = 10;
/** Below this much estimated work the written order stands (small tables, tests, SQLite's order). */
const MIN_WORK = 5_000;
/** A new order must be estimated this many times cheaper than the written one. */
const MIN_GAIN = 2;
let minWork = MIN_WORK;
let minGain = MIN_GAIN;

/** Tests only: reorder small joins, or at any gain (null restores the defaults). */
export function setJoinReorderForTests(limits: { minWork: number; minGain: number } | null): void {
  minWork = limits?.minWork ?? MIN_WORK;
  minGain = limits?.minGain ?? MIN_GAIN;
}

interface Term {
  readonly expr: Expr;
  /** Bit i set: the term reads leaf i. */
  readonly mask: number;
  readonly sel: number;
}

interface ProbeKey {
  readonly term: number;
  /** The leaves the other side reads. */
  readonly from: number;
  readonly column: number;
  readonly sub: readonly number[];
}

interface LeafInfo {
  readonly rows: number;
  /** Rows its own access path yields under its local terms, and the rows that path reads. */
  readonly out: number;
  readonly scanCost: number;
  /** Equalities tying one of its columns to other leaves, usable as lookup keys. */
  readonly keys: readonly ProbeKey[];
  /** Local `column = constant` terms (they extend a composite index prefix). */
  readonly constCols: readonly { column: number; sub: readonly number[] }[];
}

function sameSub(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A rough fraction of rows a term keeps (SQLite-like guesses; only the ranking of orders matters). */
function selectivity(e: Expr): number {
  switch (e.kind) {
    case 'binary':
      switch (e.op) {
        case '=':
          return 0.1;
        case '<':
        case '<=':
        case '>':
        case '>=':
          return 0.25;
        case '!=':
          return 0.9;
        case 'and':
          return selectivity(e.left) * selectivity(e.right);
        case 'or':
          return Math.min(1, selectivity(e.left) + selectivity(e.right));
        default:
          return 0.5;
      }
    case 'between':
      return 0.0625;
    case 'in':
      return e.negated ? 0.9 : Math.min(0.5, 0.1 * e.list.length);
    case 'like':
    case 'glob':
      return 0.25;
    case 'isNull':
      return 0.25;
    default:
      return 0.5;
  }
}

/**
 * The order to run `leaves` in (indexes into `leaves`), or null to keep the written order.
 * `terms` are every WHERE and ON conjunct of the run, over global columns.
 */
export function chooseJoinOrder(
  leaves: readonly OrderLeaf[],
  terms: readonly Expr[],
  ctx: OrderContext,
): number[] | null {
  const n = leaves.length;
  if (n < 2 || n > 16) return null;
  const leafOf = (c: number): number => leaves.findIndex((l) => c >= l.lo && c < l.hi);
  const ts: Term[] = terms.map((expr) => {
    let mask = 0;
    for (const c of rowColumnsOf([expr])) {
      const i = leafOf(c);
      if (i >= 0) mask |= 1 << i;
    }
    return { expr, mask, sel: selectivity(expr) };
  });
  const info = leaves.map((leaf, i) => leafInfo(leaf, i, ts, ctx));
  const written = leaves.map((_l, i) => i);
  const writtenCost = costOf(written, info, ts, leaves, ctx);
  if (writtenCost < minWork) return null;
  const best = n <= MAX_EXHAUSTIVE ? exhaustive(n, info, ts, leaves, ctx) : greedy(n, info, ts, leaves, ctx);
  if (best.cost * minGain >= writtenCost) return null;
  return best.order.every((x, i) => x === i) ? null : best.order;
}

function leafInfo(leaf: OrderLeaf, i: number, ts: readonly Term[], ctx: OrderContext): LeafInfo {
  const rows = Math.max(1, leaf.view.pk.size);
  const local = ts.filter((t) => t.mask === 1 << i);
  const access = ctx.access(
    leaf,
    local.map((t) => t.expr),
  );
  const path = access.kind === 'Filter' ? access.input : access;
  const residual = access.kind === 'Filter' ? conjuncts(access.predicate) : [];
  let out: number;
  let scanCost: number;
  switch (path.kind) {
    case 'PrimaryKeyLookup':
      out = 1;
      scanCost = PK_PROBE;
      break;
    case 'IndexLookup': {
      out = path.unique ? 1 : Math.min(rows, rowsPerKey(leaf.view, path.index, 1, ctx));
      scanCost = INDEX_SEEK + out * INDEX_FETCH;
      break;
    }
    case 'IndexRangeScan':
      out = Math.max(1, rows / 4);
      scanCost = INDEX_SEEK + out * INDEX_FETCH;
      break;
    default:
      // A scan: every row read, the local terms keep their share.
      scanCost = rows;
      out = Math.max(
        1,
        local.reduce((acc, t) => acc * t.sel, rows),
      );
  }
  if (path.kind !== 'CollectionScan')
    out = Math.max(
      1,
      residual.reduce((acc, e) => acc * selectivity(e), out),
    );
  const inLeaf = (c: number): boolean => c >= leaf.lo && c < leaf.hi;
  const keys: ProbeKey[] = [];
  ts.forEach((t, ti) => {
    if (!(t.mask & (1 << i)) || t.mask === 1 << i) return;
    const pair = equiPair(t.expr, inLeaf, (c) => !inLeaf(c));
    if (!pair || pair.a.kind !== 'column') return;
    keys.push({ term: ti, from: t.mask & ~(1 << i), column: pair.a.column - leaf.lo, sub: pair.a.sub });
  });
  const constCols: { column: number; sub: readonly number[] }[] = [];
  for (const t of local) {
    const e = t.expr;
    if (e.kind !== 'binary' || e.op !== '=' || e.collation !== undefined) continue;
    const [col, value] = e.left.kind === 'column' ? [e.left, e.right] : [e.right, e.left];
    if (col.kind !== 'column' || !isConstant(value)) continue;
    if (typeClass(typeOf(value)) === null || typeClass(typeOf(value)) !== typeClass(col.type)) continue;
    constCols.push({ column: col.column - leaf.lo, sub: col.sub });
  }
  return { rows, out, scanCost, keys, constCols };
}

/** Average rows per key of the first `prefix` columns of `index`: ANALYZE's figure or the default. */
function rowsPerKey(view: CollectionView, index: string, prefix: number, ctx: OrderContext): number {
  const t = ctx.stats(view.meta.schema.name);
  const ix = t?.indexes.find((x) => x.name === index);
  const avg = ix?.avgRows[Math.min(prefix, ix.avgRows.length) - 1];
  return avg !== undefined ? Math.max(1, avg) : DEFAULT_ROWS_PER_KEY;
}

/** Rows one probe of leaf `i` yields given the leaves in `prefix` are bound, and the terms it uses. */
function probe(
  i: number,
  prefix: number,
  info: readonly LeafInfo[],
  leaves: readonly OrderLeaf[],
  ctx: OrderContext,
): { matches: number; cost: number; used: number[] } | null {
  const li = info[i];
  const view = leaves[i].view;
  const usable = li.keys.filter((k) => (k.from & ~prefix) === 0);
  if (usable.length === 0) return null;
  const find = (column: number, sub: readonly number[]): ProbeKey | undefined =>
    usable.find((k) => k.column === column && sameSub(k.sub, sub));
  const isConst = (column: number, sub: readonly number[]): boolean =>
    li.constCols.some((c) => c.column === column && sameSub(c.sub, sub));
  let best: { matches: number; cost: number; used: number[] } | null = null;
  const pk = find(view.compiled.pkColumn, []);
  // A primary-key match is the row itself; an index match is an entry, then the row it names.
  if (pk) best = { matches: 1, cost: PK_PROBE, used: [pk.term] };
  for (const ix of view.indexes) {
    const used: number[] = [];
    let k = 0;
    let joined = false;
    for (const col of ix.columns) {
      const key = find(col.column, col.sub);
      if (key) {
        used.push(key.term);
        joined = true;
      } else if (!isConst(col.column, col.sub)) break;
      k++;
      if (!ix.composite) break;
    }
    if (!joined) continue;
    const matches =
      ix.unique && k === ix.columns.length ? 1 : Math.min(li.rows, rowsPerKey(view, ix.def.name, k, ctx));
    const cost = INDEX_SEEK + matches * INDEX_FETCH;
    if (!best || cost < best.cost) best = { matches, cost, used };
  }
  return best;
}

/** Estimated rows read to run the leaves in `order` as a left-deep loop. */
function costOf(
  order: readonly number[],
  info: readonly LeafInfo[],
  ts: readonly Term[],
  leaves: readonly OrderLeaf[],
  ctx: OrderContext,
  bound = Infinity,
): number {
  let cost = 0;
  let card = 1;
  let prefix = 0;
  for (let step = 0; step < order.length; step++) {
    const i = order[step];
    const bit = 1 << i;
    const li = info[i];
    // Terms that become checkable with this leaf (its own local terms are inside li.out).
    const fresh = ts.filter((t) => t.mask & bit && t.mask !== bit && (t.mask & ~(prefix | bit)) === 0);
    if (step === 0) {
      cost = li.scanCost;
      card = li.out;
    } else {
      const p = probe(i, prefix, info, leaves, ctx);
      if (p) {
        cost += card * p.cost;
        card *= p.matches * (li.out / li.rows);
        for (const t of fresh) if (!p.used.includes(ts.indexOf(t))) card *= t.sel;
      } else if (
        fresh.some((t) =>
          equiPair(
            t.expr,
            (c) => c >= leaves[i].lo && c < leaves[i].hi,
            () => true,
          ),
        )
      ) {
        // A hash join: the leaf read once, each row probes; a key join keeps about the larger side.
        cost += li.scanCost + (li.out + card) * HASH_ROW;
        card = Math.max(card, li.out);
      } else {
        cost += li.scanCost + card * li.out;
        card *= li.out;
        for (const t of fresh) card *= t.sel;
      }
      card = Math.max(1, card);
    }
    prefix |= bit;
    if (cost >= bound) return cost;
  }
  return cost;
}

function exhaustive(
  n: number,
  info: readonly LeafInfo[],
  ts: readonly Term[],
  leaves: readonly OrderLeaf[],
  ctx: OrderContext,
): { order: number[]; cost: number } {
  let best = { order: leaves.map((_l, i) => i), cost: Infinity };
  const order: number[] = [];
  const used = new Array<boolean>(n).fill(false);
  const visit = (): void => {
    if (order.length === n) {
      const cost = costOf(order, info, ts, leaves, ctx, best.cost);
      if (cost < best.cost) best = { order: [...order], cost };
      return;
    }
    // Prune a prefix already as dear as the best full order.
    if (order.length >= 2 && costOf(order, info, ts, leaves, ctx, best.cost) >= best.cost) return;
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      used[i] = true;
      order.push(i);
      visit();
      order.pop();
      used[i] = false;
    }
  };
  visit();
  return best;
}

function greedy(
  n: number,
  info: readonly LeafInfo[],
  ts: readonly Term[],
  leaves: readonly OrderLeaf[],
  ctx: OrderContext,
): { order: number[]; cost: number } {
  const order: number[] = [];
  while (order.length < n) {
    let pick = -1;
    let pickCost = Infinity;
    for (let i = 0; i < n; i++) {
      if (order.includes(i)) continue;
      const cost = costOf([...order, i], info, ts, leaves, ctx);
      if (cost < pickCost) {
        pick = i;
        pickCost = cost;
      }
    }
    order.push(pick);
  }
  return { order, cost: costOf(order, info, ts, leaves, ctx) };
}

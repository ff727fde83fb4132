/**
 * Physical planning of a FROM clause with joins (a logical Join tree) or a derived table.
 *
 * Predicate push-down: WHERE conjuncts and ON conjuncts go to the lowest place where they read
 * only available columns, but never below the NULL-extended side of an outer join (a WHERE term
 * on that side must see the NULL rows; an ON term of a LEFT join on its left side decides matches,
 * it does not drop left rows). Join order is SQLite's written order, except that an inner join of
 * two tables puts the side reached by an index lookup inside the loop.
 *
 * Operator choice per join, from its remaining ON conjuncts: an equality between a left
 * expression and a column of a right-side table with a primary key or index on it (same storage
 * class, BINARY comparison) → IndexNestedLoopJoin; other equalities between the two sides →
 * HashJoin; otherwise NestedLoopJoin. Every expression is rebased so that it reads the row of the
 * node evaluating it (planner/expr-shift.ts).
 */
import type { CollectionView, IndexView } from '../storage/collection-state';
import type { TableStats } from '../storage/sql-stats';
import { indexPaths } from '../storage/schema/normalize';
import { QueryError } from '../src/errors';
import type { Expr } from './expr';
import { balancedTree, conjuncts, isConstant } from './expr';
import type { IndexHint, LogicalPlan } from './logical';
import type { IndexNestedLoopJoinNode, PhysicalPlan } from './physical';
import { typeOf } from './expr-type';
import { remapColumns, shiftColumns } from './expr-shift';
import { boundWindowPartitions } from './window-topk';
import { chooseJoinOrder } from './join-order';
import type { OrderLeaf } from './join-order';
import { equiSides, reads, textKeyConverts, typeClass, within } from './join-terms';
import { sameIndexExpr, sqlIndexProbes } from './sql-index-path';
import { exprText } from './explain';
import { planReadingAhead, readsAhead } from './lateral-order';
import { leftDeep } from './left-deep';
import type { Span } from './join-terms';

export interface JoinPlanning {
  /** A FROM source's table, under its index hint (physical-planner.ts hintedView). */
  collection(name: string, hint?: IndexHint): CollectionView | undefined;
  /** Nested loops over whole inputs, every predicate evaluated above the join (a test reference). */
  readonly naive: boolean;
  /** Access path plus residual Filter for one collection under local predicates. */
  access(view: CollectionView, preds: readonly Expr[]): PhysicalPlan;
  /** A whole query (a derived table's). */
  query(plan: LogicalPlan): PhysicalPlan;
  /** ANALYZE's figures for a table (planner/join-order.ts). */
  stats(table: string): TableStats | undefined;
  /** False inside a join run whose order was already decided. */
  readonly reorder?: boolean;
}

function and(parts: readonly Expr[], delta: number): Expr | null {
  return parts.length === 0 ? null : shiftColumns(balancedTree([...parts], 'and'), delta);
}

function filtered(node: PhysicalPlan, parts: readonly Expr[], delta: number): PhysicalPlan {
  const predicate = and(parts, delta);
  return predicate ? { kind: 'Filter', input: node, predicate } : node;
}

/** Plan a leaf (table, virtual table, derived table) at `base` with predicates over global columns. */
function planLeaf(plan: LogicalPlan, base: number, preds: readonly Expr[], ctx: JoinPlanning): PhysicalPlan {
  switch (plan.kind) {
    case 'scan': {
      const view = ctx.collection(plan.collection, plan.hint);
      if (!view) throw new QueryError(`no such collection: ${plan.collection}`, 'QUERY');
      return ctx.access(
        view,
        preds.map((p) => shiftColumns(p, -base)),
      );
    }
    case 'virtual':
      return filtered({ kind: 'VirtualScan', source: plan.source }, preds, -base);
    case 'derived': {
      const shared = plan.shared && plan.shared.refs > 1 ? plan.shared : undefined;
      // A body computed once for several readers must not be bounded by one reader's filter.
      const input = shared
        ? ctx.query(plan.plan)
        : boundWindowPartitions(
            ctx.query(plan.plan),
            preds.map((p) => shiftColumns(p, -base)),
          );
      // A view read once shows as the Subquery it is; several references share one CteScan body.
      const node: PhysicalPlan =
        plan.cte !== undefined && (!plan.view || shared)
          ? { kind: 'CteScan', name: plan.cte, alias: plan.alias, input, ...(shared ? { shared } : {}) }
          : { kind: 'Subquery', alias: plan.alias, input };
      return filtered(node, preds, -base);
    }
    case 'workingTable':
      return filtered({ kind: 'WorkingTable', name: plan.name, id: plan.id }, preds, -base);
    case 'tableFunction': {
      const { fn, args, alias, width, views } = plan;
      // Reading another source is a lateral join (planLateral), possibly after moving it there.
      if (args.some(reads))
        throw new QueryError(`${fn}() reads a table that cannot be joined before it`, 'QUERY');
      return filtered(
        { kind: 'TableFunction', fn, args, alias, width, ...(views ? { views } : {}) },
        preds,
        -base,
      );
    }
    default:
      throw new QueryError(`join over an unexpected ${plan.kind} node`, 'QUERY');
  }
}

interface IndexProbe {
  index: IndexView | null;
  /** Outer-side key per used index column, in index column order. */
  keys: Expr[];
  /** Per key: converted by NUMERIC affinity (IndexNestedLoopJoinNode.numericKeys). */
  numeric: boolean[];
  names: string[];
  used: Expr[];
  rank: number;
}

/**
 * The best lookup of `view` (at `innerBase`) keyed by outer expressions: primary key, unique
 * index, other index, or the longest equality prefix of a composite index.
 */
function bestProbe(
  view: CollectionView,
  conds: readonly Expr[],
  outer: Span,
  inner: Span,
  innerPreds: readonly Expr[] = [],
): IndexProbe | null {
  interface Pair {
    cond: Expr;
    outer: Expr;
    column: number;
    sub: readonly number[];
    name: string;
    joins: boolean;
    numeric: boolean;
  }
  const pairs: Pair[] = [];
  for (const c of conds) {
    const s = equiSides(c, outer, inner) ?? textToNumericSides(c, outer, inner);
    if (s && s.b.kind === 'column')
      pairs.push({
        cond: c,
        outer: s.a,
        column: s.b.column - inner.lo,
        sub: s.b.sub,
        name: s.b.name,
        joins: true,
        numeric: typeClass(typeOf(s.a)) !== typeClass(s.b.type),
      });
  }
  // `inner.col = constant` terms extend a composite prefix (`ON l.ord_id = o.id AND l.n = 1`).
  for (const c of innerPreds) {
    if (c.kind !== 'binary' || c.op !== '=' || c.collation !== undefined) continue;
    const [col, value] = c.left.kind === 'column' ? [c.left, c.right] : [c.right, c.left];
    if (col.kind !== 'column' || !isConstant(value)) continue;
    const t = typeClass(typeOf(value));
    if (t === null || t !== typeClass(col.type) || !within(col, inner)) continue;
    pairs.push({
      cond: c,
      outer: value,
      column: col.column - inner.lo,
      sub: col.sub,
      name: col.name,
      joins: false,
      numeric: false,
    });
  }
  const find = (column: number, sub: readonly number[]) =>
    pairs.find(
      (p) => p.column === column && p.sub.length === sub.length && p.sub.every((x, i) => x === sub[i]),
    );
  let best: IndexProbe | null = null;
  const offer = (p: IndexProbe): void => {
    // A lookup keyed by constants alone is no join: the inner side's own access path does that.
    if (!p.used.some((u) => conds.includes(u))) return;
    if (!best || p.rank < best.rank || (p.rank === best.rank && p.keys.length > best.keys.length)) best = p;
  };
  const pk = find(view.compiled.pkColumn, []);
  if (pk)
    offer({
      index: null,
      keys: [pk.outer],
      numeric: [pk.numeric],
      names: [pk.name],
      used: [pk.cond],
      rank: 0,
    });
  for (const ix of view.indexes) {
    const keys: Expr[] = [];
    const numeric: boolean[] = [];
    const names: string[] = [];
    const used: Expr[] = [];
    for (const col of ix.columns) {
      const p = find(col.column, col.sub);
      if (!p) break;
      keys.push(p.outer);
      numeric.push(p.numeric);
      names.push(p.name);
      used.push(p.cond);
      if (!ix.composite) break;
    }
    if (keys.length === 0) continue;
    const full = keys.length === ix.columns.length;
    offer({ index: ix, keys, numeric, names, used, rank: ix.unique && full ? 1 : 2 });
  }
  if (best === null) best = specialProbe(view, conds, outer, inner, innerPreds);
  return best;
}

/**
 * A lookup through a partial or expression index (planner/sql-index-path.ts) when no primary key
 * or column index serves: an equality between an outer expression and the index's first key
 * expression (`JOIN t ON lower(t.name) = u.k`), both of one class (text, or numbers) that `=`
 * converts nothing between, the inner table's own terms implying the index's WHERE. Only the
 * first match is taken: the primary key and column indexes were preferred already.
 */
function specialProbe(
  view: CollectionView,
  conds: readonly Expr[],
  outer: Span,
  inner: Span,
  innerPreds: readonly Expr[],
): IndexProbe | null {
  const local = innerPreds.map((p) => shiftColumns(p, -inner.lo));
  for (const probe of sqlIndexProbes(view, local)) {
    for (const c of conds) {
      // equiSides: compared BINARY, both sides of one class, so `=` converts nothing.
      const s = equiSides(c, outer, inner);
      if (s === null) continue;
      if (!sameIndexExpr(shiftColumns(s.b, -inner.lo), probe.key)) continue;
      const name = s.b.kind === 'column' ? s.b.name : exprText(shiftColumns(s.b, -inner.lo));
      return { index: probe.index, keys: [s.a], numeric: [false], names: [name], used: [c], rank: 2 };
    }
  }
  return null;
}

/**
 * `o.item = i.sku` with a numeric column of the `inner` side and a TEXT expression of the `outer`
 * side: SQLite's comparison converts the text by NUMERIC affinity ('5' and '5.0' equal 5, 'abc'
 * nothing), so a lookup of the converted value in the column's tree (primary key or index) finds
 * exactly the matches. The sides, or null. (The other way round, a TEXT column's index cannot
 * answer: the comparison converts the column's values, which the tree holds as text.)
 */
function textToNumericSides(e: Expr, outer: Span, inner: Span): { a: Expr; b: Expr } | null {
  if (e.kind !== 'binary' || e.op !== '=' || e.collation !== undefined) return null;
  for (const [col, other] of [
    [e.left, e.right],
    [e.right, e.left],
  ]) {
    if (col.kind !== 'column' || !within(col, inner) || !textKeyConverts(col.type)) continue;
    if (other.kind === 'collate' || typeOf(other) !== 'text') continue;
    if (!reads(other) || !within(other, outer)) continue;
    return { a: other, b: col };
  }
  return null;
}

function lookupAccess(node: PhysicalPlan): boolean {
  const n = node.kind === 'Filter' ? node.input : node;
  return n.kind === 'PrimaryKeyLookup' || n.kind === 'IndexLookup';
}

function indexJoin(
  type: 'inner' | 'left',
  outer: PhysicalPlan,
  outerSpan: Span,
  view: CollectionView,
  innerSpan: Span,
  probe: IndexProbe,
  innerPreds: readonly Expr[],
  rest: readonly Expr[],
  rowBase: number,
  swapped: boolean,
): IndexNestedLoopJoinNode {
  const ix = probe.index;
  return {
    kind: 'IndexNestedLoopJoin',
    type,
    outer,
    collection: view.meta.schema.name,
    index: ix ? ix.def.name : null,
    unique: ix ? ix.unique && probe.keys.length === ix.columns.length && !(ix.special && ix.composite) : true,
    ...(ix?.composite ? { columns: indexPaths(ix.def).map((p) => p.join('.')) } : {}),
    ...(ix?.composite && ix.desc ? { desc: ix.desc } : {}),
    keys: probe.keys.map((k) => shiftColumns(k, -outerSpan.lo)),
    ...(probe.numeric.some((n) => n) ? { numericKeys: probe.numeric } : {}),
    keyNames: probe.names,
    innerFilter: and(innerPreds, -innerSpan.lo),
    residual: and(rest, -rowBase),
    outerWidth: outerSpan.hi - outerSpan.lo,
    innerWidth: innerSpan.hi - innerSpan.lo,
    swapped,
  };
}

/**
 * Plan `plan` (a Join tree or a leaf) whose rows start at global column `base`, applying every
 * predicate of `preds` (global columns) to its rows.
 */
export function planFrom(
  plan: LogicalPlan,
  base: number,
  preds: readonly Expr[],
  ctx: JoinPlanning,
): PhysicalPlan {
  if (plan.kind !== 'join') return planLeaf(plan, base, preds, ctx);
  if (readsAhead(plan, base))
    return planReadingAhead(plan, base, preds, (p, b, t) => planFrom(p, b, t, { ...ctx, reorder: false }));
  if (plan.right.kind === 'tableFunction' && plan.right.args.some(reads))
    return planLateral(plan, plan.right, base, preds, ctx);
  const { type } = plan;
  if (type === 'inner' && !ctx.naive && ctx.reorder !== false) {
    const reordered = reorderInner(plan, base, preds, ctx);
    if (reordered) return reordered;
    ctx = { ...ctx, reorder: false };
  }
  if (ctx.naive) {
    const node: PhysicalPlan = {
      kind: 'NestedLoopJoin',
      type,
      left: planFrom(plan.left, base, [], ctx),
      right: planFrom(plan.right, base + plan.leftWidth, [], ctx),
      leftWidth: plan.leftWidth,
      rightWidth: plan.rightWidth,
      predicate: plan.on ? shiftColumns(plan.on, -base) : null,
    };
    return filtered(node, preds, -base);
  }
  const L: Span = { lo: base, hi: base + plan.leftWidth };
  const R: Span = { lo: L.hi, hi: L.hi + plan.rightWidth };
  const leftPreds: Expr[] = [];
  const rightPreds: Expr[] = [];
  const joinConds: Expr[] = [];
  const above: Expr[] = [];
  const leftKept = type === 'inner' || type === 'left';
  const rightKept = type === 'inner' || type === 'right';
  for (const p of preds) {
    if (!reads(p)) above.push(p);
    else if (leftKept && within(p, L)) leftPreds.push(p);
    else if (rightKept && within(p, R)) rightPreds.push(p);
    else if (type === 'inner') joinConds.push(p);
    else above.push(p);
  }
  for (const c of conjuncts(plan.on)) {
    // An ON term limits the side that is not kept (the NULL-extended one) or decides matches.
    if (reads(c) && type !== 'right' && type !== 'full' && within(c, R)) rightPreds.push(c);
    else if (reads(c) && (type === 'inner' || type === 'right') && within(c, L)) leftPreds.push(c);
    else joinConds.push(c);
  }
  const node = planJoin(plan, base, L, R, leftPreds, rightPreds, joinConds, ctx);
  return filtered(antiJoin(node, above, R, ctx), above, -base);
}

/**
 * `LEFT JOIN o ON o.k = x WHERE o.k IS NULL` (or `o.<primary key> IS NULL`): a matched row has
 * that column non-NULL (its key equalled a non-NULL outer value; a primary key is never NULL), so
 * the WHERE keeps exactly the outer rows without a match. Such an IndexNestedLoopJoin is marked
 * `anti`: it tests each key's existence and emits only the unmatched rows (the WHERE still runs
 * above it). Only for a join whose match is the key equality alone.
 */
function antiJoin(node: PhysicalPlan, above: readonly Expr[], R: Span, ctx: JoinPlanning): PhysicalPlan {
  if (node.kind !== 'IndexNestedLoopJoin' || node.type !== 'left' || node.swapped) return node;
  if (node.innerFilter !== null || node.residual !== null) return node;
  const view = ctx.collection(node.collection);
  if (!view) return node;
  const lookedUp = new Set<number>();
  if (node.index === null) lookedUp.add(view.compiled.pkColumn);
  else {
    const ix = view.indexes.find((x) => x.def.name === node.index);
    if (!ix) return node;
    ix.columns.slice(0, node.keys.length).forEach((c) => c.sub.length === 0 && lookedUp.add(c.column));
  }
  lookedUp.add(view.compiled.pkColumn);
  const tests = above.some(
    (p) =>
      p.kind === 'isNull' &&
      !p.negated &&
      p.arg.kind === 'column' &&
      p.arg.sub.length === 0 &&
      within(p.arg, R) &&
      lookedUp.has(p.arg.column - R.lo),
  );
  return tests ? { ...node, anti: true } : node;
}

/**
 * A join whose right side is a table-valued function reading the left side's columns: the
 * function runs per left row (a lateral TableFunction over the left plan). It has rows only
 * beside a left row, so RIGHT adds nothing to INNER and FULL nothing to LEFT (SQLite's results
 * too). WHERE terms on the left go down into it; the rest decide matches or filter above.
 */
function planLateral(
  plan: Extract<LogicalPlan, { kind: 'join' }>,
  fn: Extract<LogicalPlan, { kind: 'tableFunction' }>,
  base: number,
  preds: readonly Expr[],
  ctx: JoinPlanning,
): PhysicalPlan {
  const L: Span = { lo: base, hi: base + plan.leftWidth };
  if (!fn.args.every((a) => within(a, L)))
    throw new QueryError(`${fn.fn}() reads a table that cannot be joined before it`, 'QUERY');
  const type = plan.type === 'left' || plan.type === 'full' ? 'left' : 'inner';
  const leftPreds: Expr[] = [];
  const matches: Expr[] = [];
  const above: Expr[] = [];
  for (const p of preds) {
    if (reads(p) && within(p, L)) leftPreds.push(p);
    else if (type === 'inner') matches.push(p);
    else above.push(p);
  }
  for (const c of conjuncts(plan.on)) {
    // A LEFT join's ON term on the left side decides matches; it does not drop left rows.
    if (type === 'inner' && reads(c) && within(c, L)) leftPreds.push(c);
    else matches.push(c);
  }
  const node: PhysicalPlan = {
    kind: 'TableFunction',
    fn: fn.fn,
    args: fn.args.map((a) => shiftColumns(a, -base)),
    alias: fn.alias,
    width: fn.width,
    ...(fn.views ? { views: fn.views } : {}),
    lateral: {
      input: planFrom(plan.left, base, leftPreds, ctx),
      inputWidth: plan.leftWidth,
      type,
      predicate: and(matches, -base),
    },
  };
  return filtered(node, above, -base);
}

function planJoin(
  plan: Extract<LogicalPlan, { kind: 'join' }>,
  base: number,
  L: Span,
  R: Span,
  leftPreds: readonly Expr[],
  rightPreds: readonly Expr[],
  joinConds: readonly Expr[],
  ctx: JoinPlanning,
): PhysicalPlan {
  const { type } = plan;
  const rightView =
    plan.right.kind === 'scan' ? ctx.collection(plan.right.collection, plan.right.hint) : undefined;
  const leftView =
    plan.left.kind === 'scan' ? ctx.collection(plan.left.collection, plan.left.hint) : undefined;
  const probe =
    rightView && (type === 'inner' || type === 'left')
      ? bestProbe(rightView, joinConds, L, R, rightPreds)
      : null;
  if (type === 'inner' && leftView && rightView && !plan.fixed) {
    // An inner join may run either way round: drive from the side that is a lookup.
    const back = bestProbe(leftView, joinConds, R, L, leftPreds);
    const rightPlan = planLeaf(plan.right, R.lo, rightPreds, ctx);
    if (
      back &&
      (!probe || (lookupAccess(rightPlan) && !lookupAccess(planLeaf(plan.left, L.lo, leftPreds, ctx))))
    ) {
      const rest = joinConds.filter((c) => !back.used.includes(c));
      const own = leftPreds.filter((c) => !back.used.includes(c));
      return indexJoin('inner', rightPlan, R, leftView, L, back, own, rest, base, true);
    }
  }
  const left = planFrom(plan.left, L.lo, leftPreds, ctx);
  if (probe && rightView) {
    const rest = joinConds.filter((c) => !probe.used.includes(c));
    const own = rightPreds.filter((c) => !probe.used.includes(c));
    return indexJoin(type as 'inner' | 'left', left, L, rightView, R, probe, own, rest, base, false);
  }
  const right = planFrom(plan.right, R.lo, rightPreds, ctx);
  const fields = {
    type,
    left,
    right,
    leftWidth: L.hi - L.lo,
    rightWidth: R.hi - R.lo,
  };
  // A TEXT value against a numeric column of the other side hashes converted (textToNumericSides).
  const hashPair = (c: Expr): { a: Expr; b: Expr; numeric: 'left' | 'right' | null } | null => {
    const same = equiSides(c, L, R);
    if (same) return { ...same, numeric: null };
    const leftText = textToNumericSides(c, L, R);
    if (leftText) return { ...leftText, numeric: 'left' };
    const rightText = textToNumericSides(c, R, L);
    return rightText ? { a: rightText.b, b: rightText.a, numeric: 'right' } : null;
  };
  const equi = joinConds.map((c) => ({ c, s: hashPair(c) }));
  const keyed = equi.filter((x) => x.s !== null);
  if (keyed.length > 0) {
    const numericKeys = keyed.map((x) => x.s?.numeric ?? null);
    return {
      kind: 'HashJoin',
      ...fields,
      leftKeys: keyed.map((x) => shiftColumns((x.s as { a: Expr }).a, -L.lo)),
      rightKeys: keyed.map((x) => shiftColumns((x.s as { b: Expr }).b, -R.lo)),
      ...(numericKeys.some((n) => n !== null) ? { numericKeys } : {}),
      residual: and(
        equi.filter((x) => x.s === null).map((x) => x.c),
        -base,
      ),
    };
  }
  return { kind: 'NestedLoopJoin', ...fields, predicate: and(joinConds, -base) };
}

/**
 * A run of inner joins over tables planned in the order planner/join-order.ts finds cheapest, or
 * null to keep the written order. The tables are laid out in the new order (every term's columns
 * moved to match), planned left-deep, and a Project puts the columns back where the rest of the
 * query reads them.
 */
function reorderInner(
  plan: Extract<LogicalPlan, { kind: 'join' }>,
  base: number,
  preds: readonly Expr[],
  ctx: JoinPlanning,
): PhysicalPlan | null {
  const leaves: (OrderLeaf & { plan: LogicalPlan })[] = [];
  const terms: Expr[] = [...preds];
  let fixed = false;
  const walk = (p: LogicalPlan, lo: number, width: number): void => {
    if (p.kind === 'join' && p.type === 'inner') {
      if (p.fixed) fixed = true;
      walk(p.left, lo, p.leftWidth);
      walk(p.right, lo + p.leftWidth, p.rightWidth);
      terms.push(...conjuncts(p.on));
      return;
    }
    const view = p.kind === 'scan' ? ctx.collection(p.collection, p.hint) : undefined;
    if (!view) fixed = true;
    else leaves.push({ plan: p, view, lo, hi: lo + width });
  };
  walk(plan, base, plan.leftWidth + plan.rightWidth);
  if (fixed) return null;
  const order = chooseJoinOrder(leaves, terms, {
    stats: (table) => ctx.stats(table),
    access: (leaf, local) =>
      ctx.access(
        leaf.view,
        local.map((e) => shiftColumns(e, -leaf.lo)),
      ),
  });
  if (!order) return null;
  const { tree, to } = leftDeep(
    order.map((i) => leaves[i]),
    base,
  );
  const node = planFrom(
    tree,
    base,
    terms.map((e) => remapColumns(e, to)),
    { ...ctx, reorder: false },
  );
  const columns = [];
  for (const l of leaves) {
    const name = l.plan.kind === 'scan' ? l.plan.collection : '?';
    for (let c = l.lo; c < l.hi; c++)
      columns.push({
        expr: {
          kind: 'column' as const,
          column: to(c) - base,
          sub: [],
          type: 'any' as const,
          name: `${name}.${c - l.lo}`,
        },
        name: c === l.lo ? `${name}.*` : '',
      });
  }
  return { kind: 'Project', input: node, columns };
}

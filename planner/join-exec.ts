/**
 * The join operators at run time. Each streams its left (outer) input and emits joined rows as
 * they are found; the right input of NestedLoopJoin and HashJoin is read once, on the first pull.
 * Outer joins: a left row without a match comes out with NULLs for the right columns right after
 * its matches; under RIGHT / FULL, the right rows that never matched come out last, with NULLs
 * for the left columns.
 */
import type { CollectionView } from '../storage/collection-state';
import { widenDefaults, widenRow } from '../storage/collection-state';
import type { BTreeSnapshot } from '../storage/btree';
import { KEY_BOTTOM, KEY_TOP } from '../storage/compare';
import type { KeyGroup } from '../storage/prefix-memo';
import { InternalError, QueryError } from '../src/errors';
import { compileExpr, compilePredicate, numericAffinity } from './compile-expr';
import type { Evaluator, Row } from './compile-expr';
import { KeyRows } from './key-rows';
import type { Expr } from './expr';
import type { HashJoinNode, IndexNestedLoopJoinNode, NestedLoopJoinNode, PhysicalPlan } from './physical';
import { tupleKey } from './value-key';
import type { ExecEnv, Source } from './execute';
import { source } from './source';
import { envFor } from './foreign-tables';
import { pollWork } from './interrupt';
import { Bounds } from './bounds';
import { keyFinger } from './key-finger';
import { touchRows } from './touch';
import { graceHashJoin, hashJoinBudget } from './hash-spill';
import { rowBytes } from './row-bytes';
import { joinedRow } from './joined-row';

/** Inner rows of an IndexNestedLoopJoin fetched per batch (see innerRows). */
const INNER_BATCH = 64;
/** Outer rows per batch of primary-key probes (see primaryKeyProbes): the first small, then doubling. */
const FIRST_OUTER_BATCH = 8;
const MAX_OUTER_BATCH = 256;
/** Outer batch size from which a primary-key join keeps the rows it found by key (planner/key-rows.ts). */
const KEEP_ROWS_FROM_BATCH = 128;
/** A location slot whose row the key memo already gave. */
const KEPT = -1;

type Build = (plan: PhysicalPlan, env: ExecEnv) => Source;

function fromGenerator(gen: Generator<Row, void, void>): Source {
  return source(() => {
    const r = gen.next();
    return r.done ? null : r.value;
  });
}

function predicateOf(e: Expr | null, env: ExecEnv): ((row: Row) => boolean) | null {
  if (!e) return null;
  return compilePredicate(e, env.ctx);
}

function drainAll(src: Source): Row[] {
  const out: Row[] = [];
  for (let row = src.next(); row !== null; row = src.next()) out.push(row);
  return out;
}

const nulls = (n: number): Row => new Array<unknown>(n).fill(null);

function* nestedLoop(node: NestedLoopJoinNode, env: ExecEnv, build: Build): Generator<Row, void, void> {
  const left = build(node.left, env);
  const right = drainAll(build(node.right, env));
  const every = right.map((_r, i) => i);
  yield* joinRows(node, left, right, () => every, predicateOf(node.predicate, env));
}

/**
 * What the in-memory joins share: each left row paired with the right rows `candidates` names
 * that pass `pred`; a left row with none NULL-extended (LEFT, FULL), then every right row no left
 * row matched (RIGHT, FULL).
 */
function* joinRows(
  node: NestedLoopJoinNode | HashJoinNode,
  left: Source,
  right: readonly Row[],
  candidates: (l: Row) => readonly number[] | undefined,
  pred: ((row: Row) => boolean) | null,
): Generator<Row, void, void> {
  const keepLeft = node.type === 'left' || node.type === 'full';
  const keepRight = node.type === 'right' || node.type === 'full';
  const matched = keepRight ? new Uint8Array(right.length) : null;
  const noRight = nulls(node.rightWidth);
  for (let l = left.next(); l !== null; l = left.next()) {
    let any = false;
    const hits = candidates(l);
    if (hits)
      for (const i of hits) {
        pollWork();
        const row = joinedRow(l, right[i]);
        if (pred && !pred(row)) continue;
        any = true;
        if (matched) matched[i] = 1;
        yield row;
      }
    if (!any && keepLeft) yield joinedRow(l, noRight);
  }
  if (matched) {
    const noLeft = nulls(node.leftWidth);
    for (let i = 0; i < right.length; i++) if (!matched[i]) yield joinedRow(noLeft, right[i]);
  }
}

function keyOf(evals: readonly Evaluator[], row: Row): string | null {
  if (evals.length === 1) {
    const v = evals[0](row);
    return v === null ? null : tupleKey([v]);
  }
  const vs = evals.map((f) => f(row));
  return vs.includes(null) ? null : tupleKey(vs);
}

class SpillOwner {}

function* hashJoin(node: HashJoinNode, env: ExecEnv, build: Build): Generator<Row, void, void> {
  const left = build(node.left, env);
  // A TEXT key against a numeric column hashes as the comparison converts it (HashJoinNode.numericKeys).
  const keyEval = (k: Expr, i: number, side: 'left' | 'right'): Evaluator => {
    const f = compileExpr(k, env.ctx).eval;
    return node.numericKeys?.[i] === side ? (row: Row) => numericAffinity(f(row)) : f;
  };
  const leftKeys = node.leftKeys.map((k, i) => keyEval(k, i, 'left'));
  const rightKeys = node.rightKeys.map((k, i) => keyEval(k, i, 'right'));
  const rightSource = build(node.right, env);
  const right: Row[] = [];
  // Past the memory budget, the join partitions both sides to temp files (planner/hash-spill.ts).
  const budget = env.hashJoinBudgetBytes ?? hashJoinBudget();
  let bytes = 0;
  for (let r = rightSource.next(); r !== null; r = rightSource.next()) {
    right.push(r);
    if ((bytes += rowBytes(r)) > budget) {
      const pred = predicateOf(node.residual, env);
      // Lives exactly as long as this generator: its collection means the join was abandoned.
      const owner = new SpillOwner();
      const g = {
        node,
        left,
        head: right,
        rest: rightSource,
        keyOf,
        leftKeys,
        rightKeys,
        pred,
        owner,
        budget,
      };
      yield* graceHashJoin(g, joinRows);
      return;
    }
  }
  const table = new Map<string, number[]>();
  right.forEach((r, i) => {
    const k = keyOf(rightKeys, r);
    if (k === null) return;
    const list = table.get(k);
    if (list) list.push(i);
    else table.set(k, [i]);
  });
  const hits = (l: Row): number[] | undefined => {
    const k = keyOf(leftKeys, l);
    return k === null ? undefined : table.get(k);
  };
  yield* joinRows(node, left, right, hits, predicateOf(node.residual, env));
}

/** The inner rows matching one key: started per outer row, then pulled until null. */
interface InnerRows {
  start(key: unknown): void;
  next(): Row | null;
}

function innerRows(node: IndexNestedLoopJoinNode, coll: CollectionView, env: ExecEnv): InnerRows {
  const defaults = widenDefaults(coll.meta, coll.compiled);
  const read = (loc: number): Row => {
    env.stats.rowsRead++;
    const row = env.readRow(loc);
    return defaults === null ? row : widenRow(row, defaults);
  };
  if (node.index === null) {
    let loc: number | undefined;
    return {
      start(key) {
        env.stats.indexEntries++;
        loc = coll.pk.get(key);
      },
      next() {
        if (loc === undefined) return null;
        const at = loc;
        loc = undefined;
        return read(at);
      },
    };
  }
  // Partial and expression indexes too (planner/join-planner.ts specialProbe).
  const ix = coll.allIndexes.find((i) => i.def.name === node.index);
  if (!ix) throw new QueryError(`no such index: ${node.index}`, 'QUERY');
  const tree: BTreeSnapshot<unknown, unknown> = ix.tree;
  const composite = node.columns !== undefined;
  // Every key that starts with the prefix p: from p itself to p followed by the last value.
  const last = (node.desc ?? [])[node.keys.length] === true ? KEY_BOTTOM : KEY_TOP;
  let cur: ReturnType<BTreeSnapshot<unknown, unknown>['cursor']> | null = null;
  // One key's matches are fetched a batch at a time, each step over the whole batch (entries,
  // then locations, then rows, then a touch of each row) so their cache misses overlap
  // (planner/touch.ts); a foreign-key join's ~10 matches a key are one batch.
  const stale: (pk: unknown) => never = (pk) => {
    throw new InternalError(
      `stale index ${ix.def.name}: entry points at missing row ${String(pk)} of ${coll.meta.schema.name}`,
      'STALE_INDEX',
    );
  };
  const pks: unknown[] = [];
  const locs: (number | undefined)[] = [];
  const batch: Row[] = [];
  let at = 0;
  let more = false;
  const fill = (): void => {
    pks.length = 0;
    batch.length = 0;
    at = 0;
    const c = cur;
    if (c === null) return;
    while (pks.length < INNER_BATCH && c.next()) pks.push(c.value);
    more = pks.length === INNER_BATCH;
    env.stats.indexEntries += pks.length;
    locs.length = pks.length;
    for (let k = 0; k < pks.length; k++) locs[k] = coll.pk.get(pks[k]);
    for (let k = 0; k < pks.length; k++) {
      const loc = locs[k];
      if (loc === undefined) stale(pks[k]);
      batch.push(read(loc));
    }
    touchRows(batch);
  };
  // A number key of a single-column index is first looked up as a whole group (at most
  // INNER_BATCH entries), which the tree memoizes, with the rows' locations remembered on it
  // (BTreeSnapshot.getEach): a repeated key then costs no index descent and no primary-key probe.
  const fromGroup = (group: KeyGroup<unknown>): void => {
    cur = null;
    more = false;
    at = 0;
    batch.length = 0;
    const found = coll.pk.getEach(group);
    env.stats.indexEntries += found.length;
    for (let k = 0; k < found.length; k++) {
      const loc = found[k];
      if (loc === undefined) stale(group.values[k]);
      batch.push(read(loc));
    }
    touchRows(batch);
  };
  return {
    start(key) {
      if (!composite && typeof key === 'number') {
        const group = tree.keyGroup(key, INNER_BATCH);
        if (group !== null) return fromGroup(group);
      }
      cur = tree.cursor(composite ? Bounds.between(key, [...(key as unknown[]), last]) : Bounds.exactly(key));
      fill();
    },
    next() {
      if (at < batch.length) return batch[at++];
      if (!more) return null;
      fill();
      return at < batch.length ? batch[at++] : null;
    },
  };
}

/**
 * An anti IndexNestedLoopJoin (IndexNestedLoopJoinNode.anti): the outer rows whose key has no
 * inner entry, NULL-extended; a key's existence is one descent of the tree, no inner row read.
 */
function unmatchedRows(
  node: IndexNestedLoopJoinNode,
  coll: CollectionView,
  env: ExecEnv,
  innerEnv: ExecEnv,
  build: Build,
  keys: readonly Evaluator[],
  single: Evaluator | null,
): Source {
  const ix = node.index === null ? null : coll.allIndexes.find((i) => i.def.name === node.index);
  if (ix === undefined) throw new QueryError(`no such index: ${node.index}`, 'QUERY');
  const tree: BTreeSnapshot<unknown, unknown> | null = ix === null ? null : ix.tree;
  const last = (node.desc ?? [])[node.keys.length] === true ? KEY_BOTTOM : KEY_TOP;
  const exists = tree !== null && node.columns === undefined ? keyFinger(tree) : null;
  const found = (key: unknown): boolean => {
    innerEnv.stats.indexEntries++;
    if (tree === null) return coll.pk.get(key) !== undefined;
    if (exists !== null) return exists(key);
    return tree.cursor(Bounds.between(key, [...(key as unknown[]), last])).next();
  };
  const noInner = nulls(node.innerWidth);
  let outer: Source | null = null;
  return source(() => {
    outer ??= build(node.outer, env);
    for (let o = outer.next(); o !== null; o = outer.next()) {
      let key: unknown;
      if (single) key = single(o);
      else {
        const values = keys.map((f) => f(o as Row));
        key = values.includes(null) ? null : values;
      }
      if (key === null || !found(key)) return joinedRow(o, noInner);
    }
    return null;
  });
}

/** Hand-rolled rather than a generator: this loop runs once per outer row of every join. */
function indexNestedLoop(node: IndexNestedLoopJoinNode, env: ExecEnv, build: Build): Source {
  // The inner table's rows may live in another store than the outer side's (a TEMP table).
  const innerEnv = envFor(env, node.collection);
  const coll = innerEnv.view.collections.get(node.collection);
  if (!coll) throw new QueryError(`no such collection: ${node.collection}`, 'QUERY');
  const keys = node.keys.map((k, i) => {
    const f = compileExpr(k, env.ctx).eval;
    // A TEXT outer value looked up in a numeric column: converted as the comparison converts it.
    return node.numericKeys?.[i] === true ? (row: Row) => numericAffinity(f(row)) : f;
  });
  // A composite index is probed with a tuple prefix, even of one column.
  const single = keys.length === 1 && node.columns === undefined ? keys[0] : null;
  const inner = innerRows(node, coll, innerEnv);
  const innerFilter = predicateOf(node.innerFilter, env);
  const residual = predicateOf(node.residual, env);
  const keepOuter = node.type === 'left';
  const noInner = nulls(node.innerWidth);
  if (node.anti === true) return unmatchedRows(node, coll, env, innerEnv, build, keys, single);
  if (node.index === null && single)
    return primaryKeyProbes(node, coll, env, innerEnv, build, single, innerFilter, residual);
  let outer: Source | null = null;
  let o: Row | null = null;
  let any = false;
  let live = false;
  return source(() => {
    outer ??= build(node.outer, env);
    for (;;) {
      if (o === null) {
        o = outer.next();
        if (o === null) return null;
        any = false;
        let key: unknown;
        if (single) key = single(o);
        else {
          const values = keys.map((f) => f(o as Row));
          key = values.includes(null) ? null : values;
        }
        live = key !== null;
        if (live) inner.start(key);
      }
      const i = live ? inner.next() : null;
      if (i === null) {
        const done = o;
        o = null;
        if (!any && keepOuter) return joinedRow(done, noInner);
        continue;
      }
      if (innerFilter && !innerFilter(i)) continue;
      const row = node.swapped ? joinedRow(i, o) : joinedRow(o, i);
      if (residual && !residual(row)) continue;
      any = true;
      return row;
    }
  });
}

/**
 * IndexNestedLoopJoin on the inner table's primary key, outer rows taken a batch at a time: every
 * key of the batch looked up, then every row read, then touched (planner/touch.ts), so the cache
 * misses of independent probes overlap (a join over all orders probing customers: one probe per
 * outer row). At most one inner row matches an outer row. Batches start small and double, and
 * stop at what a LIMIT above still wants, so a LIMIT reads few rows ahead.
 */
function primaryKeyProbes(
  node: IndexNestedLoopJoinNode,
  coll: CollectionView,
  env: ExecEnv,
  innerEnv: ExecEnv,
  build: Build,
  key: Evaluator,
  innerFilter: ((row: Row) => boolean) | null,
  residual: ((row: Row) => boolean) | null,
): Source {
  const defaults = widenDefaults(coll.meta, coll.compiled);
  const keepOuter = node.type === 'left';
  const noInner = nulls(node.innerWidth);
  const outers: Row[] = [];
  const locs: (number | undefined)[] = [];
  const slots: number[] = [];
  let memo: KeyRows | null = null;
  const inners: (Row | null)[] = [];
  const found: Row[] = [];
  let outer: Source | null = null;
  let at = 0;
  let size = FIRST_OUTER_BATCH;
  let cap = Infinity;
  let exhausted = false;
  const fill = (src: Source): void => {
    outers.length = 0;
    at = 0;
    const take = size < cap ? size : cap;
    while (outers.length < take) {
      const r = src.next();
      if (r === null) {
        exhausted = true;
        break;
      }
      outers.push(r);
    }
    if (size < MAX_OUTER_BATCH) size *= 2;
    const n = outers.length;
    locs.length = n;
    slots.length = n;
    inners.length = n;
    let probed = 0;
    for (let k = 0; k < n; k++) {
      const v = key(outers[k]);
      const s = memo === null || v === null ? -1 : memo.slot(v);
      slots[k] = s;
      const kept = s < 0 ? undefined : (memo as KeyRows).get(s);
      if (kept !== undefined) {
        inners[k] = kept;
        locs[k] = KEPT;
        continue;
      }
      locs[k] = v === null || v === undefined ? undefined : coll.pk.get(v);
      probed++;
    }
    env.stats.indexEntries += probed;
    found.length = 0;
    for (let k = 0; k < n; k++) {
      const loc = locs[k];
      if (loc === KEPT) continue;
      let wide: Row | null = null;
      if (loc !== undefined) {
        env.stats.rowsRead++;
        const row = innerEnv.readRow(loc);
        wide = defaults === null ? row : widenRow(row, defaults);
        found.push(wide);
      }
      inners[k] = wide;
      if (slots[k] >= 0) (memo as KeyRows).set(slots[k], wide);
    }
    touchRows(found);
    // A join that goes on past its first batches probes keys again: keep the rows by key.
    if (memo === null && size >= KEEP_ROWS_FROM_BATCH) memo = new KeyRows();
  };
  return source(
    () => {
      outer ??= build(node.outer, env);
      for (;;) {
        if (at >= outers.length) {
          if (exhausted) return null;
          fill(outer);
          if (outers.length === 0) return null;
        }
        const o = outers[at];
        const i = inners[at];
        at++;
        if (i !== null && (!innerFilter || innerFilter(i))) {
          const row = node.swapped ? joinedRow(i, o) : joinedRow(o, i);
          if (!residual || residual(row)) return row;
        }
        if (keepOuter) return joinedRow(o, noInner);
      }
    },
    (n) => {
      // A consumer that wants n more rows needs at most n more outer rows (one match each).
      cap = n;
    },
  );
}

export function nestedLoopJoinSource(node: NestedLoopJoinNode, env: ExecEnv, build: Build): Source {
  return fromGenerator(nestedLoop(node, env, build));
}

export function hashJoinSource(node: HashJoinNode, env: ExecEnv, build: Build): Source {
  return fromGenerator(hashJoin(node, env, build));
}

export function indexNestedLoopJoinSource(node: IndexNestedLoopJoinNode, env: ExecEnv, build: Build): Source {
  return indexNestedLoop(node, env, build);
}

/**
 * SQLite's recursive CTE loop (RecursiveUnion): the initial rows go into a queue; each row taken
 * from the queue is produced and then becomes the working table of every recursive arm, whose
 * rows are queued in turn. Without an ORDER BY the queue is FIFO, so rows can stream out as they
 * are queued; with one (the CTE's own `ORDER BY`) it is a priority queue, smallest row first and
 * first-queued among equals, and a row is produced when it leaves the queue. Either way a LIMIT
 * above stops the recursion. UNION drops a row seen before at the time it would be queued.
 */
import { OperationalError } from '../src/errors';
import { compareValues } from '../storage/compare';
import type { Evaluator, Row } from './compile-expr';
import { compareUnderKey } from './logical';
import type { SortKey } from './logical';
import type { PhysicalPlan, RecursiveUnionNode } from './physical';
import type { ExecEnv, Source } from './execute';
import { Heap } from './heap';
import { source } from './source';
import { tupleKey } from './value-key';

type Build = (plan: PhysicalPlan, env: ExecEnv) => Source;

const working = new WeakMap<ExecEnv, Map<number, Row[]>>();

/** The working tables of the recursive CTEs running in `env`, by id. */
export function workingTables(env: ExecEnv): Map<number, Row[]> {
  let m = working.get(env);
  if (!m) {
    m = new Map();
    working.set(env, m);
  }
  return m;
}

/** `keys` are the evaluators of `node.order`'s expressions (none without an ORDER BY). */
export function recursiveSource(
  node: RecursiveUnionNode,
  env: ExecEnv,
  build: Build,
  keys: Evaluator[],
): Source {
  const seen = node.all ? null : new Set<string>();
  let produced = 0;
  /** Whether `row` joins the queue: not a repeat under UNION, and within the row limit. */
  const admit = (row: Row): boolean => {
    if (seen) {
      const k = tupleKey(row);
      if (seen.has(k)) return false;
      seen.add(k);
    }
    if (++produced > node.maxRows)
      throw new OperationalError(
        `recursive CTE ${node.name} produced more than ${node.maxRows} rows (ModelVault's limit; add a WHERE or LIMIT that ends the recursion)`,
        'RECURSION_LIMIT',
      );
    return true;
  };
  return node.order
    ? orderedLoop(node, env, build, keys, node.order, admit)
    : fifoLoop(node, env, build, admit);
}

function fifoLoop(
  node: RecursiveUnionNode,
  env: ExecEnv,
  build: Build,
  admit: (row: Row) => boolean,
): Source {
  const tables = workingTables(env);
  let init: Source | null = build(node.init, env);
  let queue: Row[] = [];
  let head = 0;
  let current: Row | null = null;
  let step = 0;
  let pending: Source | null = null;
  const accept = (row: Row): boolean => {
    if (!admit(row)) return false;
    queue.push(row);
    return true;
  };
  return source(() => {
    for (;;) {
      if (init) {
        const row = init.next();
        if (row === null) init = null;
        else if (accept(row)) return row;
        continue;
      }
      if (pending) {
        const row = pending.next();
        if (row !== null) {
          if (accept(row)) return row;
          continue;
        }
        pending = null;
        if (current && ++step < node.steps.length) {
          tables.set(node.id, [current]);
          pending = build(node.steps[step], env);
          continue;
        }
      }
      if (head >= queue.length) return null;
      current = queue[head++];
      // Drop expanded rows now and then so a long recursion keeps only its pending rows.
      if (head > 4096 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      step = 0;
      tables.set(node.id, [current]);
      pending = build(node.steps[0], env);
    }
  });
}

interface Queued {
  readonly k: unknown[];
  readonly seq: number;
  readonly row: Row;
}

function orderedLoop(
  node: RecursiveUnionNode,
  env: ExecEnv,
  build: Build,
  evals: Evaluator[],
  order: readonly SortKey[],
  admit: (row: Row) => boolean,
): Source {
  const tables = workingTables(env);
  const heap = new Heap<Queued>((a, b) => {
    for (let i = 0; i < order.length; i++) {
      const c = compareUnderKey(order[i], a.k[i], b.k[i], compareValues);
      if (c !== 0) return c < 0;
    }
    return a.seq < b.seq;
  });
  let seq = 0;
  const enqueue = (rows: Source): void => {
    for (let row = rows.next(); row !== null; row = rows.next())
      if (admit(row)) heap.push({ k: evals.map((f) => f(row)), seq: seq++, row });
  };
  let started = false;
  // The row produced last: its recursive arms run on the next pull, so a LIMIT that is already
  // satisfied never expands it.
  let expand: Row | null = null;
  return source(() => {
    if (!started) {
      started = true;
      enqueue(build(node.init, env));
    }
    if (expand) {
      for (const step of node.steps) {
        tables.set(node.id, [expand]);
        enqueue(build(step, env));
      }
      expand = null;
    }
    const next = heap.pop();
    if (next === undefined) return null;
    expand = next.row;
    return next.row;
  });
}

/**
 * The TableFunction operator at run time: the rows of json_each / json_tree
 * (planner/json-table.ts) for its arguments, computed as they are pulled. A lateral one
 * (`FROM t, json_each(t.doc)`) runs the function once per row of its input, with the
 * arguments read from that row, as SQLite's nested loop over a table-valued function does.
 */
import { compilePredicate, compileTaggedExpr } from './compile-expr';
import type { Row } from './compile-expr';
import type { ExecEnv, Source } from './execute';
import { jsonTableRows } from './json-table';
import type { JsonTableArgs } from './json-table';
import type { PhysicalPlan, TableFunctionPNode } from './physical';
import { source } from './source';
import { truth } from './sql-values';
import { TaggedReal } from './tagged-real';
import { joinedRow } from './joined-row';

type Build = (plan: PhysicalPlan, env: ExecEnv) => Source;

/** The call's arguments on a row (null without arguments: SQLite then has no rows). */
function argsReader(node: TableFunctionPNode, env: ExecEnv): (row: Row) => JsonTableArgs | null {
  // Tagged: a whole-number REAL document (`json_each(1.0)`) reads as the text '1.0'.
  const evals = node.args.map((a) => compileTaggedExpr(a, env.ctx));
  const arg = (i: number, row: Row): { v: unknown; real: boolean } => {
    const v = evals[i].eval(row);
    return v instanceof TaggedReal ? { v: v.value, real: true } : { v, real: evals[i].type === 'real' };
  };
  return (row) => {
    if (evals.length === 0) return null;
    const doc = arg(0, row);
    if (evals.length === 1) return { doc: doc.v, docReal: doc.real };
    const path = arg(1, row);
    return { doc: doc.v, docReal: doc.real, path: path.v, pathReal: path.real };
  };
}

function* lateralRows(node: TableFunctionPNode, env: ExecEnv, build: Build): Generator<Row, void, void> {
  const lateral = node.lateral;
  if (!lateral) return;
  const argsOf = argsReader(node, env);
  const input = build(lateral.input, env);
  const test = lateral.predicate ? compilePredicate(lateral.predicate, env.ctx) : null;
  const none = new Array<unknown>(node.width).fill(null);
  for (let left = input.next(); left !== null; left = input.next()) {
    let matched = false;
    for (const r of jsonTableRows(node.fn, argsOf(left))) {
      const row = joinedRow(left, r);
      if (test && truth(test(row)) !== true) continue;
      matched = true;
      yield row;
    }
    if (!matched && lateral.type === 'left') yield joinedRow(left, none);
  }
}

export function tableFunctionSource(node: TableFunctionPNode, env: ExecEnv, build: Build): Source {
  let rows: Generator<Row, void, void> | null = null;
  const start = (): Generator<Row, void, void> =>
    node.lateral ? lateralRows(node, env, build) : jsonTableRows(node.fn, argsReader(node, env)([]));
  return source(() => {
    rows ??= start();
    const r = rows.next();
    return r.done ? null : r.value;
  });
}

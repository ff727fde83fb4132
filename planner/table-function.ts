/**
 * The TableFunction operator at run time: the rows of json_each / json_tree
 * (planner/json-table.ts) or of a catalog PRAGMA (`pragma_table_info(m.name)`,
 * planner/introspect/rows.ts) for its arguments, computed as they are pulled. A lateral one
 * (`FROM t, json_each(t.doc)`) runs the function once per row of its input, with the
 * arguments read from that row, as SQLite's nested loop over a table-valued function does.
 */
import { compileExpr, compilePredicate, compileTaggedExpr } from './compile-expr';
import type { Row } from './compile-expr';
import type { ExecEnv, Source } from './execute';
import { isJsonTableFn, jsonTableRows } from './json-table';
import type { JsonTableArgs, JsonTableFn } from './json-table';
import { pragmaTable } from './introspect/virtual';
import type { VirtualTable } from './introspect/virtual';
import { catalogRows } from './introspect/rows';
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

/** The function's rows for the arguments read from `row`. */
type Call = (row: Row) => Iterable<Row>;

function caller(node: TableFunctionPNode, env: ExecEnv): Call {
  if (isJsonTableFn(node.fn)) {
    const fn: JsonTableFn = node.fn;
    const argsOf = argsReader(node, env);
    return (row) => jsonTableRows(fn, argsOf(row));
  }
  const table = pragmaTable(node.fn) as VirtualTable;
  const [arg, schema] = node.args.map((a) => compileExpr(a, env.ctx).eval);
  return (row) =>
    pragmaRows(
      table,
      arg === undefined ? null : arg(row),
      schema === undefined ? null : schema(row),
      node,
      env,
    );
}

/**
 * A catalog PRAGMA's rows for the object the argument names, as `PRAGMA table_info(x)` has them
 * (a view's as the statement was lowered with), each followed by the hidden `arg` and `schema`
 * (the arguments as given; `schema` NULL without a second one).
 * SQLite reads the argument as text; NULL or a blob names nothing.
 */
function pragmaRows(
  table: VirtualTable,
  value: unknown,
  schema: unknown,
  node: TableFunctionPNode,
  env: ExecEnv,
): Row[] {
  if (value === null || value === undefined || value instanceof Uint8Array) return [];
  const name = String(value);
  const views = node.views;
  let rows: readonly (readonly unknown[])[] = catalogRows(table, name, env.view, env.readRow, { views });
  // A view's table_info rows are the ones lowering worked out (table_list counts them itself).
  if (rows.length === 0 && table !== 'table_list') rows = views?.get(name.toLowerCase()) ?? [];
  return rows.map((r) => [...r, name, schema]);
}

function* lateralRows(node: TableFunctionPNode, env: ExecEnv, build: Build): Generator<Row, void, void> {
  const lateral = node.lateral;
  if (!lateral) return;
  const call = caller(node, env);
  const input = build(lateral.input, env);
  const test = lateral.predicate ? compilePredicate(lateral.predicate, env.ctx) : null;
  const none = new Array<unknown>(node.width).fill(null);
  for (let left = input.next(); left !== null; left = input.next()) {
    let matched = false;
    for (const r of call(left)) {
      const row = joinedRow(left, r);
      if (test && truth(test(row)) !== true) continue;
      matched = true;
      yield row;
    }
    if (!matched && lateral.type === 'left') yield joinedRow(left, none);
  }
}

export function tableFunctionSource(node: TableFunctionPNode, env: ExecEnv, build: Build): Source {
  let rows: Iterator<Row> | null = null;
  const start = (): Iterator<Row> =>
    node.lateral ? lateralRows(node, env, build) : caller(node, env)([])[Symbol.iterator]();
  return source(() => {
    rows ??= start();
    const r = rows.next();
    return r.done ? null : r.value;
  });
}

/**
 * CHECK constraints kept as SQL (storage/check-constraints.ts): each lowered against its table
 * with SQLite's refusals (no subqueries, no parameters; any function), and the compiled test
 * storage runs on every written row: a result that is false (0, or text that reads as 0) fails the
 * write with SQLite's message, `CHECK constraint failed: <name or expression>`; NULL passes.
 */
import type { Expr } from '../planner/expr';
import { compileExpr } from '../planner/compile-expr';
import { truth } from '../planner/sql-values';
import type { CompiledSchema } from '../storage/schema/compile';
import type { CheckConstraint, CollectionSchema } from '../storage/schema/normalize';
import type { RowCheck } from '../storage/check-constraints';
import { parseExpression } from './sql/parse';
import { lowerPart } from './index-sql';
import type { TableScope } from './scope';
import { IntegrityError } from '../src/errors';

const PLACE = 'CHECK constraints';

/** The table's CHECKs kept as SQL, lowered against it (in the schema's order). */
export function loweredChecks(schema: CollectionSchema, compiled: CompiledSchema): Expr[] {
  const scope: TableScope = { schema, compiled, qualifiers: [schema.name.toLowerCase()] };
  return (schema.checks ?? []).map((c) => lowerPart(parseExpression(c.sql), scope, c.sql, PLACE, 'any'));
}

/**
 * The order SQLite tests a table's CHECKs in: column constraints in column order (a column added
 * later is defined after the others, before the table constraints), then the table's, each group
 * as written. Indexes into `checks`.
 */
function testOrder(schema: CollectionSchema, checks: readonly CheckConstraint[]): number[] {
  const at = (c: CheckConstraint): number => {
    if (c.column === undefined) return schema.fields.length;
    const i = schema.fields.findIndex((f) => f.path.length === 1 && f.path[0] === c.column);
    return i < 0 ? schema.fields.length : i;
  };
  return checks.map((_c, i) => i).sort((x, y) => at(checks[x]) - at(checks[y]) || x - y);
}

/** The compiler storage checks a table's rows with (installed by parser/sql-hooks.ts). */
export function compileCheckConstraints(schema: CollectionSchema, compiled: CompiledSchema): RowCheck {
  const all = schema.checks ?? [];
  const order = testOrder(schema, all);
  const lowered = loweredChecks(schema, compiled);
  const checks = order.map((i) => all[i]);
  // No parameters, no session: a CHECK reads only its row.
  const ctx = { params: [] };
  const tests = order.map((i) => compileExpr(lowered[i], ctx).eval);
  const labels = checks.map((c) => `CHECK constraint failed: ${c.name ?? c.sql.trim()}`);
  return (row) => {
    // In the order written, as SQLite tests them: the first false one names the failure.
    for (let i = 0; i < tests.length; i++)
      if (truth(tests[i](row)) === false) throw new IntegrityError(labels[i], 'CHECK');
  };
}

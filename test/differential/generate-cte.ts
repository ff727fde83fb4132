/**
 * Differential common table expressions over the case's one table: CTEs read by a SELECT, a
 * join, another CTE and an IN subquery, a column list, a DELETE driven by a CTE, recursive
 * series (ordered: SQLite's queue order is the result order), recursive walks over t's ids under
 * UNION or UNION ALL (compared as multisets), and a recursion that only an outer LIMIT stops.
 */
import fc from 'fast-check';
import type { Col, Stmt } from './literals';

function whereArb(cols: Col[]): fc.Arbitrary<string> {
  const nums = cols.filter((c) => c.type === 'INTEGER' || c.type === 'REAL').map((c) => c.name);
  return fc.oneof(
    fc.constant(''),
    fc.integer({ min: 995, max: 1060 }).map((v) => ` WHERE id > ${v}`),
    fc.integer({ min: 0, max: 2 }).map((v) => ` WHERE id % 3 = ${v}`),
    ...(nums.length
      ? [
          fc
            .tuple(fc.constantFrom(...nums), fc.constantFrom('IS NULL', 'IS NOT NULL', '> 0'))
            .map(([c, op]) => ` WHERE ${c} ${op}`),
        ]
      : []),
  );
}

const select = (sql: string, ordered = true): Stmt => ({ sql, params: [], ordered, kind: 'select' });
const write = (sql: string): Stmt => ({ sql, params: [], ordered: false, kind: 'write' });

export function cteStatementArb(cols: Col[]): fc.Arbitrary<Stmt> {
  const col = fc.constantFrom(...cols.map((c) => c.name));
  const w = whereArb(cols);
  return fc.oneof(
    fc
      .tuple(col, w, fc.boolean())
      .map(([c, wh, hint]) =>
        select(
          `WITH c AS ${hint ? 'MATERIALIZED ' : ''}(SELECT id, ${c} FROM t${wh}) SELECT * FROM c ORDER BY id`,
        ),
      ),
    fc
      .tuple(col, w)
      .map(([c, wh]) =>
        select(
          `WITH c(k, v) AS (SELECT id, ${c} FROM t${wh}), d AS (SELECT k FROM c WHERE v IS NOT NULL) SELECT count(*), min(k), max(k) FROM d`,
        ),
      ),
    fc
      .tuple(col, w)
      .map(([c, wh]) =>
        select(
          `WITH c AS (SELECT id AS k, ${c} FROM t${wh}) SELECT t.id, c.${c} FROM t JOIN c ON c.k = t.id ORDER BY t.id`,
        ),
      ),
    w.map((wh) =>
      select(
        `WITH c AS (SELECT id FROM t${wh}) SELECT id FROM t WHERE id NOT IN (SELECT id FROM c) ORDER BY id`,
      ),
    ),
    w.map((wh) => write(`WITH c AS (SELECT id FROM t${wh}) DELETE FROM t WHERE id IN (SELECT id FROM c)`)),
    fc
      .tuple(
        fc.integer({ min: -5, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: -5, max: 40 }),
        fc.boolean(),
      )
      .map(([a, step, b, all]) =>
        select(
          `WITH RECURSIVE s(n) AS (SELECT ${a} UNION${all ? ' ALL' : ''} SELECT n + ${step} FROM s WHERE n < ${b}) SELECT n FROM s`,
        ),
      ),
    fc
      .tuple(
        fc.integer({ min: 995, max: 1010 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 6 }),
      )
      .map(([start, gap, all, depth]) =>
        select(
          `WITH RECURSIVE r(id, d) AS (SELECT id, 0 FROM t WHERE id <= ${start} UNION${all ? ' ALL' : ''} SELECT t.id, r.d + 1 FROM r JOIN t ON t.id = r.id + ${gap} WHERE r.d < ${depth}) SELECT id, d FROM r`,
          false,
        ),
      ),
    fc
      .tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 3 }))
      .map(([limit, offset]) =>
        select(
          `WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n * 2 FROM s) SELECT n FROM s LIMIT ${limit} OFFSET ${offset}`,
        ),
      ),
  );
}

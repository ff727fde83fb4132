/**
 * Differential uncorrelated subqueries over the case's one table: `x [NOT] IN (SELECT …)` with
 * columns of any type on either side (SQLite's comparison affinity and collations decide), NULL
 * operands and possibly empty sets, `[NOT] EXISTS`, scalar subqueries (aggregates, or a first
 * row made deterministic by ORDER BY … id), and DELETE/UPDATE driven by them. Outer results are
 * ordered by id so rows compare in order.
 */
import fc from 'fast-check';
import type { Col, Stmt } from './literals';
import { literalArb } from './literals';

function innerWhereArb(cols: Col[]): fc.Arbitrary<string | null> {
  const nums = cols.filter((c) => c.type === 'INTEGER' || c.type === 'REAL').map((c) => c.name);
  return fc.option(
    fc.oneof(
      fc.integer({ min: 995, max: 1060 }).map((v) => `id > ${v}`),
      fc.integer({ min: 0, max: 3 }).map((v) => `id % 4 = ${v}`),
      fc.constant('id < 0'),
      ...(nums.length
        ? [
            fc
              .tuple(fc.constantFrom(...nums), fc.constantFrom('IS NULL', 'IS NOT NULL', '> 0'))
              .map(([c, op]) => `${c} ${op}`),
          ]
        : []),
    ),
    { freq: 2 },
  );
}

const where = (w: string | null): string => (w === null ? '' : ` WHERE ${w}`);

/** The inner query of IN: one column of t (or a VALUES / compound of literals). */
function inSetArb(cols: Col[]): fc.Arbitrary<string> {
  // Not the composite case's key columns (k*): SQLite reads whether an IN set holds a NULL from
  // the first entry of an index on the column, and a DESC index puts the NULLs last, so it
  // answers NOT IN over such a column without its NULL (docs/sql.md). ModelVault follows the rule.
  const names = ['id', ...cols.filter((c) => !c.name.startsWith('k')).map((c) => c.name)];
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom(...names), fc.boolean(), innerWhereArb(cols))
        .map(([c, distinct, w]) => `SELECT ${distinct ? 'DISTINCT ' : ''}${c} FROM t${where(w)}`),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.oneof(literalArb('INTEGER'), literalArb('TEXT'), fc.constant('NULL')), {
          minLength: 1,
          maxLength: 3,
        })
        .map((vs) => `VALUES ${vs.map((v) => `(${v})`).join(', ')}`),
    },
  );
}

function scalarArb(cols: Col[]): fc.Arbitrary<string> {
  const plain = cols.filter((c) => !c.collate).map((c) => c.name);
  const names = ['id', ...cols.map((c) => c.name)];
  return fc.oneof(
    fc
      .tuple(
        fc.constantFrom('max', 'min', 'count', 'sum'),
        fc.constantFrom('id', ...plain),
        innerWhereArb(cols),
      )
      .map(([f, c, w]) => `(SELECT ${f}(${c}) FROM t${where(w)})`),
    fc
      .tuple(fc.constantFrom(...names), fc.constantFrom(...names), fc.boolean(), innerWhereArb(cols))
      .map(
        ([c, k, desc, w]) =>
          `(SELECT ${c} FROM t${where(w)} ORDER BY ${k}${desc ? ' DESC' : ''}, id LIMIT 1)`,
      ),
    fc.constant('(SELECT count(*) FROM t WHERE id < 0)'),
  );
}

export function subqueryStatementArb(cols: Col[]): fc.Arbitrary<Stmt> {
  const names = ['id', ...cols.map((c) => c.name)];
  const operand = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.constantFrom('NULL', '1', "'1'", '2.0') },
  );
  const inExpr = fc
    .tuple(operand, fc.boolean(), inSetArb(cols))
    .map(([x, not, s]) => `${x} ${not ? 'NOT IN' : 'IN'} (${s})`);
  const exists = fc
    .tuple(fc.boolean(), innerWhereArb(cols))
    .map(([not, w]) => `${not ? 'NOT ' : ''}EXISTS (SELECT 1 FROM t${where(w)})`);
  const predicate = fc.oneof(inExpr, exists);
  const select = (sql: string): Stmt => ({ sql, params: [], ordered: true, kind: 'select' });
  const write = (sql: string): Stmt => ({ sql, params: [], ordered: false, kind: 'write' });
  return fc.oneof(
    { weight: 3, arbitrary: predicate.map((p) => select(`SELECT id FROM t WHERE ${p} ORDER BY id`)) },
    { weight: 3, arbitrary: predicate.map((p) => select(`SELECT id, ${p} FROM t ORDER BY id`)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(scalarArb(cols), fc.constantFrom(...names))
        .map(([s, c]) => select(`SELECT id, ${s}, ${c} = ${s} FROM t ORDER BY id`)),
    },
    { weight: 1, arbitrary: inExpr.map((p) => write(`DELETE FROM t WHERE ${p}`)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...cols), innerWhereArb(cols), predicate)
        .map(([c, w, p]) =>
          write(
            `UPDATE t SET ${c.name} = (SELECT ${c.name} FROM t${where(w)} ORDER BY id DESC LIMIT 1) WHERE ${p}`,
          ),
        ),
    },
  );
}
